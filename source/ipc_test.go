package source

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// ipcBytes encodes batches of (id, name) rows in the IPC file or stream
// format.
func ipcBytes(t testing.TB, file bool, schema *arrow.Schema, batches [][]int64, opts ...ipc.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts = append(opts, ipc.WithSchema(schema))
	type writer interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	var w writer
	if file {
		fw, err := ipc.NewFileWriter(&buf, opts...)
		require.NoError(t, err)
		w = fw
	} else {
		w = ipc.NewWriter(&buf, opts...)
	}
	for _, ids := range batches {
		cols := make([]arrow.Array, schema.NumFields())
		for i, f := range schema.Fields() {
			switch f.Type.ID() {
			case arrow.INT64:
				b := array.NewInt64Builder(memory.DefaultAllocator)
				b.AppendValues(ids, nil)
				cols[i] = b.NewArray()
				b.Release()
			default:
				b := array.NewStringBuilder(memory.DefaultAllocator)
				for _, id := range ids {
					b.Append(string(rune('a' + id)))
				}
				cols[i] = b.NewArray()
				b.Release()
			}
		}
		rec := array.NewRecordBatch(schema, cols, int64(len(ids)))
		require.NoError(t, w.Write(rec))
		rec.Release()
		for _, c := range cols {
			c.Release()
		}
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestIPCFileAndStream(t *testing.T) {
	full := ftSchema(ftField("id", ftI64, false), ftField("name", ftStr, true))
	idOnly := ftSchema(ftField("id", ftI64, false))
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{
		"dt=2024-01-30/a.arrow":   string(ipcBytes(t, true, full, [][]int64{{1, 2}, {3}}, ipc.WithZstd())),
		"dt=2024-01-30/b.arrows":  string(ipcBytes(t, false, idOnly, [][]int64{{4}}, ipc.WithLZ4())),
		"dt=2024-01-30/c.feather": string(ipcBytes(t, true, ftSchema(ftField("name", ftStr, true), ftField("id", ftI64, false)), [][]int64{{5}})),
		"dt=2024-01-31/z.arrow":   string(ipcBytes(t, true, full, [][]int64{{9}})),
	})
	s := IPC(dir)
	ctx := kiln.NewContext(t.Context(), "x", kiln.Date(2024, 1, 30))
	sc, err := s.Schema(ctx)
	require.NoError(t, err)
	assert.True(t, sc.Equal(full), "the newest file's schema: %s", sc)
	tbl, err := s.Read(ctx)
	require.NoError(t, err)
	defer tbl.Release()
	assert.Equal(t, []string{"1|b", "2|c", "3|d", "4|(null)", "5|f"}, ftRows(tbl), "files in key order, batches in order, columns by name")

	ftWrite(t, dir, map[string]string{"dt=2024-02-01/x.arrow": string(ipcBytes(t, true, ftSchema(ftField("id", ftStr, true)), [][]int64{{1}}))})
	_, _, err = ftRead(t, IPC(dir, WithSchema(full)), kiln.Date(2024, 2, 1))
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.ErrorContains(t, err, `column "id" has type utf8, the schema says int64`)

	ftWrite(t, dir, map[string]string{"dt=2024-02-02/x.arrow": "ARROW1 not really"})
	_, _, err = ftRead(t, IPC(dir, WithSchema(full)), kiln.Date(2024, 2, 2))
	assert.ErrorContains(t, err, filepath.ToSlash(dir)+"/dt=2024-02-02/x.arrow: arrow ipc file")
}

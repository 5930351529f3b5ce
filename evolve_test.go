package kiln_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// evoSource is a source whose schema can change while its spec and version
// stay the same, as with an inferred schema: its committed partitions stay
// cache hits and are read back through the evolution rules.
type evoSource struct {
	schema *arrow.Schema
}

func (s *evoSource) Spec() kiln.Spec { return kiln.Spec{Name: "test.evo", Version: "1"} }

func (s *evoSource) Schema(*kiln.Context) (*arrow.Schema, error) { return s.schema, nil }

func (s *evoSource) SourceVersion(*kiln.Context) (string, error) { return "constant", nil }

// Read returns two rows per day; int64 columns hold day*10+row, float64
// columns half that, strings "<column><row>".
func (s *evoSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	d := ctx.Partition().Start().Day()
	mem := memory.DefaultAllocator
	cols := make([]arrow.Array, s.schema.NumFields())
	for i, f := range s.schema.Fields() {
		b := array.NewBuilder(mem, f.Type)
		for r := range 2 {
			v := int64(d*10 + r)
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(v)
			case *array.Float64Builder:
				b.Append(float64(v) / 2)
			case *array.StringBuilder:
				b.Append(fmt.Sprintf("%s%d", f.Name, r))
			}
		}
		cols[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(s.schema, cols, 2)
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return array.NewTableFromRecords(s.schema, []arrow.RecordBatch{rec}), nil
}

// passThrough copies its input: its output schema follows the source's.
type passThrough struct{}

func (passThrough) Spec() kiln.Spec { return kiln.Spec{Name: "test.pass", Version: "1"} }

func (passThrough) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) { return in[0], nil }

func (passThrough) Apply(_ *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	in[0].Retain()
	return in[0], nil
}

func evoSchema(fields ...string) *arrow.Schema {
	var fs []arrow.Field
	for _, f := range fields {
		name, typ, _ := strings.Cut(f, ":")
		nullable := strings.HasSuffix(typ, "?")
		var dt arrow.DataType
		switch strings.TrimSuffix(typ, "?") {
		case "int64":
			dt = arrow.PrimitiveTypes.Int64
		case "float64":
			dt = arrow.PrimitiveTypes.Float64
		default:
			dt = arrow.BinaryTypes.String
		}
		fs = append(fs, arrow.Field{Name: name, Type: dt, Nullable: nullable})
	}
	return arrow.NewSchema(fs, nil)
}

// evoRun runs bronze.s (the source, possibly wrapped) and gold.window (a
// two-day lookback over it) for one day.
func evoRun(t *testing.T, lake string, src kiln.Source, d int) (*kiln.Result, error) {
	t.Helper()
	p := kiln.New("evo", kiln.WithLake(lake), kiln.WithLogger(discard()))
	s := p.Source("bronze.s", src)
	p.Transform("gold.window", passThrough{}, kiln.Lookback(s, 2*kiln.Day))
	return p.Run(t.Context(), kiln.Date(2024, 1, d))
}

func evoVersion(t *testing.T, lake string, d int) kiln.SchemaVersion {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(lake, "bronze", "s", fmt.Sprintf("dt=2024-01-%02d", d), "_kiln", "manifest.json"))
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	var v kiln.SchemaVersion
	require.NoError(t, json.Unmarshal(m.Extra[kiln.SchemaExtraKey], &v))
	return v
}

// windowRows renders gold.window's rows of the last run.
func windowRows(t *testing.T, lake string, d int) []string {
	t.Helper()
	path := filepath.Join(lake, "gold", "window", fmt.Sprintf("dt=2024-01-%02d", d))
	b, err := os.ReadFile(filepath.Join(path, "_kiln", "manifest.json"))
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	var out []string
	for _, f := range m.Schema {
		out = append(out, f.Name+":"+f.Type)
	}
	return out
}

func TestSchemaEvolutionAddedColumn(t *testing.T) {
	lake := t.TempDir()
	_, err := evoRun(t, lake, &evoSource{evoSchema("id:int64", "name:utf8")}, 1)
	require.NoError(t, err)
	assert.Equal(t, kiln.SchemaVersion{Version: 1}, evoVersion(t, lake, 1))

	_, err = evoRun(t, lake, &evoSource{evoSchema("id:int64", "name:utf8")}, 2)
	require.NoError(t, err)
	assert.Equal(t, kiln.SchemaVersion{Version: 1}, evoVersion(t, lake, 2), "an unchanged schema keeps its version")

	res, err := evoRun(t, lake, &evoSource{evoSchema("id:int64", "name:utf8", "score:float64?")}, 3)
	require.NoError(t, err)
	v := evoVersion(t, lake, 3)
	assert.Equal(t, 2, v.Version)
	assert.Equal(t, "dt=2024-01-02", v.Since)
	assert.Equal(t, []string{`column "score": added (float64, nullable)`}, v.Changes)
	assert.Equal(t, []string{"id:int64", "name:utf8", "score:float64"}, windowRows(t, lake, 3))
	for _, n := range res.Nodes {
		if n.Node == "bronze.s" && n.Partition == kiln.Date(2024, 1, 2) {
			assert.Equal(t, kiln.StatusCached, n.Status, "the older partition is reused and read back with nulls")
		}
	}
	tbl := readWindow(t, lake, 3)
	assert.Equal(t, []string{"20|name0|(null)", "21|name1|(null)", "30|name0|15", "31|name1|15.5"}, tbl)
}

// readWindow reads gold.window's committed partition.
func readWindow(t *testing.T, lake string, d int) []string {
	t.Helper()
	dir := filepath.Join(lake, "gold", "window", fmt.Sprintf("dt=2024-01-%02d", d))
	tbl, err := readParquetDir(t, dir)
	require.NoError(t, err)
	return tbl
}

func TestSchemaEvolutionIncompatible(t *testing.T) {
	cases := []struct {
		name     string
		from, to []string
		mapping  kiln.SchemaMapping
		problem  string
		rows     []string // gold.window with the mapping
	}{
		{"removed", []string{"id:int64", "name:utf8"}, []string{"id:int64"},
			kiln.SchemaMapping{Dropped: []string{"name"}}, `column "name": removed (was utf8)`,
			[]string{"10", "11", "20", "21"}},
		{"renamed", []string{"id:int64", "user:utf8"}, []string{"id:int64", "user_id:utf8"},
			kiln.SchemaMapping{Renamed: map[string]string{"user": "user_id"}}, `column "user": removed (was utf8); renamed to "user_id"?`,
			[]string{"10|user0", "11|user1", "20|user_id0", "21|user_id1"}},
		{"retyped", []string{"id:int64", "v:int64"}, []string{"id:int64", "v:float64"},
			kiln.SchemaMapping{Retyped: []string{"v"}}, `column "v": type changed from int64 to float64`,
			[]string{"10|10", "11|11", "20|10", "21|10.5"}},
		{"added required", []string{"id:int64"}, []string{"id:int64", "v:int64"},
			kiln.SchemaMapping{}, `column "v": added as non-nullable`, nil},
		{"became required", []string{"id:int64", "v:int64?"}, []string{"id:int64", "v:int64"},
			kiln.SchemaMapping{}, `column "v": became non-nullable`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lake := t.TempDir()
			_, err := evoRun(t, lake, &evoSource{evoSchema(tc.from...)}, 1)
			require.NoError(t, err)

			_, err = evoRun(t, lake, &evoSource{evoSchema(tc.to...)}, 2)
			require.Error(t, err)
			assert.True(t, errors.Is(err, kiln.ErrSchemaMismatch), "%v", err)
			assert.ErrorContains(t, err, tc.problem)
			assert.ErrorContains(t, err, "since partition dt=2024-01-01 (schema version 1)")
			_, statErr := os.Stat(filepath.Join(lake, "bronze", "s", "dt=2024-01-02"))
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "nothing is committed")
			if tc.rows == nil {
				return
			}
			_, err = evoRun(t, lake, kiln.MapSchema(&evoSource{evoSchema(tc.to...)}, tc.mapping), 2)
			require.NoError(t, err)
			assert.Equal(t, 2, evoVersion(t, lake, 2).Version)
			assert.Equal(t, tc.rows, readWindow(t, lake, 2))
		})
	}
}

func TestSchemaEvolutionDropAndAdd(t *testing.T) {
	lake := t.TempDir()
	_, err := evoRun(t, lake, &evoSource{evoSchema("id:int64", "v:int64")}, 1)
	require.NoError(t, err)
	_, err = evoRun(t, lake, kiln.MapSchema(&evoSource{evoSchema("id:int64", "w:int64?")}, kiln.SchemaMapping{Dropped: []string{"v"}}), 2)
	require.NoError(t, err)
	assert.Equal(t, []string{`column "v": dropped (was int64)`, `column "w": added (int64, nullable)`}, evoVersion(t, lake, 2).Changes)
	assert.Equal(t, []string{"10|(null)", "11|(null)", "20|20", "21|21"}, readWindow(t, lake, 2))

	// Without the mapping, the partition committed before the drop cannot
	// be read back in the new shape.
	_, err = evoRun(t, lake, &evoSource{evoSchema("id:int64", "w:int64?")}, 2)
	require.NoError(t, err, "dt=02 is unchanged")
	_, err = evoRun(t, lake, kiln.MapSchema(&evoSource{evoSchema("id:int64", "w:int64?")}, kiln.SchemaMapping{}), 3)
	require.NoError(t, err, "dt=03's window holds dt=02 and dt=03 only")
	p := kiln.New("evo", kiln.WithLake(lake), kiln.WithLogger(discard()))
	s := p.Source("bronze.s", &evoSource{evoSchema("id:int64", "w:int64?")})
	p.Transform("gold.window3", passThrough{}, kiln.Lookback(s, 3*kiln.Day))
	_, err = p.Run(t.Context(), kiln.Date(2024, 1, 3))
	require.Error(t, err)
	assert.True(t, errors.Is(err, kiln.ErrSchemaMismatch), "%v", err)
	assert.ErrorContains(t, err, `bronze.s partition dt=2024-01-01`)
	assert.ErrorContains(t, err, `column "v" is not in the plan`)
}

// readParquetDir renders a committed partition's rows as "v1|v2|..."
// strings, nulls as "(null)".
func readParquetDir(t *testing.T, dir string) ([]string, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_kiln", "manifest.json"))
	if err != nil {
		return nil, err
	}
	m, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range m.Files {
		tbl, err := pq.ReadFile(t.Context(), filepath.Join(dir, f.Path), pq.ReadOptions{})
		if err != nil {
			return nil, err
		}
		cols := make([][]string, tbl.NumCols())
		for c := range cols {
			for _, ch := range tbl.Column(c).Data().Chunks() {
				for i := range ch.Len() {
					cols[c] = append(cols[c], ch.ValueStr(i))
				}
			}
		}
		for r := range int(tbl.NumRows()) {
			cells := make([]string, len(cols))
			for c := range cols {
				cells[c] = cols[c][r]
			}
			out = append(out, strings.Join(cells, "|"))
		}
		tbl.Release()
	}
	return out, nil
}

// A source whose column "user" became "user_id": the mapping lets the run
// pass the schema contract, and older partitions read back under the new
// name.
func ExampleMapSchema() {
	var src kiln.Source = &evoSource{evoSchema("id:int64", "user_id:utf8")}
	src = kiln.MapSchema(src, kiln.SchemaMapping{Renamed: map[string]string{"user": "user_id"}})
	_, versioned := src.(kiln.SourceVersioner)
	fmt.Println(src.(kiln.SchemaMapper).SchemaMapping().Renamed, versioned)
	// Output:
	// map[user:user_id] true
}

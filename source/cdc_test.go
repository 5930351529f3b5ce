package source_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/source"
)

var cdcUserImage = arrow.StructOf(
	arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
)

var cdcEnvelopeSchema = arrow.NewSchema([]arrow.Field{
	{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "lsn", Type: arrow.PrimitiveTypes.Int64},
	{Name: "before", Type: cdcUserImage, Nullable: true},
	{Name: "after", Type: cdcUserImage, Nullable: true},
}, nil)

// cdcEnvelopeEvents exercises every rule: out-of-order and duplicate events, an
// update that changes the key, a delete, a tombstone, a re-create.
var cdcEnvelopeEvents = []string{
	`{"op": "c", "lsn": 1, "before": null, "after": {"id": 1, "name": "ann"}}`,
	`{"op": "c", "lsn": 2, "before": null, "after": {"id": 2, "name": "bob"}}`,
	`{"op": "u", "lsn": 4, "before": {"id": 1, "name": "ann"}, "after": {"id": 1, "name": "ann2"}}`,
	`{"op": "c", "lsn": 3, "before": null, "after": {"id": 3, "name": "cy"}}`,
	`{"op": "u", "lsn": 4, "before": {"id": 1, "name": "ann"}, "after": {"id": 1, "name": "ann2"}}`,
	`{"op": "d", "lsn": 5, "before": {"id": 2, "name": "bob"}, "after": null}`,
	`{"op": "u", "lsn": 6, "before": {"id": 3, "name": "cy"}, "after": {"id": 30, "name": "cy"}}`,
	`{"op": null, "lsn": 6, "before": null, "after": null}`,
	`{"op": "r", "lsn": 7, "before": null, "after": {"id": 2, "name": "bob2"}}`,
}

// cdcEventsTable builds a table of the events split into chunks of the given
// sizes.
func cdcEventsTable(t *testing.T, schema *arrow.Schema, events []string, chunks ...int) arrow.Table {
	t.Helper()
	var parts []string
	for _, n := range chunks {
		parts = append(parts, "["+strings.Join(events[:n], ",")+"]")
		events = events[n:]
	}
	parts = append(parts, "["+strings.Join(events, ",")+"]")
	tbl, err := array.TableFromJSON(memory.DefaultAllocator, schema, parts)
	require.NoError(t, err)
	t.Cleanup(tbl.Release)
	return tbl
}

func cdcApply(t *testing.T, cfg source.CDCConfig, in arrow.Table) (arrow.Table, error) {
	t.Helper()
	tr := source.ApplyChanges(cfg)
	schema, err := tr.OutputSchema([]*arrow.Schema{in.Schema()})
	if err != nil {
		return nil, err
	}
	out, err := tr.Apply(kiln.NewContext(context.Background(), "cdc", kiln.All), []arrow.Table{in})
	if err != nil {
		return nil, err
	}
	t.Cleanup(out.Release)
	require.True(t, schema.Equal(out.Schema()))
	return out, nil
}

func TestApplyChangesEnvelope(t *testing.T) {
	cfg := source.CDCConfig{Key: []string{"id"}, Seq: []string{"lsn"}}
	var hashes []digest.Sum
	for _, chunks := range [][]int{nil, {1, 4}, {3, 3, 2}} {
		out, err := cdcApply(t, cfg, cdcEventsTable(t, cdcEnvelopeSchema, cdcEnvelopeEvents, chunks...))
		require.NoError(t, err)
		assert.Equal(t, []string{"1|ann2", "2|bob2", "30|cy"}, sqlRows(t, out))
		h, err := digest.Table(out)
		require.NoError(t, err)
		hashes = append(hashes, h)
	}
	assert.Equal(t, hashes[0], hashes[1])
	assert.Equal(t, hashes[0], hashes[2])

	// Without Seq, input order: lsn 3 (create 3) and 4 swap harmlessly; a
	// truncate clears everything before it.
	trunc := append(append([]string{}, cdcEnvelopeEvents...),
		`{"op": "t", "lsn": 8, "before": null, "after": null}`,
		`{"op": "c", "lsn": 9, "before": null, "after": {"id": 9, "name": "zed"}}`)
	out, err := cdcApply(t, source.CDCConfig{Key: []string{"id"}}, cdcEventsTable(t, cdcEnvelopeSchema, trunc))
	require.NoError(t, err)
	assert.Equal(t, []string{"9|zed"}, sqlRows(t, out))
}

func TestApplyChangesErrors(t *testing.T) {
	cfg := source.CDCConfig{Key: []string{"id"}, Seq: []string{"lsn"}}
	for _, c := range []struct {
		event, want string
	}{
		{`{"op": "x", "lsn": 1, "before": null, "after": {"id": 1, "name": "a"}}`, `row 2: unknown op "x"`},
		{`{"op": "update", "lsn": 1, "before": null, "after": {"id": 1, "name": "a"}}`, `row 2: unknown op "update"`},
		{`{"op": "c", "lsn": 1, "before": null, "after": null}`, "row 2: op 'c' without an after image"},
		{`{"op": "d", "lsn": 1, "before": null, "after": null}`, "row 2: delete without a before or after image"},
		{`{"op": "c", "lsn": 1, "before": null, "after": {"id": null, "name": "a"}}`, `row 2: key column "id" is null`},
	} {
		in := cdcEventsTable(t, cdcEnvelopeSchema, []string{cdcEnvelopeEvents[0], c.event})
		_, err := cdcApply(t, cfg, in)
		require.Error(t, err, c.event)
		assert.Contains(t, err.Error(), c.want)
	}

	for _, c := range []struct {
		cfg  source.CDCConfig
		want string
	}{
		{source.CDCConfig{Key: []string{"nope"}}, `column "nope": missing from the row image`},
		{source.CDCConfig{Key: []string{"id"}, Seq: []string{"ts"}}, `column "ts": missing (CDC sequence)`},
		{source.CDCConfig{Key: []string{"id"}, Op: "lsn"}, `column "lsn": has type int64, want utf8`},
		{source.CDCConfig{}, "Key is empty"},
	} {
		_, err := source.ApplyChanges(c.cfg).OutputSchema([]*arrow.Schema{cdcEnvelopeSchema})
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
}

// A change table in SQLite (the flat layout), applied by a CDC source.
func TestCDCSourceOverSQLChangeTable(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE changes (seq INTEGER, op TEXT, id INTEGER, name TEXT, score REAL)")
	for _, e := range [][]any{
		{1, "c", 10, "ann", 1.5},
		{2, "c", 20, "bob", 2.5},
		{4, "d", 10, nil, nil},
		{3, "u", 10, "ann", 3.5},
		{5, "c", 5, "eve", 0.5},
		{6, "u", 20, "bob", 9.0},
	} {
		sqlExec(t, db, "INSERT INTO changes VALUES (?, ?, ?, ?, ?)", e...)
	}
	src := source.CDC(source.SQL(db, "SELECT seq, op, id, name, score FROM changes", source.SQLOrderBy("seq")),
		source.CDCConfig{Key: []string{"id"}, Seq: []string{"seq"}})
	schema, err := src.Schema(kiln.NewContext(t.Context(), "cdc", kiln.All))
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "name", "score"}, cdcFieldNames(schema))
	out, _, err := sqlRead(t, src, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []string{"5|eve|0.5", "20|bob|9"}, sqlRows(t, out))

	spec := sqlJSON(t, src.Spec())
	assert.Contains(t, spec, `"Name":"source.sql"`)
	assert.Contains(t, spec, `"key":["id"]`)
}

// Change events landed incrementally into daily partitions, then applied over
// every landed partition: the current state.
func TestCDCFromIncrementallyLandedEvents(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE changes (seq INTEGER, op TEXT, id INTEGER, name TEXT)")
	lakeDir := t.TempDir()
	landing := kiln.New("land", kiln.WithLake(lakeDir), kiln.WithLogger(sqlQuiet()))
	landing.Source("bronze.user_changes", source.SQL(db, "SELECT seq, op, id, name FROM changes", source.Incremental("seq")))
	state := kiln.New("state", kiln.WithLake(lakeDir), kiln.WithLogger(sqlQuiet()))
	state.Source("silver.users", source.CDC(source.Parquet(filepath.Join(lakeDir, "bronze", "user_changes")),
		source.CDCConfig{Key: []string{"id"}, Seq: []string{"seq"}})).Unpartitioned()

	days := [][][]any{
		{{1, "c", 1, "ann"}, {2, "c", 2, "bob"}},
		{{3, "u", 1, "ann2"}, {4, "d", 2, nil}, {5, "c", 3, "cy"}},
		{{6, "c", 2, "bob2"}},
	}
	want := [][]string{{"1|ann", "2|bob"}, {"1|ann2", "3|cy"}, {"1|ann2", "2|bob2", "3|cy"}}
	for d, events := range days {
		for _, e := range events {
			sqlExec(t, db, "INSERT INTO changes VALUES (?, ?, ?, ?)", e...)
		}
		_, err := landing.Run(t.Context(), kiln.Date(2024, 3, 1+d))
		require.NoError(t, err)
		_, err = state.Run(t.Context(), kiln.All)
		require.NoError(t, err)
		assert.Equal(t, want[d], sqlCommitted(t, lakeDir, "silver.users", kiln.All), "day %d", d+1)
	}
}

func cdcFieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestCSVExplicitSchema(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"events.csv": "" +
		"id,name,amount,ok,ts\r\n" +
		"1,plain,1.5,true,2024-01-30T10:00:00Z\r\n" +
		"2,\"with, comma\",,false,2024-01-30 10:00:01.25\r\n" +
		"3,\"say \"\"hi\"\"\",-2e3,T,2024-01-30T12:00:00+02:00\r\n" +
		"\r\n" +
		"4,\"multi\nline\",NaN,0,2024-01-30\r\n" +
		"5,\"\",7,1,\n"})
	s := CSV(filepath.Join(dir, "events.csv"), WithSchema(ftSchema(
		ftField("id", ftI64, false), ftField("name", ftStr, true), ftField("amount", ftF64, true),
		ftField("ok", arrow.FixedWidthTypes.Boolean, true), ftField("ts", ftTS, true))))
	tbl, rej := ftMust(t, s, kiln.All)
	assert.Empty(t, rej)
	assert.Equal(t, []string{
		`1|plain|1.5|true|2024-01-30T10:00:00Z`,
		`2|with, comma|(null)|false|2024-01-30T10:00:01.25Z`,
		`3|say "hi"|-2000|true|2024-01-30T10:00:00Z`,
		"4|multi\nline|NaN|false|2024-01-30T00:00:00Z",
		`5||7|true|(null)`,
	}, ftRows(tbl))
}

func TestCSVInference(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{
		"a/old.csv": "x\n1\n",
		"b/new.csv": "i,f,b,d,ts,s,empty\n" +
			"1,1,true,2024-01-01,2024-01-01T00:00:00Z,a,\n" +
			"-2,2.5,FALSE,2024-02-29,2024-01-01,1,\n" +
			",,,,,\"\",\n",
	})
	s := CSV(dir + "/**/*.csv")
	ctx := kiln.NewContext(t.Context(), "bronze.x", kiln.All)
	sc, err := s.Schema(ctx)
	require.NoError(t, err)
	assert.Equal(t, "schema:\n  fields: 7\n"+
		"    - i: type=int64, nullable\n    - f: type=float64, nullable\n    - b: type=bool, nullable\n"+
		"    - d: type=date32, nullable\n    - ts: type=timestamp[us, tz=UTC], nullable\n"+
		"    - s: type=utf8, nullable\n    - empty: type=utf8, nullable", sc.String())

	// Inference is deterministic and recorded with every partition.
	sc2, err := CSV(dir + "/**/*.csv").Schema(ctx)
	require.NoError(t, err)
	assert.True(t, sc.Equal(sc2))
	_, _, inferred, err := s.read(ctx, kiln.All, ctx.Allocator())
	require.Error(t, err, "old.csv has a column outside the inferred schema")
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.Nil(t, inferred)

	s = CSV(dir + "/b/*.csv")
	_, err = s.Schema(ctx)
	require.NoError(t, err)
	tbl, _, inferred, err := s.read(ctx, kiln.All, ctx.Allocator())
	require.NoError(t, err)
	defer tbl.Release()
	rec := inferred.(InferredSchema)
	assert.Equal(t, 3, rec.Rows)
	assert.Equal(t, filepath.ToSlash(dir)+"/b/new.csv", rec.File)
	assert.Equal(t, "timestamp[us,UTC]", rec.Fields[4].Type)
	assert.Equal(t, "(null)|(null)|(null)|(null)|(null)||(null)", ftRows(tbl)[2])
}

func TestCSVNoHeaderDelimiterNulls(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"x.tsv": "1;NA;a\n2;3;NA\n3;;\"NA\"\n"})
	s := CSV(dir+"/x.tsv", NoHeader(), Delimiter(';'), NullValues("NA"))
	tbl, _ := ftMust(t, s, kiln.All)
	assert.Equal(t, "c1", tbl.Schema().Field(0).Name)
	assert.Equal(t, []string{"1|(null)|a", "2|3|(null)", "3||NA"}, ftRows(tbl), "an empty field is not null when NullValues omits it; a quoted marker is text")
	assert.Equal(t, ftStr, tbl.Schema().Field(1).Type, "the empty string is not an int")
}

func TestCSVBadRecords(t *testing.T) {
	schema := ftSchema(ftField("id", ftI64, false), ftField("name", ftStr, true), ftField("n", ftI64, true))
	cases := []struct {
		name, line string
		where      string
		reason     string
	}{
		{"wrong type", `2,b,x7`, ":3:5", `column "n": cannot parse "x7" as int64`},
		{"too few fields", `2,b`, ":3", "record has 2 fields, want 3"},
		{"too many fields", `2,b,3,4`, ":3", "record has 4 fields, want 3"},
		{"null in non-nullable", `,b,3`, ":3:1", `column "id": null value in a non-nullable column`},
		{"bare quote", `2,a"b,3`, ":3:3", `column "name": bare quote`},
		{"text after quote", `2,"a"b,3`, ":3:6", `unexpected 'b' after a closing quote`},
		{"overflow", `99999999999999999999,b,3`, ":3:1", `cannot parse "99999999999999999999" as int64`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			content := "id,name,n\n1,a,1\n" + tc.line + "\n3,c,3\n"
			ftWrite(t, dir, map[string]string{"in.csv": content})
			file := filepath.ToSlash(filepath.Join(dir, "in.csv"))

			_, _, err := ftRead(t, CSV(file, WithSchema(schema)), kiln.All)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadRecord)
			assert.Contains(t, err.Error(), file+tc.where)
			assert.Contains(t, err.Error(), tc.reason)

			tbl, rej := ftMust(t, CSV(file, WithSchema(schema), OnBadRecord(Reject)), kiln.All)
			assert.Equal(t, []string{"1|a|1", "3|c|3"}, ftRows(tbl))
			require.Len(t, rej, 1)
			assert.Equal(t, file+tc.where, rej[0].Where)
			assert.Contains(t, rej[0].Reason, tc.reason)
			assert.Equal(t, tc.line, rej[0].Raw)
		})
	}
}

func TestCSVUnterminatedQuote(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"in.csv": "id,name\n1,a\n2,\"open\n3,c\n"})
	s := CSV(dir+"/in.csv", WithSchema(ftSchema(ftField("id", ftI64, true), ftField("name", ftStr, true))), OnBadRecord(Reject))
	tbl, rej := ftMust(t, s, kiln.All)
	assert.Equal(t, []string{"1|a"}, ftRows(tbl))
	require.Len(t, rej, 1)
	assert.Equal(t, "unterminated quoted field", rej[0].Reason)
	assert.True(t, strings.HasSuffix(rej[0].Where, "in.csv:3:3"), rej[0].Where)
}

func TestCSVHeaderContract(t *testing.T) {
	schema := ftSchema(ftField("id", ftI64, false), ftField("user_id", ftStr, true), ftField("score", ftF64, true))
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{
		"missing.csv": "id,user_id\n1,u1\n",
		"extra.csv":   "id,user_id,score,debug\n1,u1,2,x\n",
		"renamed.csv": "score,user,id\n2.5,u9,9\n",
		"noid.csv":    "user_id\nu1\n",
	})
	tbl, _ := ftMust(t, CSV(dir+"/missing.csv", WithSchema(schema)), kiln.All)
	assert.Equal(t, []string{"1|u1|(null)"}, ftRows(tbl), "a missing nullable column is null")

	_, _, err := ftRead(t, CSV(dir+"/extra.csv", WithSchema(schema)), kiln.All)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.ErrorContains(t, err, `column "debug" is not in the schema`)
	tbl, _ = ftMust(t, CSV(dir+"/extra.csv", WithSchema(schema), WithMapping(kiln.SchemaMapping{Dropped: []string{"debug"}})), kiln.All)
	assert.Equal(t, []string{"1|u1|2"}, ftRows(tbl))

	tbl, _ = ftMust(t, CSV(dir+"/renamed.csv", WithSchema(schema), WithMapping(kiln.SchemaMapping{Renamed: map[string]string{"user": "user_id"}})), kiln.All)
	assert.Equal(t, []string{"9|u9|2.5"}, ftRows(tbl), "columns are matched by name, through renames")

	_, _, err = ftRead(t, CSV(dir+"/noid.csv", WithSchema(schema)), kiln.All)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.ErrorContains(t, err, `non-nullable column "id" is missing`)

	tbl, _ = ftMust(t, CSV(dir+"/extra.csv", WithSchema(schema), WithMapping(kiln.SchemaMapping{Dropped: []string{"debug"}}), Columns("score", "id")), kiln.All)
	assert.Equal(t, []string{"2|1"}, ftRows(tbl), "projection")
}

func TestCSVGzipAndBOM(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	_, _ = z.Write([]byte("\xef\xbb\xbfid\n1\n2\n"))
	require.NoError(t, z.Close())
	ftWrite(t, dir, map[string]string{"x.csv.gz": buf.String()})
	tbl, _ := ftMust(t, CSV(dir), kiln.All)
	assert.Equal(t, "id", tbl.Schema().Field(0).Name)
	assert.Equal(t, []string{"1", "2"}, ftRows(tbl))
}

func TestCSVOptionErrors(t *testing.T) {
	ctx := kiln.NewContext(t.Context(), "x", kiln.All)
	_, err := NDJSON("x", Delimiter(';'), WithSchema(ftSchema(ftField("a", ftI64, true)))).Schema(ctx)
	assert.ErrorContains(t, err, "option Delimiter does not apply to ndjson sources")
	_, err = CSV("x", Delimiter('"')).Schema(ctx)
	assert.ErrorContains(t, err, "CSV delimiter")
	_, err = CSV("x", OnBadRecord("ignore")).Schema(ctx)
	assert.ErrorContains(t, err, `bad-record policy "ignore"`)
	_, err = CSV("x", WithSchema(ftSchema(ftField("m", arrow.MapOf(ftStr, ftStr), true)))).Schema(ctx)
	require.NoError(t, err, "the type is checked when a file is read")
}

// TestCSVBlockBoundaries reads records that straddle the parser's block
// boundary and compares with a reference.
func TestCSVBlockBoundaries(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,text\n")
	var want []string
	for i := 0; b.Len() < 3*blockSize; i++ {
		text := strings.Repeat("x", i%97)
		if i%5 == 0 {
			text = "a \"quoted\"\nline " + text
		}
		fmt.Fprintf(&b, "%d,\"%s\"\n", i, strings.ReplaceAll(text, `"`, `""`))
		want = append(want, fmt.Sprintf("%d|%s", i, text))
	}
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"big.csv": b.String()})
	tbl, _ := ftMust(t, CSV(dir+"/big.csv", WithSchema(ftSchema(ftField("id", ftI64, false), ftField("text", ftStr, false)))), kiln.All)
	got := ftRows(tbl)
	require.Equal(t, len(want), len(got))
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("row %d: got %q, want %q", i, got[i], want[i])
		}
	}
	assert.Greater(t, len(tbl.Column(0).Data().Chunks()), 1, "rows come in batches")
}

func TestCSVNoFiles(t *testing.T) {
	dir := t.TempDir()
	s := CSV(dir+"/*.csv", WithSchema(ftSchema(ftField("a", ftI64, true))))
	_, _, err := ftRead(t, s, kiln.All)
	assert.True(t, errors.Is(err, kiln.ErrNoPartition), "%v", err)
	_, err = CSV(dir + "/*.csv").Schema(kiln.NewContext(t.Context(), "x", kiln.All))
	assert.ErrorContains(t, err, "no files to take the schema from")
}

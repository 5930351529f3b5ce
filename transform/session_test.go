package transform

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

func sessionTestTable(t testing.TB) arrow.Table {
	s := keyedSchema("user", arrow.BinaryTypes.String, "ts", keyedTS, "page", arrow.BinaryTypes.String)
	return keyedTable(t, s, 3,
		[]any{"u1", "2024-01-01 10:00", "home"},
		[]any{"u2", "2024-01-01 10:05", "home"},
		[]any{"u1", "2024-01-01 10:20", "item"},
		[]any{"u1", "2024-01-01 10:50", "cart"}, // exactly 30 min later: same session
		[]any{"u1", "2024-01-01 11:21", "home"}, // 31 min later: new session
		[]any{"u1", "2024-01-01 10:10", "search"},
		[]any{"u2", nil, "lost"},
		[]any{nil, "2024-01-01 09:00", "anon"},
	)
}

var sessionCfg = Session{By: []string{"user"}, Time: "ts", Gap: 30 * time.Minute}

func TestSessionize(t *testing.T) {
	out := keyedApply(t, Sessionize(sessionCfg), sessionTestTable(t))
	assert.Equal(t, []string{"user", "ts", "page", "session_id", "session_start", "session_end", "session_events"}, fieldNames(out.Schema()))
	var got [][]any
	for _, r := range keyedRows(t, out) {
		got = append(got, append([]any{r[2]}, r[3:]...))
	}
	assert.Equal(t, [][]any{
		{"home", int64(1), "2024-01-01T10:00:00Z", "2024-01-01T10:50:00Z", int64(4)},
		{"home", int64(1), "2024-01-01T10:05:00Z", "2024-01-01T10:05:00Z", int64(1)},
		{"item", int64(1), "2024-01-01T10:00:00Z", "2024-01-01T10:50:00Z", int64(4)},
		{"cart", int64(1), "2024-01-01T10:00:00Z", "2024-01-01T10:50:00Z", int64(4)},
		{"home", int64(2), "2024-01-01T11:21:00Z", "2024-01-01T11:21:00Z", int64(1)},
		{"search", int64(1), "2024-01-01T10:00:00Z", "2024-01-01T10:50:00Z", int64(4)},
		{"lost", nil, nil, nil, nil},
		{"anon", int64(1), "2024-01-01T09:00:00Z", "2024-01-01T09:00:00Z", int64(1)},
	}, got)
}

func TestSessions(t *testing.T) {
	out := keyedApply(t, Sessions(sessionCfg), sessionTestTable(t))
	assert.Equal(t, []string{"user", "session_id", "session_start", "session_end", "session_events"}, fieldNames(out.Schema()))
	assert.Equal(t, [][]any{
		{"u1", int64(1), "2024-01-01T10:00:00Z", "2024-01-01T10:50:00Z", int64(4)},
		{"u1", int64(2), "2024-01-01T11:21:00Z", "2024-01-01T11:21:00Z", int64(1)},
		{"u2", int64(1), "2024-01-01T10:05:00Z", "2024-01-01T10:05:00Z", int64(1)},
		{nil, int64(1), "2024-01-01T09:00:00Z", "2024-01-01T09:00:00Z", int64(1)},
	}, keyedRows(t, out))
}

func TestSessionErrorsAndEmpty(t *testing.T) {
	in := sessionTestTable(t)
	_, err := keyedTry(Sessionize(Session{By: []string{"user"}, Time: "page", Gap: time.Minute}), in)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	_, err = keyedTry(Sessionize(Session{Time: "ts", Gap: -time.Minute}), in)
	assert.ErrorContains(t, err, "negative")
	_, err = keyedTry(Sessionize(Session{Time: "ts", Gap: time.Nanosecond}), in)
	assert.ErrorContains(t, err, "whole number")
	clash := keyedTable(t, keyedSchema("ts", keyedTS, "session_id", arrow.PrimitiveTypes.Int64), 0)
	_, err = keyedTry(Sessionize(Session{Time: "ts", Gap: time.Minute}), clash)
	assert.ErrorContains(t, err, "named twice")

	empty := keyedTable(t, in.Schema(), 0)
	assert.EqualValues(t, 0, keyedApply(t, Sessions(sessionCfg), empty).NumRows())
	assert.EqualValues(t, 0, keyedApply(t, Sessionize(sessionCfg), empty).NumRows())
}

func TestSessionizeRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 29))
	s := keyedSchema("k", arrow.PrimitiveTypes.Int64, "ts", keyedTS)
	n := 2000
	rows := make([][]any, n)
	for i := range rows {
		var ts any = r.IntN(2000)
		if r.IntN(50) == 0 {
			ts = nil
		}
		rows[i] = []any{r.IntN(15), ts}
	}
	const gap = 40
	out := keyedRows(t, keyedApply(t, Sessionize(Session{By: []string{"k"}, Time: "ts", Gap: gap * time.Microsecond}), keyedTable(t, s, 300, rows...)))
	for i, row := range rows {
		if row[1] == nil {
			assert.Equal(t, []any{nil, nil, nil, nil}, out[i][2:])
			continue
		}
		// Naive: split the entity's sorted times into sessions, then find
		// the one whose [start, end] holds the row's time.
		var times []int
		for _, o := range rows {
			if o[0] == row[0] && o[1] != nil {
				times = append(times, o[1].(int))
			}
		}
		slices.Sort(times)
		type sess struct{ start, end, cnt int }
		var ss []sess
		for j, u := range times {
			if j == 0 || u-times[j-1] > gap {
				ss = append(ss, sess{start: u})
			}
			ss[len(ss)-1].end = u
			ss[len(ss)-1].cnt++
		}
		t0 := row[1].(int)
		id := slices.IndexFunc(ss, func(x sess) bool { return x.start <= t0 && t0 <= x.end })
		start, end, cnt := ss[id].start, ss[id].end, ss[id].cnt
		id++
		ts := func(us int) string { return time.UnixMicro(int64(us)).UTC().Format(time.RFC3339Nano) }
		require.Equal(t, []any{int64(id), ts(start), ts(end), int64(cnt)}, out[i][2:], "row %d", i)
	}
}

func TestSessionLineageAndSameAtAnyParallelism(t *testing.T) {
	big := keyedBig(t, 210_000)
	cfg := Session{By: []string{"user"}, Time: "ts", Gap: 30 * time.Minute}
	keyedSameAtAnyParallelism(t, Sessionize(cfg), big)
	keyedSameAtAnyParallelism(t, Sessions(cfg), big)
	l, err := Sessions(cfg).ColumnLineage([]*arrow.Schema{big.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{ref(0, "ts", "DIRECT", "AGGREGATION"), ref(0, "user", "INDIRECT", "WINDOW")}, l["session_start"])
}

func TestSessionsGolden(t *testing.T) {
	transformtest.Golden(t, Sessions(sessionCfg), []arrow.Table{sessionTestTable(t)}, "testdata/sessions")
}

package kiln_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// lastFrame returns the lines of the last live frame written to out: from
// the last line starting with head.
func lastFrame(out, head string) []string {
	if i := strings.LastIndex(out, "\n"+head); i >= 0 {
		out = out[i+1:]
	} else if i := strings.LastIndex(out, "\x1b[J"+head); i >= 0 {
		out = out[i+len("\x1b[J"):]
	}
	out = strings.ReplaceAll(out, "\x1b[K", "")
	return strings.Split(strings.TrimRight(out, "\n"), "\n")
}

func TestProgressLiveRun(t *testing.T) {
	var buf bytes.Buffer
	prog := kiln.NewProgress(&buf, kiln.ProgressOptions{Mode: kiln.ProgressLive, NoColor: true, Interval: time.Hour, Width: 120})
	require.True(t, prog.Live())
	ct := newCLITest(t, kiln.WithListener(prog))
	prog.Expect(cliNodes, 1)
	_, err := ct.p.Run(t.Context(), kiln.Date(2024, 1, 5))
	require.NoError(t, err)
	require.NoError(t, prog.Close())

	frame := lastFrame(buf.String(), "clitest · ")
	require.Len(t, frame, 1+len(cliNodes), "a header and one line per node:\n%s", strings.Join(frame, "\n"))
	assert.Regexp(t, `^clitest · run dt=2024-01-05 · 4/4 nodes done · `, frame[0])
	for i, name := range cliNodes {
		line := frame[1+i]
		assert.Regexp(t, `^  ✓ `+regexp.QuoteMeta(name)+` `, line)
		assert.Regexp(t, `\d+ rows +[\d.]+k?/s +\d`, line, "rows, rows/s and time")
	}
	assert.Contains(t, frame[1], "3 computed", "bronze.clicks computed 3 partitions for the lookback")
	assert.Contains(t, frame[2], "computed")
}

func TestProgressLiveBackfillAndLogs(t *testing.T) {
	var buf bytes.Buffer
	prog := kiln.NewProgress(&buf, kiln.ProgressOptions{Mode: kiln.ProgressLive, NoColor: true, Interval: time.Hour})
	now := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	kiln.SetProgressClock(prog, func() time.Time { return now })
	prog.Expect([]string{"bronze.a", "gold.b"}, 4)
	runs := make([]*lineage.RunRecord, 4)
	for i := range runs {
		runs[i] = &lineage.RunRecord{RunID: string(rune('w' + i)), Pipeline: "p", Partition: kiln.Date(2024, 1, 1+i).String()}
		prog.RunStarted(runs[i])
	}
	finish := func(r *lineage.RunRecord, node, status string, rows int64) {
		n := &lineage.NodeRun{Node: node, Partition: r.Partition, Status: "running"}
		prog.NodeStarted(r, n)
		n2 := *n
		n2.Status, n2.Rows, n2.DurationMS = status, rows, 500
		if status == "failed" {
			n2.Error = "boom\nmore detail"
		}
		prog.NodeFinished(r, &n2)
	}
	finish(runs[0], "bronze.a", "computed", 1000)
	finish(runs[0], "gold.b", "computed", 10)
	now = now.Add(10 * time.Second)
	finish(runs[1], "bronze.a", "cached", 1000)
	prog.NodeStarted(runs[1], &lineage.NodeRun{Node: "gold.b", Partition: runs[1].Partition, Status: "running"})

	logs := prog.LogWriter()
	_, err := logs.Write([]byte("first log line\n"))
	require.NoError(t, err)
	_, err = logs.Write([]byte("second log line\n"))
	require.NoError(t, err)
	out := buf.String()
	i1, i2 := strings.Index(out, "first log line"), strings.Index(out, "second log line")
	require.True(t, i1 >= 0 && i2 > i1)
	assert.Contains(t, out[i1:i2], "backfill 4 partitions", "a frame is drawn under the log line")
	assert.Contains(t, out[i1:i2], "\r\x1b[", "and erased before the next one")

	frame := lastFrame(out, "p · ")
	assert.Regexp(t, `^p · backfill 4 partitions · 1 done · 10\.0s · ETA 30\.0s$`, frame[0])
	assert.Contains(t, frame[1], "25% (1/4)")
	assert.Regexp(t, `^  ◦ bronze\.a  2/4  1 computed · 1 cached +1,000 rows +2\.0k/s +500ms$`, frame[2], "rows and rows/s of what was computed")
	assert.Regexp(t, `^  [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] gold\.b    1/4  1 computed · running 0ms +10 rows`, frame[3])

	finish(runs[2], "bronze.a", "failed", 0)
	prog.NodeFinished(runs[2], &lineage.NodeRun{Node: "gold.b", Partition: runs[2].Partition, Status: "skipped", Error: "upstream"})
	_, _ = logs.Write([]byte("x\n"))
	frame = lastFrame(buf.String(), "p · ")
	assert.Regexp(t, `^p · backfill 4 partitions · 2 done, 1 failed`, frame[0])
	assert.Regexp(t, `^  ✗ bronze\.a .* boom$`, frame[2], "the first line of the error")
}

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	prog := kiln.NewProgress(&buf, kiln.ProgressOptions{Mode: kiln.ProgressPlain})
	require.False(t, prog.Live())
	ct := newCLITest(t, kiln.WithListener(prog))
	res, err := ct.p.Run(t.Context(), kiln.Date(2024, 1, 5))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var done int
	for _, l := range lines {
		if strings.Contains(l, `msg="node done"`) {
			done++
			assert.Regexp(t, `pipeline=clitest run_id=\S+ node=\S+ partition="dt=\S+" status=computed rows=\d+`, l)
		}
	}
	assert.Equal(t, len(res.Nodes), done, "one line per node partition")
	assert.Contains(t, lines[len(lines)-1], `msg="run done"`)
	assert.Contains(t, lines[len(lines)-1], "status=succeeded")
}

func TestProgressLiveRedrawsWhileRunning(t *testing.T) {
	var buf bytes.Buffer
	prog := kiln.NewProgress(&buf, kiln.ProgressOptions{Mode: kiln.ProgressLive, NoColor: true, Interval: 2 * time.Millisecond})
	prog.Expect([]string{"bronze.a"}, 1)
	run := &lineage.RunRecord{RunID: "r1", Pipeline: "p", Partition: "dt=2024-01-01"}
	prog.RunStarted(run)
	prog.NodeStarted(run, &lineage.NodeRun{Node: "bronze.a", Partition: run.Partition, Status: "running"})
	time.Sleep(30 * time.Millisecond)
	prog.NodeFinished(run, &lineage.NodeRun{Node: "bronze.a", Partition: run.Partition, Status: "computed", Rows: 5, DurationMS: 30})
	run.Status = lineage.RunSucceeded
	prog.RunFinished(run) // stops the ticker and draws the final frame
	out := buf.String()
	assert.GreaterOrEqual(t, strings.Count(out, "p · run dt=2024-01-01"), 3, "redrawn in place while running")
	assert.Contains(t, out, "running")
	frame := lastFrame(out, "p · ")
	assert.Regexp(t, `^p · run dt=2024-01-01 · 1/1 nodes done`, frame[0])
	assert.Regexp(t, `^  ✓ bronze\.a  computed  5 rows`, frame[1])
	n := len(out)
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, prog.Close())
	assert.Equal(t, n, buf.Len(), "nothing is drawn after the run finished")
}

package kiln_test

import (
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tableRows returns the lines of a printed table after its header line
// (the first line starting with header), up to the first empty line or
// line not starting with a node-ish name.
func tableRows(t *testing.T, out, header string) [][]string {
	t.Helper()
	var rows [][]string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, header):
			in = true
		case in && (l == "" || strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "report:") || strings.HasPrefix(l, "backfill ") || strings.HasPrefix(l, "failed:") || strings.HasPrefix(l, "reproducible")):
			in = false
		case in:
			rows = append(rows, strings.Fields(l))
		}
	}
	require.NotEmpty(t, rows, "no rows under %q in:\n%s", header, out)
	return rows
}

func TestCLIRunThenCached(t *testing.T) {
	ct := newCLITest(t)
	r := ct.run(t, "run", "--partition", "2024-01-05", "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Regexp(t, `^run [0-9a-f-]{36}  clitest dt=2024-01-05  succeeded in `, r.stdout)
	rows := tableRows(t, r.stdout, "NODE")
	// The lookback reads bronze.clicks for 3 days; every other node once.
	require.Len(t, rows, 6)
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row[0]] = true
		assert.Equal(t, "computed", row[2], row)
	}
	for _, n := range cliNodes {
		assert.True(t, seen[n], "node %s listed", n)
	}
	assert.DirExists(t, filepath.Join(ct.lake, "silver", "clicks", "dt=2024-01-05"), "--lake is where the run commits")
	assert.NoDirExists(t, ct.def, "the pipeline's own lake is not touched")

	r = ct.run(t, "run", "--partition", "dt=2024-01-05", "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	for _, row := range tableRows(t, r.stdout, "NODE") {
		assert.Equal(t, "cached", row[2], row)
	}
	r = ct.run(t, "run", "--partition", "2024-01-05", "--force", "--target", "silver.clicks", "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	rows = tableRows(t, r.stdout, "NODE")
	require.Len(t, rows, 2, "the target and what it reads")
	assert.Equal(t, []string{"bronze.clicks", "silver.clicks"}, []string{rows[0][0], rows[1][0]})
	assert.Equal(t, "computed", rows[1][2], "forced: recomputed")
}

func TestCLIExitCodes(t *testing.T) {
	ct := newCLITest(t)
	require.Equal(t, kiln.ExitOK, ct.run(t, "run", "--partition", "2024-01-05", "--progress", "off").code)
	tests := []struct {
		name string
		args []string
		code int
		err  string // in stderr
	}{
		{"no command", nil, kiln.ExitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, kiln.ExitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "--partition", "2024-01-05", "--nope"}, kiln.ExitUsage, "flag provided but not defined: -nope"},
		{"missing partition", []string{"run"}, kiln.ExitUsage, "--partition is required"},
		{"bad partition", []string{"run", "--partition", "yesterday"}, kiln.ExitUsage, "--partition"},
		{"extra argument", []string{"run", "--partition", "2024-01-05", "more"}, kiln.ExitUsage, "no arguments"},
		{"backfill without range", []string{"backfill", "--from", "2024-01-01"}, kiln.ExitUsage, "--from and --to are required"},
		{"backfill reversed", []string{"backfill", "--from", "2024-01-05", "--to", "2024-01-01"}, kiln.ExitUsage, "first is after last"},
		{"verify both", []string{"verify", "--partition", "2024-01-05", "--from", "2024-01-01", "--to", "2024-01-02"}, kiln.ExitUsage, "not both"},
		{"unknown target", []string{"run", "--partition", "2024-01-05", "--target", "gold.nope"}, kiln.ExitUsage, `target "gold.nope"`},
		{"bad log format", []string{"--log-format", "xml", "status"}, kiln.ExitUsage, "--log-format"},
		{"bad log level", []string{"status", "--log-level", "loud"}, kiln.ExitUsage, "--log-level"},
		{"bad progress", []string{"run", "--partition", "2024-01-05", "--progress", "fancy"}, kiln.ExitUsage, "--progress"},
		{"bad plan format", []string{"plan", "--format", "png"}, kiln.ExitUsage, "--format"},
		{"trace one arg", []string{"trace", "gold.clicks_3d"}, kiln.ExitUsage, "2 arguments"},
		{"quality bad dataset", []string{"quality", "../etc", "2024-01-05"}, kiln.ExitUsage, "dataset name"},
		{"trace not committed", []string{"trace", "gold.clicks_3d", "2024-02-01"}, kiln.ExitFailed, "not committed"},
		{"quality not committed", []string{"quality", "silver.clicks", "2024-02-01"}, kiln.ExitFailed, "not committed"},
		{"impact unknown dataset", []string{"impact", "gold.nope"}, kiln.ExitFailed, "not found"},
		{"report unknown run", []string{"report", "01234567-89ab-cdef-0123-456789abcdef"}, kiln.ExitFailed, "not found"},
		{"verify uncommitted", []string{"verify", "--partition", "2024-02-01"}, kiln.ExitFailed, "not reproducible"},
		{"help", []string{"help"}, kiln.ExitOK, ""},
		{"help command", []string{"help", "backfill"}, kiln.ExitOK, ""},
		{"help unknown", []string{"help", "nope"}, kiln.ExitUsage, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ct.run(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tt.err)
		})
	}
}

func TestCLIHelpOnEveryCommand(t *testing.T) {
	ct := newCLITest(t)
	r := ct.run(t, "--help")
	require.Equal(t, kiln.ExitOK, r.code)
	cmds := []string{"run", "backfill", "verify", "plan", "status", "trace", "impact", "quality", "report"}
	for _, c := range cmds {
		assert.Regexp(t, `(?m)^  `+c+` +\S`, r.stdout, "usage lists %s", c)
		for _, h := range []string{"--help", "-h"} {
			r := ct.run(t, c, h)
			require.Equal(t, kiln.ExitOK, r.code, "%s %s: %s", c, h, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, "Usage: clitest "+c+" "), r.stdout)
			assert.Contains(t, r.stdout, "Flags:")
			assert.Empty(t, r.stderr)
		}
	}
}

func TestCLIBackfillFailureAndResume(t *testing.T) {
	ct := newCLITest(t)
	ct.fail.Store("dt=2024-01-03")
	r := ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-04", "--parallel", "2", "--progress", "off")
	require.Equal(t, kiln.ExitFailed, r.code, r.stdout)
	rows := tableRows(t, r.stdout, "PARTITION")
	require.Len(t, rows, 4)
	status := map[string]string{}
	for _, row := range rows {
		status[row[0]] = row[1]
	}
	assert.Equal(t, map[string]string{"dt=2024-01-01": "succeeded", "dt=2024-01-02": "succeeded", "dt=2024-01-03": "failed", "dt=2024-01-04": "succeeded"}, status)
	assert.Contains(t, r.stdout, "failed: dt=2024-01-03")
	assert.Contains(t, r.stderr, "1 of 4 partitions failed")
	assert.Contains(t, r.stderr, "injected failure")

	ct.fail.Store("")
	r = ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-04", "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	for _, row := range tableRows(t, r.stdout, "PARTITION") {
		computed := row[2]
		if row[0] == "dt=2024-01-03" {
			assert.Equal(t, "1", computed, "only the failed node is computed on resume: %v", row)
		} else {
			assert.Equal(t, "0", computed, "committed partitions are cached on resume: %v", row)
		}
	}
	assert.Contains(t, r.stdout, "4 partitions, 4 succeeded, 0 failed")
}

func TestCLIProgressPlainOneLinePerNode(t *testing.T) {
	ct := newCLITest(t)
	r := ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-03", "--progress", "plain", "--log-format", "json")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	nodeParts := len(tableRows(t, r.stdout, "PARTITION")) // one per partition
	require.Equal(t, 3, nodeParts)
	type line struct {
		Msg, Level, Pipeline, RunID, Node, Partition, Status string
		Done, Total                                          int
	}
	var done, parts []line
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "every log line is JSON: %s", l)
		var ln line
		b, _ := json.Marshal(map[string]any{"Msg": m["msg"], "Level": m["level"], "Pipeline": m["pipeline"], "RunID": m["run_id"],
			"Node": m["node"], "Partition": m["partition"], "Status": m["status"], "Done": m["done"], "Total": m["total"]})
		require.NoError(t, json.Unmarshal(b, &ln))
		switch ln.Msg {
		case "node done":
			done = append(done, ln)
			assert.Equal(t, "clitest", ln.Pipeline)
			assert.NotEmpty(t, ln.RunID)
			assert.NotEmpty(t, ln.Partition)
			key := ln.Node + " " + ln.Partition
			assert.False(t, seen[key], "one line per node partition: %s", key)
			seen[key] = true
		case "partition done":
			parts = append(parts, ln)
			assert.Equal(t, 3, ln.Total)
		default:
			t.Errorf("unexpected log line (the engine's per-node lines are folded into progress): %s", l)
		}
	}
	// 3 partitions x 3 nodes, plus bronze.clicks for 5 days (the lookback
	// of the first partition reaches 2 days back).
	assert.Len(t, done, 3*3+5)
	require.Len(t, parts, 3)
	assert.Equal(t, 3, parts[2].Done)
}

func TestCLIVerify(t *testing.T) {
	ct := newCLITest(t)
	require.Equal(t, kiln.ExitOK, ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-02", "--progress", "off").code)
	r := ct.run(t, "verify", "--from", "2024-01-01", "--to", "2024-01-02", "--log-level", "warn")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "reproducible: ")
	for _, row := range tableRows(t, r.stdout, "NODE") {
		assert.Equal(t, "verified", row[2], row)
		assert.Equal(t, row[4], row[5], "content equals committed")
	}

	// A transform whose logic changed without a version bump.
	ct.salt.Store(1)
	r = ct.run(t, "verify", "--partition", "2024-01-02", "--log-level", "error")
	assert.Equal(t, kiln.ExitFailed, r.code, r.stdout)
	assert.Contains(t, r.stderr, `output not reproducible: first differing node "silver.clicks" partition dt=2024-01-02`)
	status := map[string]string{}
	for _, row := range tableRows(t, r.stdout, "NODE") {
		status[row[0]+" "+row[1]] = row[2]
	}
	assert.Equal(t, "verified", status["bronze.clicks dt=2024-01-02"])
	assert.Equal(t, "mismatch", status["silver.clicks dt=2024-01-02"])

	// A node that fails while verifying.
	ct.salt.Store(0)
	ct.fail.Store("dt=2024-01-02")
	r = ct.run(t, "verify", "--partition", "2024-01-02", "--log-level", "error")
	assert.Equal(t, kiln.ExitFailed, r.code, r.stdout)
	assert.Contains(t, r.stderr, "injected failure")
}

func TestCLIPlanFormats(t *testing.T) {
	ct := newCLITest(t)
	r := ct.run(t, "plan")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	for _, n := range cliNodes {
		assert.Contains(t, r.stdout, n)
	}
	assert.Contains(t, r.stdout, "check quality.not_null")

	for _, f := range []string{"mermaid", "dot"} {
		r := ct.run(t, "plan", "--format", f)
		require.Equal(t, kiln.ExitOK, r.code, r.stderr)
		golden(t, "plan."+f+".golden", r.stdout)
	}
}

func TestCLIStatusTraceImpactQuality(t *testing.T) {
	ct := newCLITest(t)
	require.Equal(t, kiln.ExitOK, ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-03", "--progress", "off").code)
	ct.fail.Store("dt=2024-01-04")
	require.Equal(t, kiln.ExitFailed, ct.run(t, "run", "--partition", "2024-01-04", "--progress", "off").code)

	r := ct.run(t, "status")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	rows := tableRows(t, r.stdout, "DATASET")
	require.Len(t, rows, 4)
	byName := map[string][]string{}
	for _, row := range rows {
		byName[row[0]] = row
	}
	assert.Equal(t, "dt=2024-01-04", byName["silver.clicks"][1], "latest committed")
	assert.Equal(t, "dt=2024-01-03", byName["gold.user_totals"][1], "the failed partition is not committed")
	assert.Equal(t, "failed", byName["gold.user_totals"][6], "last run result")
	assert.Equal(t, "failed", byName["gold.user_totals"][7], "node status in it")
	assert.Equal(t, "computed", byName["silver.clicks"][7])

	r = ct.run(t, "status", "--format", "json")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	var st []struct {
		Dataset    string   `json:"dataset"`
		Latest     string   `json:"latest"`
		Rows       int64    `json:"rows"`
		Lag        *float64 `json:"freshness_lag_seconds"`
		RunStatus  string   `json:"run_status"`
		NodeStatus string   `json:"node_status"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Len(t, st, 4)
	assert.Equal(t, "bronze.clicks", st[0].Dataset)
	assert.Equal(t, int64(9+4), st[0].Rows, "rows of dt=2024-01-04")
	require.NotNil(t, st[0].Lag)
	assert.Greater(t, *st[0].Lag, 0.0, "2024 is in the past")

	r = ct.run(t, "trace", "gold.clicks_3d", "2024-01-03")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "gold.clicks_3d dt=2024-01-03"), r.stdout)
	assert.Contains(t, r.stdout, "sources (3):")
	for _, d := range []string{"01", "02", "03"} {
		assert.Contains(t, r.stdout, "lookback bronze.clicks dt=2024-01-"+d)
	}
	r = ct.run(t, "trace", "gold.user_totals", "dt=2024-01-02", "--format", "json")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	var tr struct {
		Sources []struct{ Dataset, Partition string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tr))
	require.Len(t, tr.Sources, 1)
	assert.Equal(t, "bronze.clicks", tr.Sources[0].Dataset)

	r = ct.run(t, "impact", "bronze.clicks")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "downstream of bronze.clicks: 3 datasets")
	r = ct.run(t, "impact", "bronze.clicks", "2024-01-02")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "3 partitions: dt=2024-01-02 dt=2024-01-03 dt=2024-01-04", "gold.clicks_3d reads it for 3 days")

	r = ct.run(t, "quality", "silver.clicks", "2024-01-02")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "NODE "), r.stdout)
	assert.Len(t, tableRows(t, r.stdout, "NODE"), 3+1, "three checks and the summary")
	assert.Contains(t, r.stdout, "3 checks: 3 passed, 0 failed, 0 warned, 0 quarantined; pass rate 100.0%")
	r = ct.run(t, "quality", "silver.clicks", "2024-01-02", "--format", "json")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	var q struct {
		Summary struct {
			Evaluated int     `json:"evaluated"`
			PassRate  float64 `json:"pass_rate"`
		} `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &q))
	assert.Equal(t, 3, q.Summary.Evaluated)
	assert.Equal(t, 1.0, q.Summary.PassRate)
	r = ct.run(t, "quality", "gold.user_totals", "2024-01-02")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 checks", "a node without checks")
}

func TestCLIMetricsServedDuringRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ct := newCLITest(t)
	r := ct.run(t, "backfill", "--from", "2024-01-01", "--to", "2024-01-02", "--metrics-addr", addr, "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "serving metrics")
	_, err = net.Dial("tcp", addr)
	assert.Error(t, err, "the server stops with the command")

	r = ct.run(t, "run", "--partition", "2024-01-01", "--metrics-addr", "127.0.0.1:notaport", "--progress", "off")
	assert.Equal(t, kiln.ExitUsage, r.code)
	assert.Contains(t, r.stderr, "--metrics-addr")
}

func TestMainArgsDoesNotModifyThePipeline(t *testing.T) {
	ct := newCLITest(t)
	require.Equal(t, kiln.ExitOK, ct.run(t, "run", "--partition", "2024-01-01", "--progress", "plain").code)
	assert.Equal(t, ct.def, ct.p.Lake())
	res, err := ct.p.Run(t.Context(), kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	assert.Equal(t, 6, res.Count(kiln.StatusComputed), "the pipeline's own lake is still empty")
	_, err = os.Stat(filepath.Join(ct.def, "silver", "clicks", "dt=2024-01-01"))
	assert.NoError(t, err)
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got, "%s differs; rerun with -update if the change is intended", path)
}

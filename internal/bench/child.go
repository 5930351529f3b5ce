package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"syscall"
	"time"
)

// childEnv names the environment variable that turns the binary (or the
// test binary) into a child running one job: its value is the job as JSON.
const childEnv = "KILN_FPB_JOB"

// job is one measured unit of work, run in its own process so each engine's
// peak RSS is its own.
type job struct {
	Engine     string `json:"engine"` // "kiln" or "duckdb"
	Work       string `json:"work"`   // "p1" or "p2"
	Data       string `json:"data"`   // the FPB data directory
	P1         string `json:"p1"`     // for p2: the P1 output to read
	Out        string `json:"out"`    // the Parquet file to write
	Threads    int    `json:"threads"`
	Dedupe     string `json:"dedupe,omitempty"` // DuckDB's P1 dedupe formulation
	CPUProfile string `json:"cpuprofile,omitempty"`
	// Env is added to the child's environment (e.g. GOMEMLIMIT=2GiB).
	Env []string `json:"-"`
}

// outcome is what a child reports, plus what the parent measured.
type outcome struct {
	Seconds float64 `json:"seconds"` // wall time of the work (read, compute, write)
	Rows    int64   `json:"rows"`    // rows written
	PeakRSS int64   `json:"-"`       // bytes, from wait4's rusage
	CPU     float64 `json:"-"`       // user + system seconds of the whole child, from wait4's rusage
}

// isChild reports whether this process was started as a child; if so it
// runs the job, prints the outcome and exits.
func isChild() bool {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return false
	}
	var j job
	if err := json.Unmarshal([]byte(spec), &j); err != nil {
		fmt.Fprintf(os.Stderr, "fpb child: bad %s: %v\n", childEnv, err)
		os.Exit(2)
	}
	o, err := runJob(context.Background(), j)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fpb child %s %s: %v\n", j.Engine, j.Work, err)
		os.Exit(1)
	}
	b, _ := json.Marshal(o)
	fmt.Println(string(b))
	os.Exit(0)
	return true
}

// runJob runs j in this process and times it.
func runJob(ctx context.Context, j job) (outcome, error) {
	if j.CPUProfile != "" {
		f, err := os.Create(j.CPUProfile)
		if err != nil {
			return outcome{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return outcome{}, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	var rows int64
	var err error
	switch j.Engine + "/" + j.Work {
	case "kiln/p1":
		rows, err = runKilnP1(ctx, j.Data, j.Out)
	case "kiln/p2":
		rows, err = runKilnP2(ctx, j.Data, j.P1, j.Out)
	case "duckdb/p1":
		rows, err = duckRun(ctx, j.Threads, duckP1SQL(j.Data, j.Out, j.Dedupe))
	case "duckdb/p2":
		rows, err = duckRun(ctx, j.Threads, duckP2SQL(j.Data, j.P1, j.Out))
	default:
		return outcome{}, fmt.Errorf("unknown job %s/%s", j.Engine, j.Work)
	}
	return outcome{Seconds: time.Since(start).Seconds(), Rows: rows}, err
}

// spawn runs j in a child process (this executable, GOMAXPROCS=threads)
// and returns its outcome with its peak RSS.
func spawn(ctx context.Context, j job) (outcome, error) {
	exe, err := os.Executable()
	if err != nil {
		return outcome{}, err
	}
	spec, err := json.Marshal(j)
	if err != nil {
		return outcome{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec), fmt.Sprintf("GOMAXPROCS=%d", j.Threads))
	cmd.Env = append(cmd.Env, j.Env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return outcome{}, fmt.Errorf("%s %s child: %w", j.Engine, j.Work, err)
	}
	var o outcome
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &o); err != nil {
		return outcome{}, fmt.Errorf("%s %s child: bad output %q: %w", j.Engine, j.Work, stdout.String(), err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return outcome{}, fmt.Errorf("no rusage for the %s %s child", j.Engine, j.Work)
	}
	o.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
	o.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return o, nil
}

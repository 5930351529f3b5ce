package kiln

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kiln-data/kiln/lineage"
)

// ProgressMode says how a Progress shows a run.
type ProgressMode int

// Progress modes.
const (
	// ProgressAuto is ProgressLive when the writer is a terminal (and TERM
	// is not "dumb"), ProgressPlain otherwise.
	ProgressAuto ProgressMode = iota
	// ProgressLive redraws a table of nodes in place: waiting, running
	// (with elapsed time), done with rows and rows/s, cached, failed; for a
	// backfill, partitions done of total and an ETA.
	ProgressLive
	// ProgressPlain logs one line per node partition completion (and one
	// per finished run), for logs and CI.
	ProgressPlain
)

// ProgressOptions configures a Progress.
type ProgressOptions struct {
	// Mode is how to show progress (default ProgressAuto).
	Mode ProgressMode
	// Logger receives the plain lines (default: a text logger on the
	// writer). Lines carry pipeline, run_id, node and partition.
	Logger *slog.Logger
	// Interval is how often the live display is redrawn (default 250ms).
	Interval time.Duration
	// Width is the live display's width in columns (default: the
	// terminal's, else 100). Longer lines are cut.
	Width int
	// NoColor turns off ANSI colors in the live display (they are also
	// off when the NO_COLOR environment variable is set).
	NoColor bool
}

// Progress is a Listener that shows what runs are doing (see
// ProgressMode). Attach it with WithListener; kiln.Main attaches one for
// run and backfill. It is safe for concurrent use. The engine reports a
// node's rows when it finishes, so a running node shows its elapsed time,
// and rows and rows/s appear when it is done.
type Progress struct {
	w    io.Writer
	opts ProgressOptions
	live bool
	now  func() time.Time

	mu       sync.Mutex
	st       progressState
	drawn    int  // lines of the live frame on screen
	finished bool // the last batch ended; the next RunStarted starts anew
	closed   bool
	tick     int
	stop     chan struct{}
	stopped  chan struct{}
}

// progressState is what a batch of runs (a Run or a Backfill) has done.
type progressState struct {
	pipeline string
	order    []string // nodes in display order
	nodes    map[string]*nodeProgress
	expect   int  // partitions expected (0: unknown)
	expected bool // Expect named the nodes: runs are done when they all are
	runs     map[string]*runProgress
	runOrder []string
	started  time.Time
	active   int
	tasks    map[[2]string]bool // node partitions started
	allDone  map[string]bool    // unpartitioned nodes done (they serve every run)
	done     int                // runs done
	failed   int                // runs done that failed
}

type nodeProgress struct {
	name    string
	running int
	since   time.Time // when the oldest running partition started
	counts  map[string]int
	total   int // node partitions finished
	// requested counts the finished node partitions that are a run's own
	// partition (not lookback extras).
	requested int
	rows      int64         // rows computed (computed and unchanged)
	busy      time.Duration // time spent computing them
	lastErr   string
}

type runProgress struct {
	partition string
	nodes     map[string]bool
	failed    bool
	done      bool
}

// NewProgress returns a Progress writing to w (usually os.Stderr).
func NewProgress(w io.Writer, opts ProgressOptions) *Progress {
	p := &Progress{w: w, opts: opts, now: time.Now}
	if p.opts.Interval <= 0 {
		p.opts.Interval = 250 * time.Millisecond
	}
	f, isFile := w.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
	p.live = opts.Mode == ProgressLive || (opts.Mode == ProgressAuto && tty)
	if p.opts.Width <= 0 {
		p.opts.Width = 100
		if tty {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
				p.opts.Width = cols
			}
		}
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		p.opts.NoColor = true
	}
	p.st = newProgressState()
	return p
}

func newProgressState() progressState {
	return progressState{nodes: map[string]*nodeProgress{}, runs: map[string]*runProgress{},
		tasks: map[[2]string]bool{}, allDone: map[string]bool{}}
}

// Live reports whether the display is redrawn in place.
func (p *Progress) Live() bool { return p.live }

// Expect announces the nodes (in the order to show them) and the number of
// partitions of the next run or backfill, so that waiting nodes are shown
// and a backfill gets an ETA. It is optional.
func (p *Progress) Expect(nodes []string, partitions int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st = newProgressState()
	p.finished = false
	for _, n := range nodes {
		p.st.node(n)
	}
	p.st.expect = partitions
	p.st.expected = len(nodes) > 0
}

// LogWriter returns a writer for log output that keeps the live display
// intact: each write clears the display, writes, and redraws it. In plain
// mode it is the Progress's writer itself.
func (p *Progress) LogWriter() io.Writer {
	if !p.live {
		return p.w
	}
	return logWriter{p}
}

type logWriter struct{ p *Progress }

func (l logWriter) Write(b []byte) (int, error) {
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	n, err := p.w.Write(b)
	if p.st.active > 0 {
		p.draw()
	}
	return n, err
}

// Close stops redrawing and leaves the last frame on screen. It is safe
// to call more than once.
func (p *Progress) Close() error {
	p.stopTicker()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && !p.closed && p.drawn > 0 {
		p.clear()
		p.draw()
	}
	p.drawn = 0
	p.closed = true
	return nil
}

func (st *progressState) node(name string) *nodeProgress {
	n := st.nodes[name]
	if n == nil {
		n = &nodeProgress{name: name, counts: map[string]int{}}
		st.nodes[name] = n
		st.order = append(st.order, name)
	}
	return n
}

// RunStarted implements lineage.Listener.
func (p *Progress) RunStarted(run *lineage.RunRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		p.st, p.finished = newProgressState(), false
	}
	st := &p.st
	if st.started.IsZero() {
		st.started = p.now()
	}
	st.pipeline = run.Pipeline
	if _, ok := st.runs[run.RunID]; !ok {
		st.runs[run.RunID] = &runProgress{partition: run.Partition, nodes: map[string]bool{}}
		st.runOrder = append(st.runOrder, run.RunID)
	}
	st.active++
	if p.live && p.stop == nil && !p.closed {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.loop(p.stop, p.stopped)
	}
}

// NodeStarted implements lineage.Listener.
func (p *Progress) NodeStarted(run *lineage.RunRecord, node *lineage.NodeRun) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.st.node(node.Node)
	if n.running == 0 {
		n.since = p.now()
	}
	n.running++
	p.st.tasks[[2]string{node.Node, node.Partition}] = true
}

// NodeFinished implements lineage.Listener.
func (p *Progress) NodeFinished(run *lineage.RunRecord, node *lineage.NodeRun) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &p.st
	n := st.node(node.Node)
	key := [2]string{node.Node, node.Partition}
	if st.tasks[key] {
		delete(st.tasks, key)
		n.running = max(n.running-1, 0)
		if n.running > 0 {
			n.since = p.now() // approximate: the display shows the newest
		}
	}
	n.counts[node.Status]++
	n.total++
	dur := time.Duration(node.DurationMS * float64(time.Millisecond))
	switch Status(node.Status) {
	case StatusComputed, StatusUnchanged:
		n.rows += node.Rows
		n.busy += dur
	case StatusFailed:
		n.busy += dur
		n.lastErr = node.Error
	}
	if !p.live {
		p.logNode(run, node, dur)
	}
	r := st.runs[run.RunID]
	if r == nil {
		return
	}
	if node.Status == string(StatusFailed) || (node.Status == string(StatusSkipped) && node.Error != "") {
		r.failed = true
	}
	if node.Partition == lineage.PartitionAll {
		st.allDone[node.Node] = true
	}
	if node.Partition == r.partition || node.Partition == lineage.PartitionAll {
		n.requested++
	}
	if node.Partition == r.partition {
		r.nodes[node.Node] = true
	}
	if st.expected {
		p.checkRunsDone()
	}
}

// checkRunsDone marks the runs whose every expected node has finished.
func (p *Progress) checkRunsDone() {
	st := &p.st
	for _, id := range st.runOrder {
		r := st.runs[id]
		if r.done {
			continue
		}
		complete := true
		for _, name := range st.order {
			if !r.nodes[name] && !st.allDone[name] {
				complete = false
				break
			}
		}
		if complete {
			p.runDone(id, r, "")
		}
	}
}

func (p *Progress) runDone(id string, r *runProgress, status string) {
	st := &p.st
	r.done = true
	st.done++
	if status == "" {
		status = lineage.RunSucceeded
		if r.failed {
			status = lineage.RunFailed
		}
	}
	if status != lineage.RunSucceeded {
		st.failed++
	}
	if !p.live {
		p.logRun(id, r, status)
	}
}

// RunFinished implements lineage.Listener.
func (p *Progress) RunFinished(run *lineage.RunRecord) {
	p.mu.Lock()
	st := &p.st
	if r := st.runs[run.RunID]; r != nil && !r.done {
		r.failed = run.Status != lineage.RunSucceeded
		p.runDone(run.RunID, r, run.Status)
	}
	st.active--
	last := st.active <= 0
	if last {
		p.finished = true
	}
	p.mu.Unlock()
	if last && p.live {
		p.stopTicker()
		p.mu.Lock()
		if !p.closed {
			p.clear()
			p.draw()
			p.drawn = 0 // leave the final frame on screen
		}
		p.mu.Unlock()
	}
}

func (p *Progress) stopTicker() {
	p.mu.Lock()
	stop, stopped := p.stop, p.stopped
	p.stop, p.stopped = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
}

func (p *Progress) loop(stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.tick++
			p.clear()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// logger returns the plain-mode logger.
func (p *Progress) logger() *slog.Logger {
	if p.opts.Logger != nil {
		return p.opts.Logger
	}
	return slog.New(slog.NewTextHandler(p.w, nil))
}

// logNode writes the plain line of a node partition completion.
func (p *Progress) logNode(run *lineage.RunRecord, node *lineage.NodeRun, dur time.Duration) {
	args := []any{"pipeline", run.Pipeline, "run_id", run.RunID, "node", node.Node, "partition", node.Partition,
		"status", node.Status, "rows", node.Rows, "duration", dur.Round(time.Microsecond)}
	if (node.Status == string(StatusComputed) || node.Status == string(StatusUnchanged)) && dur > 0 {
		args = append(args, "rows_per_s", int64(float64(node.Rows)/dur.Seconds()))
	}
	level := slog.LevelInfo
	if node.Status == string(StatusFailed) {
		level = slog.LevelError
		args = append(args, "err", node.Error)
	}
	p.logger().Log(context.Background(), level, "node done", args...)
}

// logRun writes the plain line of a finished run (a partition of a
// backfill, with the count and an ETA).
func (p *Progress) logRun(id string, r *runProgress, status string) {
	st := &p.st
	args := []any{"pipeline", st.pipeline, "run_id", id, "partition", r.partition, "status", status}
	msg := "run done"
	if total := max(st.expect, len(st.runs)); total > 1 {
		msg = "partition done"
		args = append(args, "done", st.done, "total", total, "failed", st.failed)
		if eta, ok := p.eta(); ok {
			args = append(args, "eta", eta.Round(time.Second))
		}
	}
	level := slog.LevelInfo
	if status != lineage.RunSucceeded {
		level = slog.LevelWarn
	}
	p.logger().Log(context.Background(), level, msg, args...)
}

// eta estimates the time left from the partitions done so far.
func (p *Progress) eta() (time.Duration, bool) {
	st := &p.st
	total := max(st.expect, len(st.runs))
	if st.done == 0 || st.done >= total {
		return 0, false
	}
	elapsed := p.now().Sub(st.started)
	return time.Duration(float64(elapsed) / float64(st.done) * float64(total-st.done)), true
}

package lineage

import (
	"context"
	"log/slog"
)

// NopListener ignores every event. Embed it in a Listener that needs only
// some of the methods.
type NopListener struct{}

// RunStarted implements Listener.
func (NopListener) RunStarted(*RunRecord) {}

// NodeStarted implements Listener.
func (NopListener) NodeStarted(*RunRecord, *NodeRun) {}

// NodeFinished implements Listener.
func (NopListener) NodeFinished(*RunRecord, *NodeRun) {}

// RunFinished implements Listener.
func (NopListener) RunFinished(*RunRecord) {}

// Recorder returns a Listener that stores every finished run's record in s:
// how a pipeline's records reach a store other than the lake's (the engine
// always writes them to the lake too). Storage errors are logged (logger
// nil means slog.Default()); they do not fail the run.
func Recorder(s Store, logger *slog.Logger) Listener {
	if logger == nil {
		logger = slog.Default()
	}
	return &recorder{s: s, log: logger}
}

type recorder struct {
	NopListener
	s   Store
	log *slog.Logger
}

func (r *recorder) RunFinished(run *RunRecord) {
	if err := r.s.PutRun(context.Background(), run); err != nil {
		r.log.Error("lineage: store run record", "pipeline", run.Pipeline, "run_id", run.RunID, "err", err)
	}
}

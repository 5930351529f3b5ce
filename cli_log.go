package kiln

import (
	"context"
	"log/slog"
)

// progressFilter drops the engine's per-node status lines ("node computed",
// "node cached", ...) while a Progress reports the same events, so a run
// prints one line per node. Only records of a logger carrying the engine's
// run_id and node attributes are considered, and records at Warn or above
// are kept unless dropFailed (plain progress logs failures itself, with
// the error).
type progressFilter struct {
	h          slog.Handler
	dropFailed bool
	engine     bool // the logger has run_id and node attributes
	runID      bool
	node       bool
}

// nodeStatusMessages are the engine's per-node log messages (see task.exec).
var nodeStatusMessages = map[string]bool{}

func init() {
	for _, s := range []Status{StatusComputed, StatusCached, StatusUnchanged, StatusAbsent, StatusFailed, StatusSkipped} {
		nodeStatusMessages["node "+string(s)] = true
	}
}

func (f *progressFilter) Enabled(ctx context.Context, l slog.Level) bool { return f.h.Enabled(ctx, l) }

func (f *progressFilter) Handle(ctx context.Context, r slog.Record) error {
	if f.engine && nodeStatusMessages[r.Message] && (r.Level < slog.LevelWarn || f.dropFailed) {
		return nil
	}
	return f.h.Handle(ctx, r)
}

func (f *progressFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	g := *f
	g.h = f.h.WithAttrs(attrs)
	for _, a := range attrs {
		switch a.Key {
		case "run_id":
			g.runID = true
		case "node":
			g.node = true
		}
	}
	g.engine = g.runID && g.node
	return &g
}

func (f *progressFilter) WithGroup(name string) slog.Handler {
	g := *f
	g.h = f.h.WithGroup(name)
	g.engine = false
	g.runID, g.node = false, false
	return &g
}

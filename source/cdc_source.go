package source

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// CDCSource reads change events from another source and applies them (see
// ChangesTransform), so one node lands a table's current state from, for
// example, a change table read with SQL. Create one with CDC.
//
// The events source should return the full event log for the partition: an
// incremental events source returns only new events, and applying those
// alone gives the latest image of the keys they touch, not the table. To
// keep a snapshot current from incrementally landed events, land them with
// an incremental source in their own pipeline, and read the landed dataset
// whole: CDC(Parquet(landedDir), cfg) on an unpartitioned node reads every
// committed partition in partition order.
//
// A CDCSource is read on every run (it is not a kiln.SourceVersioner).
type CDCSource struct {
	events kiln.Source
	t      *ChangesTransform
}

type cdcSourceConfig struct {
	Events  kiln.Spec `json:"events"`
	Changes CDCConfig `json:"changes"`
}

// CDC returns a source applying the change events read by events.
func CDC(events kiln.Source, cfg CDCConfig) *CDCSource {
	return &CDCSource{events: events, t: ApplyChanges(cfg)}
}

// Spec implements kiln.Source: the events source's spec and the CDC config.
func (s *CDCSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.cdc", Version: "1", Config: cdcSourceConfig{Events: s.events.Spec(), Changes: s.t.cfg}}
}

// Schema implements kiln.Source: the row image's schema.
func (s *CDCSource) Schema(ctx *kiln.Context) (*arrow.Schema, error) {
	in, err := s.events.Schema(ctx)
	if err != nil {
		return nil, err
	}
	return s.t.OutputSchema([]*arrow.Schema{in})
}

// Read implements kiln.Source: the current state, one row per live key,
// sorted by key.
func (s *CDCSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	events, err := s.events.Read(ctx)
	if err != nil {
		return nil, err
	}
	defer events.Release()
	return s.t.Apply(ctx, []arrow.Table{events})
}

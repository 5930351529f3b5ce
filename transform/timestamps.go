package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
)

// ToUTCTransform normalizes a timestamp column to time zone UTC. Create
// one with ToUTC.
type ToUTCTransform struct {
	col    string
	assume string
}

// ToUTC returns a transform setting the time zone of timestamp column col
// to UTC, in place. Values with a zone keep their instant (only the type's
// zone changes, no data is copied). A column without a zone holds wall
// times: say which zone they are in with Assume, or planning fails.
// Output order: input order.
//
// Time zones in kiln: an Arrow timestamp with a zone holds instants
// (counts of units since 1970-01-01T00:00:00Z); the zone only says where
// day boundaries fall and how to display them. A timestamp without a zone
// holds wall-clock readings whose zone is unknown. ToUTC, ParseTimestamp
// and FromEpoch always produce zone "UTC" and make you say which zone
// wall-clock values are in: nothing is read from the machine's local zone.
func ToUTC(col string) *ToUTCTransform { return &ToUTCTransform{col: col} }

// Assume returns a copy that reads a column without a time zone as wall
// time in zone ("UTC", "+05:30", "America/New_York"). A wall time that
// occurs twice (daylight saving time ends) maps to the earlier instant;
// one that does not exist (it starts) is moved forward by the gap. It is a
// plan-time error on a column that has a zone.
func (t *ToUTCTransform) Assume(zone string) *ToUTCTransform {
	u := *t
	u.assume = zone
	return &u
}

type toUTCConfig struct {
	Column string `json:"column"`
	Assume string `json:"assume,omitempty"`
}

// Spec implements kiln.Transform.
func (t *ToUTCTransform) Spec() kiln.Spec {
	return spec("to_utc", "1", toUTCConfig{Column: t.col, Assume: t.assume})
}

func (t *ToUTCTransform) plan(s *arrow.Schema) (*arrow.Schema, int, *arrow.TimestampType, error) {
	i, f, err := field(s, 0, t.col, arrow.TIMESTAMP)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("transform.to_utc: %w", err)
	}
	ts := f.Type.(*arrow.TimestampType)
	switch {
	case ts.TimeZone == "" && t.assume == "":
		return nil, 0, nil, fmt.Errorf("transform.to_utc: %w", &kiln.SchemaError{Column: t.col,
			Problem: "has no time zone: say which zone its wall times are in with ToUTC(...).Assume(zone)"})
	case ts.TimeZone != "" && t.assume != "":
		return nil, 0, nil, fmt.Errorf("transform.to_utc: %w", &kiln.SchemaError{Column: t.col,
			Problem: fmt.Sprintf("already has time zone %q; Assume applies only to timestamps without one", ts.TimeZone)})
	}
	if t.assume != "" {
		if _, err := expr.LoadZone(t.assume); err != nil {
			return nil, 0, nil, fmt.Errorf("transform.to_utc %q: %w", t.col, err)
		}
	}
	f.Type = &arrow.TimestampType{Unit: ts.Unit, TimeZone: "UTC"}
	out, _ := exprWithField(s, f)
	return out, i, ts, nil
}

// OutputSchema implements kiln.Transform.
func (t *ToUTCTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("to_utc", in); err != nil {
		return nil, err
	}
	out, _, _, err := t.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (t *ToUTCTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("to_utc", in); err != nil {
		return nil, err
	}
	tbl := in[0]
	out, at, from, err := t.plan(tbl.Schema())
	if err != nil {
		return nil, err
	}
	to := out.Field(at).Type
	col, err := exprMapColumn(ctx, tbl, at, to, func(a arrow.Array, _ int64) (arrow.Array, error) {
		if from.TimeZone != "" {
			return expr.Cast(a, to, expr.CastOptions{})
		}
		return expr.LocalToUTC(a, t.assume)
	})
	if err != nil {
		return nil, fmt.Errorf("transform.to_utc %q: %w", t.col, err)
	}
	return exprReplace(tbl, out, at, col), nil
}

// ColumnLineage implements kiln.ColumnLineager.
func (t *ToUTCTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	return exprColLineage("to_utc", in, t.col, t.col)
}

// exprColLineage is the lineage of a transform computing column out from
// column src, passing the rest through.
func exprColLineage(name string, in []*arrow.Schema, src, out string) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput(name, in); err != nil {
		return nil, err
	}
	m := identityLineage(in[0])
	m[out] = exprRefs([]string{src}, "DIRECT", "TRANSFORMATION")
	return m, nil
}

// exprTimeUnitName names a time unit in configs.
func exprTimeUnitName(u arrow.TimeUnit) string {
	return map[arrow.TimeUnit]string{arrow.Second: "s", arrow.Millisecond: "ms", arrow.Microsecond: "us", arrow.Nanosecond: "ns"}[u]
}

// ParseTimestampTransform parses a string column into timestamps. Create
// one with ParseTimestamp.
type ParseTimestampTransform struct {
	cfg parseTSConfig
}

type parseTSConfig struct {
	Column     string `json:"column"`
	As         string `json:"as"`
	Layout     string `json:"layout"`
	Unit       string `json:"unit"`
	Zone       string `json:"zone"`
	AllowLossy bool   `json:"allow_lossy"`
}

// ParseTimestamp returns a transform parsing string column col into a
// timestamp[us, UTC] column, in place. By default it accepts ISO 8601 /
// RFC 3339 (2024-01-30, 2024-01-30T12:34:56Z, 2024-01-30 12:34:56.123456,
// 2024-01-30T12:34:56+02:00, up to nanoseconds); Layout switches to a Go
// time layout. Strings without an offset are wall times in UTC unless Zone
// says otherwise. A string that does not parse, or has more precision than
// the unit, fails the run with the row and value (ErrLossy) unless
// AllowLossy, which gives null (and truncates extra precision). Output
// order: input order.
func ParseTimestamp(col string) *ParseTimestampTransform {
	return &ParseTimestampTransform{cfg: parseTSConfig{Column: col, As: col, Unit: "us", Zone: "UTC"}}
}

// Layout returns a copy parsing with a Go time layout (as time.Parse) instead
// of ISO 8601.
func (p *ParseTimestampTransform) Layout(layout string) *ParseTimestampTransform {
	q := *p
	q.cfg.Layout = layout
	return &q
}

// Unit returns a copy producing timestamps of unit u (default
// microseconds).
func (p *ParseTimestampTransform) Unit(u arrow.TimeUnit) *ParseTimestampTransform {
	q := *p
	q.cfg.Unit = exprTimeUnitName(u)
	return &q
}

// Zone returns a copy reading strings without an offset as wall time in
// zone (default UTC).
func (p *ParseTimestampTransform) Zone(zone string) *ParseTimestampTransform {
	q := *p
	q.cfg.Zone = zone
	return &q
}

// As returns a copy writing the timestamps to column name (replacing it in
// place, or appended) and keeping the source column.
func (p *ParseTimestampTransform) As(name string) *ParseTimestampTransform {
	q := *p
	q.cfg.As = name
	return &q
}

// AllowLossy returns a copy turning unparseable strings into nulls.
func (p *ParseTimestampTransform) AllowLossy() *ParseTimestampTransform {
	q := *p
	q.cfg.AllowLossy = true
	return &q
}

// Spec implements kiln.Transform.
func (p *ParseTimestampTransform) Spec() kiln.Spec { return spec("parse_timestamp", "1", p.cfg) }

func (p *ParseTimestampTransform) plan(s *arrow.Schema) (*arrow.Schema, int, int, *arrow.TimestampType, error) {
	src, f, err := field(s, 0, p.cfg.Column, arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW)
	if err != nil {
		return nil, 0, 0, nil, fmt.Errorf("transform.parse_timestamp: %w", err)
	}
	u, err := expr.ParseUnit(p.cfg.Unit)
	if err != nil {
		return nil, 0, 0, nil, fmt.Errorf("transform.parse_timestamp %q: %w", p.cfg.Column, err)
	}
	if _, err := expr.LoadZone(p.cfg.Zone); err != nil {
		return nil, 0, 0, nil, fmt.Errorf("transform.parse_timestamp %q: %w", p.cfg.Column, err)
	}
	if p.cfg.As == "" {
		return nil, 0, 0, nil, fmt.Errorf("transform.parse_timestamp %q: empty output column name", p.cfg.Column)
	}
	to := &arrow.TimestampType{Unit: u, TimeZone: "UTC"}
	out, at := exprWithField(s, arrow.Field{Name: p.cfg.As, Type: to, Nullable: f.Nullable || p.cfg.AllowLossy})
	return out, src, at, to, nil
}

// OutputSchema implements kiln.Transform.
func (p *ParseTimestampTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("parse_timestamp", in); err != nil {
		return nil, err
	}
	out, _, _, _, err := p.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (p *ParseTimestampTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("parse_timestamp", in); err != nil {
		return nil, err
	}
	t := in[0]
	out, src, at, to, err := p.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	col, err := exprMapColumn(ctx, t, src, to, func(a arrow.Array, lo int64) (arrow.Array, error) {
		return expr.ParseTimestamps(a, to, p.cfg.Layout, p.cfg.Zone,
			expr.CastOptions{AllowLossy: p.cfg.AllowLossy, RowBase: lo, Name: "column " + exprQuote(p.cfg.Column)})
	})
	if err != nil {
		return nil, fmt.Errorf("transform.parse_timestamp: %w", err)
	}
	return exprReplace(t, out, at, col), nil
}

// ColumnLineage implements kiln.ColumnLineager.
func (p *ParseTimestampTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	return exprColLineage("parse_timestamp", in, p.cfg.Column, p.cfg.As)
}

// FromEpochTransform turns numbers since the Unix epoch into timestamps.
// Create one with FromEpoch.
type FromEpochTransform struct {
	cfg fromEpochConfig
}

type fromEpochConfig struct {
	Column     string `json:"column"`
	As         string `json:"as"`
	Unit       string `json:"unit"`
	To         string `json:"to"`
	AllowLossy bool   `json:"allow_lossy"`
}

// FromEpoch returns a transform reading numeric column col as a count of
// unit (arrow.Second, arrow.Millisecond...) since 1970-01-01T00:00:00Z and
// replacing it in place with timestamp[unit, UTC] values. Integer columns
// convert exactly (an int64 column in the same unit is not even copied);
// float columns (fractional seconds) round to the nearest unit of the
// output. Use To for another output unit. NaN, infinities, values out of
// range and (with To a coarser unit) inexact integers fail the run with the
// row (ErrLossy) unless AllowLossy, which gives null (inexact integers
// round down). Output order: input order.
func FromEpoch(col string, unit arrow.TimeUnit) *FromEpochTransform {
	u := exprTimeUnitName(unit)
	return &FromEpochTransform{cfg: fromEpochConfig{Column: col, As: col, Unit: u, To: u}}
}

// To returns a copy producing timestamps of unit u.
func (e *FromEpochTransform) To(u arrow.TimeUnit) *FromEpochTransform {
	f := *e
	f.cfg.To = exprTimeUnitName(u)
	return &f
}

// As returns a copy writing the timestamps to column name (replacing it in
// place, or appended) and keeping the source column.
func (e *FromEpochTransform) As(name string) *FromEpochTransform {
	f := *e
	f.cfg.As = name
	return &f
}

// AllowLossy returns a copy turning values that do not convert into nulls.
func (e *FromEpochTransform) AllowLossy() *FromEpochTransform {
	f := *e
	f.cfg.AllowLossy = true
	return &f
}

// Spec implements kiln.Transform.
func (e *FromEpochTransform) Spec() kiln.Spec { return spec("from_epoch", "1", e.cfg) }

func (e *FromEpochTransform) plan(s *arrow.Schema) (*arrow.Schema, int, int, arrow.TimeUnit, *arrow.TimestampType, error) {
	src, f, err := field(s, 0, e.cfg.Column, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64)
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("transform.from_epoch: %w", err)
	}
	from, err := expr.ParseUnit(e.cfg.Unit)
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("transform.from_epoch %q: %w", e.cfg.Column, err)
	}
	tu, err := expr.ParseUnit(e.cfg.To)
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("transform.from_epoch %q: %w", e.cfg.Column, err)
	}
	if e.cfg.As == "" {
		return nil, 0, 0, 0, nil, fmt.Errorf("transform.from_epoch %q: empty output column name", e.cfg.Column)
	}
	to := &arrow.TimestampType{Unit: tu, TimeZone: "UTC"}
	out, at := exprWithField(s, arrow.Field{Name: e.cfg.As, Type: to, Nullable: f.Nullable || e.cfg.AllowLossy})
	return out, src, at, from, to, nil
}

// OutputSchema implements kiln.Transform.
func (e *FromEpochTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("from_epoch", in); err != nil {
		return nil, err
	}
	out, _, _, _, _, err := e.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (e *FromEpochTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("from_epoch", in); err != nil {
		return nil, err
	}
	t := in[0]
	out, src, at, from, to, err := e.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	col, err := exprMapColumn(ctx, t, src, to, func(a arrow.Array, lo int64) (arrow.Array, error) {
		return expr.FromEpoch(a, from, to, expr.CastOptions{AllowLossy: e.cfg.AllowLossy, RowBase: lo, Name: "column " + exprQuote(e.cfg.Column)})
	})
	if err != nil {
		return nil, fmt.Errorf("transform.from_epoch: %w", err)
	}
	return exprReplace(t, out, at, col), nil
}

// ColumnLineage implements kiln.ColumnLineager.
func (e *FromEpochTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	return exprColLineage("from_epoch", in, e.cfg.Column, e.cfg.As)
}

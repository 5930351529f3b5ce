package transform

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
)

// RollingWindows configures Rolling. It is plain data.
type RollingWindows struct {
	// By are the entity key columns (nulls form an entity of their own, as
	// in GroupBy). Empty: the whole input is one entity.
	By []string `json:"by"`
	// Time is the time column: a timestamp (any unit), date32 or date64.
	Time string `json:"time"`
	// Windows are the aggregates to compute.
	Windows []Window `json:"windows"`
	// Closed says which ends of a window are included: "right" (the
	// default per row: (t-L, t]), "left" (the default at the partition
	// end: [t-L, t)), "both" ([t-L, t]) or "neither" ((t-L, t)).
	Closed string `json:"closed,omitempty"`
	// AtPartitionEnd computes one row per entity, as of the run's logical
	// time (ctx.Time(), the end of the partition), instead of one window
	// per input row.
	AtPartitionEnd bool `json:"at_partition_end,omitempty"`
}

// Window is one rolling aggregate: Agg over the rows of the entity in the
// time window of Length. Agg is Count, CountNonNull, Sum, Mean, Min or Max.
type Window struct {
	Length time.Duration `json:"length"`
	Agg    Aggregation   `json:"agg"`
}

// Over returns the window of length for agg, e.g.
// Over(7*kiln.Day, Sum("n_purchases").As("purchases_7d")).
func Over(length time.Duration, agg Aggregation) Window { return Window{Length: length, Agg: agg} }

// Output returns the window's output column: the aggregation's name when
// set with As, else its default name and the length, e.g. "sum_amount_7d".
func (w Window) Output() string {
	if w.Agg.Name != "" {
		return w.Agg.Name
	}
	return w.Agg.Output() + "_" + lengthName(w.Length)
}

func lengthName(d time.Duration) string {
	for _, u := range []struct {
		d time.Duration
		s string
	}{{kiln.Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return d.String()
}

// RollingTransform computes time-window aggregates per entity. Create one
// with Rolling.
type RollingTransform struct {
	cfg RollingWindows
}

// Rolling returns a transform computing, per entity, aggregates over time
// windows: the features "purchases in the last 7 days" or "revenue over the
// last 30 days".
//
// Per row (the default), the window of a row at time t holds the rows of
// the same entity with time in (t-L, t]: for daily rows with L = 7 days, the
// days dt-6 through dt. All rows with time t are in it, whatever their input
// order (SQL's RANGE frame). The output is the input, rows in input order,
// plus one column per window. A row with a null time gets null windows
// (count 0).
//
// With AtPartitionEnd, the window ends at T = ctx.Time(), the end of the
// partition being computed, and holds the rows with time in [T-L, T): for a
// daily partition dt and L = 7 days, dt-6 through dt. The output has one row
// per entity present in the input, ordered by the By keys (ascending, nulls
// last): the key columns, then one column per window.
//
// Windows with no row count 0; their sum, mean, min and max are null (SQL
// semantics: a sum of no values is null). Sums are exact for integers (an
// int64 overflow is an error) and add floats without ever subtracting, so a
// window of one value returns it exactly.
func Rolling(cfg RollingWindows) *RollingTransform { return &RollingTransform{cfg: cfg} }

// Spec implements kiln.Transform.
func (t *RollingTransform) Spec() kiln.Spec {
	c := t.cfg
	if c.By == nil {
		c.By = []string{}
	}
	return spec("rolling", "1", c)
}

type rollingPlan struct {
	by      []int
	time    int
	unit    time.Duration
	lengths []int64 // per window, in time units
	cols    []int   // per window, its column (-1 for count)
	schema  *arrow.Schema
	loIncl  bool
	hiIncl  bool
}

func (t *RollingTransform) plan(in []*arrow.Schema) (*rollingPlan, error) {
	if err := oneInput("rolling", in); err != nil {
		return nil, err
	}
	c := t.cfg
	s := in[0]
	p := &rollingPlan{}
	var err error
	var kf []arrow.Field
	if p.by, kf, err = keyFields(s, 0, c.By); err != nil {
		return nil, err
	}
	ti, tf, err := field(s, 0, c.Time, timeTypes...)
	if err != nil {
		return nil, err
	}
	p.time, p.unit = ti, kernels.TimeUnit(tf.Type)
	closed := c.Closed
	if closed == "" {
		closed = "right"
		if c.AtPartitionEnd {
			closed = "left"
		}
	}
	switch closed {
	case "right":
		p.hiIncl = true
	case "left":
		p.loIncl = true
	case "both":
		p.loIncl, p.hiIncl = true, true
	case "neither":
	default:
		return nil, fmt.Errorf("transform.rolling: closed %q, want right, left, both or neither", c.Closed)
	}
	if len(c.Windows) == 0 {
		return nil, fmt.Errorf("transform.rolling: no windows")
	}
	fields := append([]arrow.Field(nil), s.Fields()...)
	if c.AtPartitionEnd {
		fields = kf
	}
	for _, w := range c.Windows {
		switch w.Agg.Func {
		case "count", "count_non_null", "sum", "mean", "min", "max":
		default:
			return nil, fmt.Errorf("transform.rolling: window %s: %s is not a window aggregate (count, count_non_null, sum, mean, min, max)", w.Output(), w.Agg.Func)
		}
		if w.Length <= 0 {
			return nil, fmt.Errorf("transform.rolling: window %s: length %s is not positive", w.Output(), w.Length)
		}
		n, err := unitsOf(w.Length, p.unit, "window "+w.Output()+": length")
		if err != nil {
			return nil, fmt.Errorf("transform.rolling: %w", err)
		}
		f, j, err := w.Agg.field(s, 0)
		if err != nil {
			return nil, err
		}
		f.Name = w.Output()
		if w.Agg.Func == "count" || w.Agg.Func == "count_non_null" {
			f.Nullable = false
		}
		fields = append(fields, f)
		p.lengths = append(p.lengths, n)
		p.cols = append(p.cols, j)
	}
	if err := checkNames(fields); err != nil {
		return nil, err
	}
	p.schema = arrow.NewSchema(fields, nil)
	return p, nil
}

// OutputSchema implements kiln.Transform.
func (t *RollingTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	p, err := t.plan(in)
	if err != nil {
		return nil, err
	}
	return p.schema, nil
}

// Apply implements kiln.Transform.
func (t *RollingTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	p, err := t.plan(schemasOf(in))
	if err != nil {
		return nil, err
	}
	tbl := in[0]
	if err := checkRows(tbl); err != nil {
		return nil, fmt.Errorf("transform.rolling: %w", err)
	}
	n := int(tbl.NumRows())
	cols := tableCols(tbl)
	keys := pick(cols, p.by)
	ids, first, err := groupSorted(keys, n)
	if err != nil {
		return nil, fmt.Errorf("transform.rolling: %w", err)
	}
	tc := cols[p.time]
	times := kernels.Int64s(tc, 1)
	var use []bool
	if tc.Nulls > 0 {
		use = notNull(tc)
	}
	o := kernels.OrderByEntity(ids, len(first), times, use)
	if t.cfg.AtPartitionEnd {
		return t.atEnd(ctx, p, cols, keys, first, o)
	}
	hi := kernels.WindowHi(o.Times, o.Start, p.hiIncl)
	mem := ctx.Allocator()
	out := make([]arrow.Array, len(t.cfg.Windows))
	err = par.Do(ctx, len(out), func(w int) error {
		lo := kernels.WindowLo(o.Times, o.Start, p.lengths[w], p.loIncl)
		a, err := windowColumn(mem, t.cfg.Windows[w].Agg, pickCol(cols, p.cols[w]), o.Rows, lo, hi, o.Rows, n)
		if err != nil {
			return fmt.Errorf("transform.rolling: window %s: %w", t.cfg.Windows[w].Output(), err)
		}
		out[w] = a
		return nil
	})
	if err != nil {
		releaseAll(out)
		return nil, err
	}
	return withColumns(p.schema, tbl, out), nil
}

// windowColumn computes one window aggregate. Values sit at positions
// (pos[k] is the input row at position k); window w covers positions
// [lo[w], hi[w]) and its result goes to output row target[w] of nOut rows.
// Output rows without a window get count 0 and null.
func windowColumn(mem memory.Allocator, a Aggregation, c kernels.Col, pos, lo, hi, target []int32, nOut int) (arrow.Array, error) {
	if a.Func == "count" {
		return int64Array(mem, scatter(kernels.WindowCount(nil, lo, hi), target, nOut), nil), nil
	}
	cnt := kernels.WindowCount(validAt(c, pos), lo, hi)
	if a.Func == "count_non_null" {
		return int64Array(mem, scatter(cnt, target, nOut), nil), nil
	}
	has := make([]bool, nOut)
	for w, r := range target {
		has[r] = cnt[w] > 0
	}
	switch a.Func {
	case "sum", "mean":
		if isFloat(c.Type) || a.Func == "mean" {
			vals, ok := kernels.Float64sAt(c, pos)
			sums, err := kernels.WindowSum(vals, ok, lo, hi, false)
			if err != nil {
				return nil, err
			}
			if a.Func == "mean" {
				for w := range sums {
					if cnt[w] > 0 {
						sums[w] /= float64(cnt[w])
					}
				}
			}
			return float64Array(mem, scatter(sums, target, nOut), has), nil
		}
		vals, ok, err := kernels.Int64sAt(c, pos)
		if err != nil {
			return nil, err
		}
		sums, err := kernels.WindowSum(vals, ok, lo, hi, true)
		if err != nil {
			return nil, err
		}
		return int64Array(mem, scatter(sums, target, nOut), has), nil
	case "min", "max":
		codes, ok, err := kernels.CodesAt(c, pos)
		if err != nil {
			return nil, err
		}
		best := kernels.WindowArgMin(codes, ok, lo, hi, a.Func == "max")
		src := make([]int32, nOut)
		for i := range src {
			src[i] = -1
		}
		for w, b := range best {
			if b >= 0 {
				src[target[w]] = pos[b]
			}
		}
		return kernels.Take(mem, c, src)
	}
	return nil, fmt.Errorf("%s is not a window aggregate", a.Func)
}

// validAt returns whether c is valid at each of rows (nil: all are).
func validAt(c kernels.Col, rows []int32) []bool {
	null := c.NullMask()
	if null == nil {
		return nil
	}
	out := make([]bool, len(rows))
	for k, r := range rows {
		out[k] = !null[r]
	}
	return out
}

// scatter places vals[w] at out[target[w]] in a zeroed slice of n.
func scatter[T any](vals []T, target []int32, n int) []T {
	out := make([]T, n)
	for w, r := range target {
		out[r] = vals[w]
	}
	return out
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// atEnd computes one row per entity with windows ending at ctx.Time().
func (t *RollingTransform) atEnd(ctx *kiln.Context, p *rollingPlan, cols, keys []kernels.Col, first []int32, o *kernels.EntityOrder) (arrow.Table, error) {
	end := ctx.Time()
	if end.IsZero() {
		return nil, fmt.Errorf("transform.rolling: at_partition_end needs the run's logical time: run a day or hour partition, or set kiln.LogicalTime")
	}
	tEnd := unitsSince(end, p.unit)
	ng := len(first)
	target := make([]int32, ng)
	for g := range target {
		target[g] = int32(g)
	}
	// search returns the first position of entity g with time > b (>= b
	// when incl).
	search := func(g int, b int64, incl bool) int32 {
		lo, hi := int(o.Start[g]), int(o.Start[g+1])
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if o.Times[m] < b || (!incl && o.Times[m] == b) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return int32(lo)
	}
	his := make([]int32, ng)
	for g := range ng {
		his[g] = search(g, tEnd, !p.hiIncl)
	}
	mem := ctx.Allocator()
	out := make([]arrow.Array, len(keys)+len(t.cfg.Windows))
	err := par.Do(ctx, len(out), func(i int) error {
		var err error
		if i < len(keys) {
			out[i], err = kernels.Take(mem, keys[i], first)
			return err
		}
		w := i - len(keys)
		los := make([]int32, ng)
		for g := range ng {
			los[g] = min(search(g, kernels.SatAdd(tEnd, -p.lengths[w]), p.loIncl), his[g])
		}
		out[i], err = windowColumn(mem, t.cfg.Windows[w].Agg, pickCol(cols, p.cols[w]), o.Rows, los, his, target, ng)
		if err != nil {
			return fmt.Errorf("transform.rolling: window %s: %w", t.cfg.Windows[w].Output(), err)
		}
		return nil
	})
	if err != nil {
		releaseAll(out)
		return nil, err
	}
	return newTable(p.schema, out, ng), nil
}

// pickCol returns cols[j], or an empty view for j < 0 (count).
func pickCol(cols []kernels.Col, j int) kernels.Col {
	if j < 0 {
		return kernels.Col{}
	}
	return cols[j]
}

// unitsSince returns the instant t in units of u since the Unix epoch,
// rounded down.
func unitsSince(t time.Time, u time.Duration) int64 {
	if u < time.Second {
		per := int64(time.Second / u)
		return t.Unix()*per + int64(t.Nanosecond())/int64(u)
	}
	s, k := t.Unix(), int64(u/time.Second)
	q := s / k
	if s%k < 0 {
		q--
	}
	return q
}

// ColumnLineage implements kiln.ColumnLineager: input columns are
// themselves; each window aggregates its column, windowed by the keys and
// the time column.
func (t *RollingTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if _, err := t.plan(in); err != nil {
		return nil, err
	}
	win := indirect(0, append(append([]string(nil), t.cfg.By...), t.cfg.Time), "WINDOW")
	out := map[string][]kiln.ColumnRef{}
	if t.cfg.AtPartitionEnd {
		for _, k := range t.cfg.By {
			out[k] = append([]kiln.ColumnRef{ref(0, k, "DIRECT", "IDENTITY")}, indirect(0, t.cfg.By, "GROUP_BY")...)
		}
	} else {
		out = identityLineage(in[0])
	}
	for _, w := range t.cfg.Windows {
		out[w.Output()] = append(w.Agg.lineage(0), win...)
	}
	return out, nil
}

package feature

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Request is an online lookup.
type Request struct {
	// Features are feature references, as in TrainingSpec.Features.
	Features []string
	// Keys are the entities, one row of the result each. All groups read
	// in one request must have the same entity key columns.
	Keys []Key
	// At is the request time TTLs are evaluated against (zero: the
	// Online's clock, time.Now by default). A stored value whose event
	// time is after At, or before At minus the group's TTL, reads as null,
	// exactly as the offline join treats a label at time At.
	At time.Time
	// Data holds the request columns on-demand features read, one row per
	// key (nil when none are needed).
	Data arrow.RecordBatch
	// Prefix names result columns "group__feature", as in TrainingSpec.
	Prefix bool
}

// Result holds looked-up values: one row per requested key, one column per
// feature, in reference order.
//
// Values are Go values by Arrow type: nil for null; int64 for signed
// integers; uint64 for unsigned; float64, float32, bool, string; []byte for
// binaries; time.Time (UTC) for timestamps and dates; time.Duration for
// durations and times of day.
type Result struct {
	// Fields name and type the columns.
	Fields []arrow.Field
	// Rows hold the values: Rows[i][j] is key i's value of column j.
	Rows [][]any
}

// Value returns key row i's value of the named column, and whether the
// column exists.
func (r *Result) Value(i int, name string) (any, bool) {
	for j, f := range r.Fields {
		if f.Name == name {
			return r.Rows[i][j], true
		}
	}
	return nil, false
}

// Record returns the result as an Arrow record batch (columns as Fields).
// The caller releases it.
func (r *Result) Record(mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(r.Fields))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	vals := make([]any, len(r.Rows))
	for j, f := range r.Fields {
		for i := range r.Rows {
			vals[i] = r.Rows[i][j]
		}
		a, err := buildArray(mem, f.Type, vals)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		cols[j] = a
	}
	return array.NewRecordBatch(arrow.NewSchema(r.Fields, nil), cols, int64(len(r.Rows))), nil
}

// Get looks up features of entities at the current time (see Lookup).
func (o *Online) Get(ctx context.Context, refs []string, keys ...Key) (*Result, error) {
	return o.Lookup(ctx, Request{Features: refs, Keys: keys})
}

// lookupPlan is a resolved request shape, cached by its references.
type lookupPlan struct {
	sel    *selection
	fields []arrow.Field
	reads  []*groupRead
	ods    []*odPlan
}

// groupRead is what a lookup reads of one group.
type groupRead struct {
	g     *Group
	feats []string
	types []arrow.DataType
}

func (o *Online) plan(refs []string, prefix bool) (*lookupPlan, error) {
	key := fmt.Sprint(prefix) + "\x00" + strings.Join(refs, "\x00")
	if p, ok := o.sels.Load(key); ok {
		return p.(*lookupPlan), nil
	}
	groups := o.groupList()
	ods, err := planOnDemand(o.ods, groups)
	if err != nil {
		return nil, err
	}
	sel, err := resolveRefs(refs, groups, ods)
	if err != nil {
		return nil, err
	}
	names, err := outputNames(arrow.NewSchema(nil, nil), sel, prefix)
	if err != nil {
		return nil, err
	}
	p := &lookupPlan{sel: sel, ods: sel.onDemands()}
	for _, n := range sel.needs() {
		r := &groupRead{g: n.g, feats: n.feats}
		for _, f := range n.feats {
			r.types = append(r.types, n.g.Feature(f).Type)
		}
		p.reads = append(p.reads, r)
	}
	for i, c := range sel.cols {
		typ := arrow.DataType(nil)
		if c.od == nil {
			typ = c.group.Feature(c.feature).Type
		} else {
			typ = c.od.out.Field(c.od.out.FieldIndices(c.feature)[0]).Type
		}
		p.fields = append(p.fields, arrow.Field{Name: names[i], Type: typ, Nullable: true})
	}
	for _, r := range p.reads[min(1, len(p.reads)):] {
		if !slices.Equal(r.g.Entity.Keys, p.reads[0].g.Entity.Keys) {
			return nil, fmt.Errorf("%w: groups %s and %s have different entity keys %v and %v: look them up separately",
				ErrDefinition, p.reads[0].g.ID(), r.g.ID(), p.reads[0].g.Entity.Keys, r.g.Entity.Keys)
		}
	}
	o.sels.Store(key, p)
	return p, nil
}

// Lookup reads the requested features of each key from the online store,
// treats values outside [At - TTL, At] as null, computes on-demand features
// with their transforms, and returns one row per key.
func (o *Online) Lookup(ctx context.Context, req Request) (*Result, error) {
	p, err := o.plan(req.Features, req.Prefix)
	if err != nil {
		return nil, err
	}
	at := req.At
	if at.IsZero() {
		at = o.now()
	}
	nk := len(req.Keys)
	// values[r][f][i]: group read r, feature f, key i.
	values := make([][][]any, len(p.reads))
	keys := make([]string, 0, len(p.reads)*nk)
	for r, gr := range p.reads {
		values[r] = make([][]any, len(gr.feats))
		for f := range gr.feats {
			values[r][f] = make([]any, nk)
		}
		for _, k := range req.Keys {
			e, err := entityText(gr.g, k)
			if err != nil {
				return nil, err
			}
			keys = append(keys, recordKey(gr.g, e))
		}
	}
	items, err := o.store.Get(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("feature lookup: %w", err)
	}
	var raws []rawValue
	for r, gr := range p.reads {
		var pos []int // feature f's position in the stored schema
		var posID [8]byte
		for i := range nk {
			it := items[r*nk+i]
			if !it.Found {
				continue
			}
			id, rv, err := decodeValues(it.Value, raws[:0])
			if err != nil {
				return nil, fmt.Errorf("feature group %s key %s: %w", gr.g.ID(), keys[r*nk+i], err)
			}
			raws = rv
			m, err := o.cachedMeta(ctx, gr.g, &id)
			if err != nil {
				return nil, err
			}
			if m == nil || m.Schemas[hex.EncodeToString(id[:])] == nil {
				return nil, fmt.Errorf("feature group %s key %s: value schema %x is not in the store's metadata %s", gr.g.ID(), keys[r*nk+i], id, metaKey(gr.g))
			}
			ev := unitsToTime(it.Version.Event(), time.Duration(m.TimeUnitNS))
			if ev.After(at) || (gr.g.TTL > 0 && ev.Before(at.Add(-gr.g.TTL))) {
				continue
			}
			if pos == nil || id != posID {
				names := m.Schemas[hex.EncodeToString(id[:])]
				pos = make([]int, len(gr.feats))
				for f, name := range gr.feats {
					pos[f] = slices.Index(names, name)
				}
				posID = id
			}
			for f, j := range pos {
				if j < 0 || j >= len(rv) {
					continue
				}
				v, err := goValue(rv[j], gr.types[f])
				if err != nil {
					return nil, fmt.Errorf("feature group %s key %s feature %q: %w", gr.g.ID(), keys[r*nk+i], gr.feats[f], err)
				}
				values[r][f][i] = v
			}
		}
	}
	valueOf := func(c selCol) []any {
		for r, gr := range p.reads {
			if gr.g == c.group {
				return values[r][slices.Index(gr.feats, c.feature)]
			}
		}
		return nil
	}
	odVals := map[*odPlan]arrow.Table{}
	defer func() {
		for _, t := range odVals {
			t.Release()
		}
	}()
	for _, od := range p.ods {
		t, err := o.onDemand(ctx, od, req, at, valueOf)
		if err != nil {
			return nil, err
		}
		odVals[od] = t
	}
	res := &Result{Fields: p.fields, Rows: make([][]any, nk)}
	cells := make([]any, nk*len(p.fields))
	for i := range res.Rows {
		res.Rows[i] = cells[i*len(p.fields) : (i+1)*len(p.fields) : (i+1)*len(p.fields)]
	}
	for j, c := range p.sel.cols {
		if c.od == nil {
			vs := valueOf(c)
			for i := range nk {
				res.Rows[i][j] = vs[i]
			}
			continue
		}
		t := odVals[c.od]
		col := t.Column(t.Schema().FieldIndices(c.feature)[0]).Data()
		i := 0
		for _, a := range col.Chunks() {
			for k := 0; k < a.Len(); k++ {
				res.Rows[i][j] = valueAt(a, k)
				i++
			}
		}
	}
	return res, nil
}

// onDemand computes an on-demand set on looked-up values.
func (o *Online) onDemand(ctx context.Context, p *odPlan, req Request, at time.Time, valueOf func(selCol) []any) (arrow.Table, error) {
	mem := memory.DefaultAllocator
	nk := len(req.Keys)
	var reqTable arrow.Table
	if req.Data != nil {
		if int(req.Data.NumRows()) != nk {
			return nil, fmt.Errorf("on-demand %q: request data has %d rows for %d keys", p.od.Name, req.Data.NumRows(), nk)
		}
		reqTable = array.NewTableFromRecords(req.Data.Schema(), []arrow.RecordBatch{req.Data})
	} else {
		reqTable = array.NewTable(arrow.NewSchema(nil, nil), nil, int64(nk))
	}
	defer func() { reqTable.Release() }()
	const timeCol = "\x00request_time"
	if p.od.RequestTime != "" {
		b := array.NewTimestampBuilder(mem, requestTimeType)
		for range nk {
			b.Append(arrow.Timestamp(at.UnixMicro()))
		}
		a := b.NewArray()
		b.Release()
		ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
		a.Release()
		f := arrow.Field{Name: timeCol, Type: requestTimeType}
		cols := make([]arrow.Column, 0, reqTable.NumCols()+1)
		for i := range int(reqTable.NumCols()) {
			cols = append(cols, *reqTable.Column(i))
		}
		cols = append(cols, *arrow.NewColumn(f, ch))
		ch.Release()
		t := array.NewTable(arrow.NewSchema(append(slices.Clone(reqTable.Schema().Fields()), f), nil), cols, int64(nk))
		cols[len(cols)-1].Release()
		reqTable.Release()
		reqTable = t
	}
	var built []arrow.Array
	defer func() {
		for _, a := range built {
			a.Release()
		}
	}()
	in, err := onDemandInput(mem, p, reqTable, timeCol, func(c selCol) arrow.Array {
		a, err := buildArray(mem, c.group.Feature(c.feature).Type, valueOf(c))
		if err != nil {
			return nil
		}
		built = append(built, a)
		return a
	})
	if err != nil {
		return nil, err
	}
	defer in.Release()
	return p.apply(ctx, in)
}

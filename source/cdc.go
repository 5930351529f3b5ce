package source

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
)

// CDCConfig says how to read Debezium-style change events: one row per
// change, with an operation, an ordering sequence, and the row's image.
//
// Two layouts are understood. In the envelope layout (Debezium's, as landed
// from Kafka or NDJSON with nested objects kept as structs) the input has a
// struct column After (and optionally Before) holding the row image; the
// output has the After struct's fields. In the flat layout (a change table in
// a database) the input has no After struct column; the image is the row
// itself, and the output has every input column except Op and Seq.
type CDCConfig struct {
	// Key lists the primary key columns of the image. Required.
	Key []string `json:"key"`
	// Op is the operation column (utf8): "c" create, "r" snapshot read, "u"
	// update, "d" delete, "t" truncate; a null op (a tombstone) is skipped.
	// Default "op".
	Op string `json:"op,omitempty"`
	// Seq lists the columns that order the events (a log sequence number,
	// a source timestamp and a transaction index, ...). Events are applied in
	// ascending Seq order; events with equal Seq in input order. Empty means
	// input order.
	Seq []string `json:"seq,omitempty"`
	// Before and After name the envelope's struct columns. Defaults
	// "before" and "after".
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

func (c CDCConfig) withDefaults() CDCConfig {
	if c.Op == "" {
		c.Op = "op"
	}
	if c.Before == "" {
		c.Before = "before"
	}
	if c.After == "" {
		c.After = "after"
	}
	return c
}

// ChangesTransform applies change events to produce the current state of a
// table: one row per live key, sorted by key ascending. Create one with
// ApplyChanges.
//
// Semantics, all deterministic: events are applied in Seq order (ties in
// input order). Create, read and update replace the key's row with the after
// image (an update whose before image has another key also removes the old
// key); delete removes the key (taken from the before image, or the after
// image when there is none); truncate removes every key; a null op is
// skipped. Replaying a duplicate event changes nothing; an event that arrives
// out of order is put back in place by Seq. A missing after image on create
// or update, a null key, a null Seq value or an unknown op fails with the
// event's row number (1-based in input order).
//
// Applied to the full event log (a change table read whole, or every
// committed partition of a landed events dataset, e.g.
// CDC(Parquet(eventsDir), cfg) on an unpartitioned node) it gives the
// current snapshot of the table; applied to a Lookback window it gives the
// latest image of the keys changed in the window.
type ChangesTransform struct {
	cfg CDCConfig
}

// ApplyChanges returns the transform applying change events described by cfg.
func ApplyChanges(cfg CDCConfig) *ChangesTransform { return &ChangesTransform{cfg: cfg} }

// Spec implements kiln.Transform.
func (t *ChangesTransform) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.apply_changes", Version: "1", Config: t.cfg}
}

// cdcLayout is the resolved input layout.
type cdcLayout struct {
	out      *arrow.Schema
	op       int
	seq      []int
	before   int // struct column, or -1
	after    int // struct column, or -1 for the flat layout
	imageCol []int
	keyIdx   []int // key fields within the image
}

// OutputSchema implements kiln.Transform.
func (t *ChangesTransform) OutputSchema(inputs []*arrow.Schema) (*arrow.Schema, error) {
	l, err := t.layout(inputs)
	if err != nil {
		return nil, err
	}
	return l.out, nil
}

func (t *ChangesTransform) layout(inputs []*arrow.Schema) (*cdcLayout, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("apply changes: want 1 input (the change events), got %d", len(inputs))
	}
	in, cfg := inputs[0], t.cfg.withDefaults()
	if len(cfg.Key) == 0 {
		return nil, fmt.Errorf("apply changes: CDCConfig.Key is empty")
	}
	col := func(name, role string) (int, error) {
		idx := in.FieldIndices(name)
		if len(idx) == 0 {
			return -1, &kiln.SchemaError{Column: name, Problem: "missing (" + role + ")", Input: -1}
		}
		return idx[0], nil
	}
	l := &cdcLayout{before: -1, after: -1}
	var err error
	if l.op, err = col(cfg.Op, "CDC op"); err != nil {
		return nil, err
	}
	if id := in.Field(l.op).Type.ID(); id != arrow.STRING && id != arrow.LARGE_STRING {
		return nil, &kiln.SchemaError{Column: cfg.Op, Problem: "has type " + in.Field(l.op).Type.String() + ", want utf8", Input: -1}
	}
	for _, s := range cfg.Seq {
		i, err := col(s, "CDC sequence")
		if err != nil {
			return nil, err
		}
		if _, err := newKeyColumn(arrowx0(in.Field(i).Type)); err != nil {
			return nil, &kiln.SchemaError{Column: s, Problem: err.Error(), Input: -1}
		}
		l.seq = append(l.seq, i)
	}
	var image []arrow.Field
	if idx := in.FieldIndices(cfg.After); len(idx) > 0 && in.Field(idx[0]).Type.ID() == arrow.STRUCT {
		l.after = idx[0]
		st := in.Field(l.after).Type.(*arrow.StructType)
		image = st.Fields()
		if b := in.FieldIndices(cfg.Before); len(b) > 0 {
			if !arrow.TypeEqual(in.Field(b[0]).Type, st) {
				return nil, &kiln.SchemaError{Column: cfg.Before, Problem: "differs from the " + cfg.After + " struct type", Input: -1}
			}
			l.before = b[0]
		}
	} else {
		for i, f := range in.Fields() {
			if i == l.op || slices.Contains(l.seq, i) {
				continue
			}
			image = append(image, f)
			l.imageCol = append(l.imageCol, i)
		}
	}
	l.out = arrow.NewSchema(image, nil)
	for _, k := range cfg.Key {
		idx := l.out.FieldIndices(k)
		if len(idx) == 0 {
			return nil, &kiln.SchemaError{Column: k, Problem: "missing from the row image (CDC key)", Input: -1}
		}
		if _, err := newKeyColumn(arrowx0(l.out.Field(idx[0]).Type)); err != nil {
			return nil, &kiln.SchemaError{Column: k, Problem: err.Error(), Input: -1}
		}
		l.keyIdx = append(l.keyIdx, idx[0])
	}
	return l, nil
}

// arrowx0 returns an empty array of dt, to pick a key column kind from.
func arrowx0(dt arrow.DataType) arrow.Array {
	return array.MakeArrayOfNull(memory.DefaultAllocator, dt, 0)
}

// Apply implements kiln.Transform.
func (t *ChangesTransform) Apply(ctx *kiln.Context, inputs []arrow.Table) (arrow.Table, error) {
	schemas := make([]*arrow.Schema, len(inputs))
	for i, in := range inputs {
		schemas[i] = in.Schema()
	}
	l, err := t.layout(schemas)
	if err != nil {
		return nil, err
	}
	return applyChanges(ctx, ctx.Allocator(), l, inputs[0])
}

func applyChanges(ctx context.Context, mem memory.Allocator, l *cdcLayout, in arrow.Table) (arrow.Table, error) {
	var owned []arrow.Array
	defer func() {
		for _, a := range owned {
			a.Release()
		}
	}()
	column := func(i int) (arrow.Array, error) {
		chunks := in.Column(i).Data().Chunks()
		if len(chunks) == 1 {
			return chunks[0], nil
		}
		if len(chunks) == 0 {
			a := array.MakeArrayOfNull(mem, in.Schema().Field(i).Type, 0)
			owned = append(owned, a)
			return a, nil
		}
		a, err := array.Concatenate(chunks, mem)
		if err != nil {
			return nil, err
		}
		owned = append(owned, a)
		return a, nil
	}
	opArr, err := column(l.op)
	if err != nil {
		return nil, err
	}
	ops, err := opCodes(opArr)
	if err != nil {
		return nil, err
	}
	n := len(ops)

	// The images: the After (and Before) structs' fields, or flat columns.
	var after, before *array.Struct
	image := make([]arrow.Array, l.out.NumFields())
	if l.after >= 0 {
		a, err := column(l.after)
		if err != nil {
			return nil, err
		}
		after = a.(*array.Struct)
		for j := range image {
			image[j] = after.Field(j)
		}
		if l.before >= 0 {
			b, err := column(l.before)
			if err != nil {
				return nil, err
			}
			before = b.(*array.Struct)
		}
	} else {
		for j, c := range l.imageCol {
			if image[j], err = column(c); err != nil {
				return nil, err
			}
		}
	}
	keysOf := func(arrs []arrow.Array) ([]keyColumn, error) {
		out := make([]keyColumn, len(l.keyIdx))
		for k, j := range l.keyIdx {
			if out[k], err = newKeyColumn(arrs[j]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	afterKeys, err := keysOf(image)
	if err != nil {
		return nil, err
	}
	var beforeKeys []keyColumn
	if before != nil {
		fields := make([]arrow.Array, l.out.NumFields())
		for j := range fields {
			fields[j] = before.Field(j)
		}
		if beforeKeys, err = keysOf(fields); err != nil {
			return nil, err
		}
	}

	// Apply order: by Seq, ties in input order.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if len(l.seq) > 0 {
		seq := make([]keyColumn, len(l.seq))
		for k, c := range l.seq {
			a, err := column(c)
			if err != nil {
				return nil, err
			}
			if a.NullN() > 0 {
				for i := 0; i < a.Len(); i++ {
					if a.IsNull(i) {
						return nil, fmt.Errorf("apply changes: row %d: sequence column %q is null", i+1, in.Schema().Field(c).Name)
					}
				}
			}
			if seq[k], err = newKeyColumn(a); err != nil {
				return nil, err
			}
		}
		slices.SortStableFunc(order, func(a, b int32) int { return compareKeys(seq, int(a), int(b)) })
	}

	live := make(map[string]int32, n)
	var buf []byte
	key := func(cols []keyColumn, i int) (string, error) {
		buf = buf[:0]
		for k, c := range cols {
			if c.arr.IsNull(i) {
				return "", fmt.Errorf("apply changes: row %d: key column %q is null", i+1, l.out.Field(l.keyIdx[k]).Name)
			}
			buf = c.appendKey(buf, i)
		}
		return string(buf), nil
	}
	for step, i32 := range order {
		if step%65536 == 65535 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		i := int(i32)
		hasAfter := after == nil || after.IsValid(i)
		hasBefore := before != nil && before.IsValid(i)
		switch ops[i] {
		case 0: // tombstone
		case 't':
			clear(live)
		case 'c', 'r', 'u':
			if !hasAfter {
				return nil, fmt.Errorf("apply changes: row %d: op %q without an after image", i+1, ops[i])
			}
			k, err := key(afterKeys, i)
			if err != nil {
				return nil, err
			}
			if hasBefore {
				old, err := key(beforeKeys, i)
				if err != nil {
					return nil, err
				}
				if old != k {
					delete(live, old)
				}
			}
			live[k] = i32
		case 'd':
			cols := afterKeys
			if hasBefore {
				cols = beforeKeys
			} else if !hasAfter {
				return nil, fmt.Errorf("apply changes: row %d: delete without a before or after image", i+1)
			}
			k, err := key(cols, i)
			if err != nil {
				return nil, err
			}
			delete(live, k)
		default:
			return nil, fmt.Errorf("apply changes: row %d: unknown op %q (want c, r, u, d or t)", i+1, opArr.ValueStr(i))
		}
	}

	// Output: the live rows' images, by key.
	rows := make([]int32, 0, len(live))
	for _, i := range live {
		rows = append(rows, i)
	}
	slices.SortFunc(rows, func(a, b int32) int { return compareKeys(afterKeys, int(a), int(b)) })
	ib := array.NewInt32Builder(mem)
	ib.AppendValues(rows, nil)
	idx := ib.NewArray()
	ib.Release()
	defer idx.Release()
	cols := make([]arrow.Column, len(image))
	for j, a := range image {
		taken, err := compute.TakeArray(ctx, a, idx)
		if err != nil {
			for _, c := range cols[:j] {
				c.Release()
			}
			return nil, fmt.Errorf("apply changes: column %q: %w", l.out.Field(j).Name, err)
		}
		ch := arrow.NewChunked(taken.DataType(), []arrow.Array{taken})
		cols[j] = *arrow.NewColumn(l.out.Field(j), ch)
		ch.Release()
		taken.Release()
	}
	out := array.NewTable(l.out, cols, int64(len(rows)))
	for j := range cols {
		cols[j].Release()
	}
	return out, nil
}

// opCodes reads the op column: the first byte of each op, 0 for null.
func opCodes(a arrow.Array) ([]byte, error) {
	ops := make([]byte, a.Len())
	for i := range ops {
		if a.IsNull(i) {
			continue
		}
		var s string
		switch x := a.(type) {
		case *array.String:
			s = x.Value(i)
		case *array.LargeString:
			s = x.Value(i)
		}
		if len(s) != 1 {
			return nil, fmt.Errorf("apply changes: row %d: unknown op %q (want c, r, u, d or t)", i+1, s)
		}
		ops[i] = s[0]
	}
	return ops, nil
}

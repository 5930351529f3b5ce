package transform

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
)

// ChainTransform applies transforms one after another. Create one with Chain.
type ChainTransform struct {
	steps []kiln.Transform
}

// Chain returns a transform applying steps in order: the first gets the
// node's inputs, each later one the previous step's output. Its spec lists
// every step's name, version and config, so changing any step changes the
// fingerprint. Output order: that of the last step.
func Chain(steps ...kiln.Transform) *ChainTransform {
	return &ChainTransform{steps: steps}
}

type stepSpec struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Config  any    `json:"config"`
}

// Spec implements kiln.Transform.
func (c *ChainTransform) Spec() kiln.Spec {
	steps := make([]stepSpec, len(c.steps))
	for i, s := range c.steps {
		if s == nil {
			continue
		}
		sp := s.Spec()
		steps[i] = stepSpec{Name: sp.Name, Version: sp.Version, Config: sp.Config}
	}
	return spec("chain", "1", steps)
}

// OutputSchema implements kiln.Transform.
func (c *ChainTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if len(c.steps) == 0 {
		return nil, fmt.Errorf("transform.chain: no steps")
	}
	cur := in
	for i, s := range c.steps {
		if s == nil {
			return nil, fmt.Errorf("transform.chain: step %d is nil", i)
		}
		out, err := s.OutputSchema(cur)
		if err != nil {
			return nil, fmt.Errorf("chain step %d (%s): %w", i, s.Spec().Name, err)
		}
		cur = []*arrow.Schema{out}
	}
	return cur[0], nil
}

// Apply implements kiln.Transform. Consecutive row-selecting steps
// (DropNulls, Filter, Dedupe) run as one: each reads only its own columns
// of the rows the steps before it kept, and the rows are copied once, so a
// cleaning chain holds its input and its output, not one copy per step.
// When the column lineage of the steps after them shows that some columns
// are never read again nor output, those are not copied at all. When kiln
// hands the chain an input no one else holds (the node is its last
// consumer), the chain also lets go of each input column once no later
// step needs it, and of each copied column as soon as it is copied. The
// result is the same as applying the steps one after another.
func (c *ChainTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if len(c.steps) == 0 {
		return nil, fmt.Errorf("transform.chain: no steps")
	}
	consumes := slices.ContainsFunc(in, func(t arrow.Table) bool {
		_, ok := t.(*arrowx.Owned)
		return ok
	})
	out, pruned, err := c.apply(ctx, in, true)
	if !pruned || consumes || (err != nil && ctx.Err() != nil) {
		// Nothing to redo; or an input kiln handed over may have been
		// consumed (by a selection, join or sort; pruning was then checked
		// against the steps' schemas first); or cancelled.
		return out, err
	}
	// Columns were dropped on the strength of the steps' lineage. Should a
	// step have read a column its lineage does not name, the output would
	// miss a column or a step would fail: then run again without pruning,
	// so a lineage bug never changes a result.
	if err == nil {
		want, serr := c.OutputSchema(schemasOf(in))
		if serr == nil && want.Equal(out.Schema()) {
			return out, nil
		}
		out.Release()
	}
	out, _, err = c.apply(ctx, in, false)
	return out, err
}

// apply runs the steps; with prune, it drops columns no later step needs
// at fused selections, and between steps when it holds the table alone,
// and reports whether it did.
func (c *ChainTransform) apply(ctx *kiln.Context, in []arrow.Table, prune bool) (res arrow.Table, pruned bool, err error) {
	// cur is the current table. When it is an arrowx.Owned, the chain
	// holds it alone (an input kiln handed over, or a step's output) and
	// drops what it no longer needs instead of releasing: tables are freed
	// by the garbage collector once nothing references them.
	cur := slices.Clone(in)
	for i := 0; i < len(c.steps); {
		s := c.steps[i]
		if s == nil {
			return nil, pruned, fmt.Errorf("transform.chain: step %d is nil", i)
		}
		if o, ok := owned(cur); ok && prune {
			if keep := c.neededAfter(i, o.Schema()); keep != nil {
				cur[0], pruned = projectOwned(o, keep), true
			}
		}
		run := c.selectorRun(i)
		if len(run) >= 1 && len(cur) == 1 {
			ins := make([]*arrow.Schema, len(run)+1)
			ins[0] = cur[0].Schema()
			for k, sel := range run {
				out, err := sel.OutputSchema(ins[k : k+1])
				if err != nil {
					return nil, pruned, fmt.Errorf("chain step %d (%s): %w", i+k, sel.Spec().Name, err)
				}
				ins[k+1] = out
			}
			// A lone selector gains from dropping unneeded columns, or
			// from an owned input it can free as it copies.
			var keep []string
			if prune {
				keep = c.neededAfter(i+len(run), ins[len(run)])
			}
			if _, consume := owned(cur); len(run) >= 2 || keep != nil || consume {
				pruned = pruned || keep != nil
				out, k, err := applySelectors(ctx, run, ins, keep, cur[0])
				if err != nil {
					return nil, pruned, fmt.Errorf("chain step %d (%s): %w", i+k, run[k].Spec().Name, err)
				}
				cur = []arrow.Table{arrowx.Own(out)}
				i += len(run)
				continue
			}
		}
		out, err := s.Apply(ctx, cur)
		if err != nil {
			return nil, pruned, fmt.Errorf("chain step %d (%s): %w", i, s.Spec().Name, err)
		}
		cur = []arrow.Table{arrowx.Own(out)}
		i++
	}
	if o, ok := owned(cur); ok {
		return o.Unwrap(), pruned, nil
	}
	return cur[0], pruned, nil
}

// owned returns the single table of ts when it is an arrowx.Owned.
func owned(ts []arrow.Table) (*arrowx.Owned, bool) {
	if len(ts) != 1 {
		return nil, false
	}
	o, ok := ts[0].(*arrowx.Owned)
	return o, ok
}

// projectOwned returns the columns keep of o as a new Owned; o's other
// columns are let go.
func projectOwned(o *arrowx.Owned, keep []string) *arrowx.Owned {
	s := o.Schema()
	idx, err := fieldIndices(s, keep)
	if err != nil {
		return o // neededAfter names only columns of o: cannot happen
	}
	cols, rows := takeColumns(o, idx)
	return arrowx.Own(ownedTable(projectSchema(s, idx), cols, rows))
}

// neededAfter returns the columns of schema s, the input of step i, that
// steps i.. read or pass to the chain's output, from their column lineage;
// nil when that is every column or not known (a step without lineage, or an
// output column it does not account for).
func (c *ChainTransform) neededAfter(i int, s *arrow.Schema) []string {
	if i >= len(c.steps) {
		return nil
	}
	rest := &ChainTransform{steps: c.steps[i:]}
	lin, err := rest.ColumnLineage([]*arrow.Schema{s})
	if err != nil || len(lin) == 0 {
		return nil
	}
	out, err := rest.OutputSchema([]*arrow.Schema{s})
	if err != nil {
		return nil
	}
	need := map[string]bool{}
	for _, f := range s.Fields() {
		if len(s.FieldIndices(f.Name)) != 1 {
			return nil // a repeated name: keep it simple
		}
	}
	for _, f := range out.Fields() {
		refs, ok := lin[f.Name]
		if !ok {
			return nil
		}
		for _, r := range refs {
			need[r.Column] = true
		}
	}
	var cols []string
	for _, f := range s.Fields() {
		if need[f.Name] {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == s.NumFields() || len(cols) == 0 {
		return nil
	}
	// The steps must accept the pruned input and give the same output.
	idx, err := fieldIndices(s, cols)
	if err != nil {
		return nil
	}
	pruned, err := rest.OutputSchema([]*arrow.Schema{projectSchema(s, idx)})
	if err != nil || !pruned.Equal(out) {
		return nil
	}
	return cols
}

// selectorRun returns the row selectors starting at step i, up to the
// first step that is not one.
func (c *ChainTransform) selectorRun(i int) []rowSelector {
	var run []rowSelector
	for _, s := range c.steps[i:] {
		sel, ok := s.(rowSelector)
		if !ok {
			break
		}
		run = append(run, sel)
	}
	return run
}

// ColumnLineage implements kiln.ColumnLineager by composing the steps'
// lineage. A step without lineage ends the chain's knowledge: the result is
// then empty.
func (c *ChainTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	schemas := in
	var acc map[string][]kiln.ColumnRef // output column -> original input columns
	for i, s := range c.steps {
		cl, ok := s.(kiln.ColumnLineager)
		if !ok {
			return nil, nil
		}
		step, err := cl.ColumnLineage(schemas)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			acc = step
		} else {
			next := make(map[string][]kiln.ColumnRef, len(step))
			for col, refs := range step {
				for _, r := range refs {
					for _, orig := range acc[r.Column] {
						kind, sub := orig.Kind, orig.Subtype
						if r.Kind == "INDIRECT" {
							kind, sub = r.Kind, r.Subtype
						} else if r.Subtype != "IDENTITY" && sub == "IDENTITY" {
							sub = r.Subtype
						}
						next[col] = append(next[col], kiln.ColumnRef{Input: orig.Input, Column: orig.Column, Kind: kind, Subtype: sub})
					}
				}
			}
			acc = next
		}
		out, err := s.OutputSchema(schemas)
		if err != nil {
			return nil, err
		}
		schemas = []*arrow.Schema{out}
	}
	return acc, nil
}

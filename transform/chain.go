package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
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

// Apply implements kiln.Transform.
func (c *ChainTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	cur := in
	for i, s := range c.steps {
		out, err := s.Apply(ctx, cur)
		if err != nil {
			return nil, fmt.Errorf("chain step %d (%s): %w", i, s.Spec().Name, err)
		}
		cur = []arrow.Table{out}
	}
	return cur[0], nil
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

package kiln

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/lineage"
)

// WithListener adds a listener that receives run events (see
// lineage.Listener): lineage emitters, progress displays, metrics. Several
// may be added; each gets every event.
func WithListener(l lineage.Listener) Option {
	return func(p *Pipeline) {
		if l != nil {
			p.listeners = append(p.listeners, l)
		}
	}
}

// ColumnRef names an input column that feeds an output column. Input is the
// index of the input in the node's input list.
type ColumnRef struct {
	// Input is the index of the input table.
	Input int
	// Column is the input column name.
	Column string
	// Kind is "DIRECT" or "INDIRECT" (see lineage.ColumnInput).
	Kind string
	// Subtype refines Kind (see lineage.ColumnInput).
	Subtype string
}

// ColumnLineager is implemented by transforms that know which input columns
// feed each output column. kiln records it in run records, and lineage
// exports it as OpenLineage column lineage.
type ColumnLineager interface {
	// ColumnLineage returns, for output columns by name, the input columns
	// they derive from. Columns left out have no known lineage.
	ColumnLineage(inputs []*arrow.Schema) (map[string][]ColumnRef, error)
}

// columnLineage resolves a transform's declared column lineage against the
// plan, in output schema order.
func columnLineage(n *PlanNode, inputs []*arrow.Schema) ([]lineage.ColumnLineage, error) {
	cl, ok := n.node.transform.(ColumnLineager)
	if !ok {
		return nil, nil
	}
	var refs map[string][]ColumnRef
	if err := safeCall(func() (err error) { refs, err = cl.ColumnLineage(inputs); return err }); err != nil {
		return nil, fmt.Errorf("column lineage: %w", err)
	}
	var out []lineage.ColumnLineage
	for _, f := range n.Schema.Fields() {
		rs, ok := refs[f.Name]
		if !ok {
			continue
		}
		c := lineage.ColumnLineage{Column: f.Name}
		for _, r := range rs {
			if r.Input < 0 || r.Input >= len(n.Inputs) {
				return nil, fmt.Errorf("column lineage of %q: input %d out of range", f.Name, r.Input)
			}
			c.Inputs = append(c.Inputs, lineage.ColumnInput{Dataset: n.Inputs[r.Input].Node, Column: r.Column, Kind: r.Kind, Subtype: r.Subtype})
		}
		out = append(out, c)
	}
	return out, nil
}

package kiln

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/canon"
	"github.com/kiln-data/kiln/lineage"
)

// Plan is a validated pipeline: nodes in topological order, each with its
// inferred output schema. Planning reads no data (sources may read a file
// footer or a manifest to learn their schema).
type Plan struct {
	// Pipeline is the pipeline name.
	Pipeline string
	// Nodes are in topological order; ties keep declaration order.
	Nodes []*PlanNode

	p      *Pipeline
	byName map[string]*PlanNode
}

// PlanNode is one node of a Plan.
type PlanNode struct {
	// Name is the node and dataset name.
	Name string
	// Kind is "source" or "transform".
	Kind string
	// Op is the source's or transform's spec.
	Op Spec
	// Inputs are the node's inputs, in order.
	Inputs []PlanInput
	// Schema is the node's output schema.
	Schema *arrow.Schema
	// Partitioned is false for unpartitioned nodes.
	Partitioned bool
	// Checks are the specs of the attached checks.
	Checks []Spec
	// Sinks are the specs of the attached sinks.
	Sinks []Spec

	node      *Node
	index     int
	op        lineage.Operation
	checkOps  []lineage.Operation
	fields    []lineage.Field
	columns   []lineage.ColumnLineage
	consumers int
}

// PlanInput is one input of a PlanNode.
type PlanInput struct {
	// Node is the input node's name.
	Node string
	// Mapping is "same", "lookback" or "whole".
	Mapping string
	// Window is the lookback window.
	Window time.Duration

	node    *PlanNode
	mapping mapping
}

// Plan validates the pipeline and infers every node's output schema. Errors
// are *NodeError values naming the node (and the column, for a
// *SchemaError), or wrap ErrPlan for pipeline-level problems.
func (p *Pipeline) Plan(ctx context.Context) (*Plan, error) {
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err := checkNesting(p.nodes); err != nil {
		return nil, err
	}
	order, err := topoSort(p.nodes)
	if err != nil {
		return nil, fmt.Errorf("%w: pipeline %q: %v", ErrPlan, p.name, err)
	}
	pl := &Plan{Pipeline: p.name, p: p, byName: map[string]*PlanNode{}}
	for i, n := range order {
		pn, err := p.planNode(ctx, pl, n, i)
		if err != nil {
			return nil, &NodeError{Pipeline: p.name, Node: n.name, AtPlan: true, Err: err}
		}
		pl.Nodes = append(pl.Nodes, pn)
		pl.byName[pn.Name] = pn
	}
	return pl, nil
}

func (p *Pipeline) planNode(ctx context.Context, pl *Plan, n *Node, idx int) (*PlanNode, error) {
	pn := &PlanNode{Name: n.name, node: n, index: idx, Partitioned: !n.unpartitioned}
	pctx := &Context{Context: ctx, pipeline: p.name, node: n.name, planning: true,
		log: p.logger.With("pipeline", p.name, "node", n.name), mem: memory.DefaultAllocator}
	var err error
	if n.source != nil {
		pn.Kind = "source"
		pn.Op = n.source.Spec()
		err = safeCall(func() error {
			s, err := n.source.Schema(pctx)
			pn.Schema = s
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("source schema: %w", err)
		}
	} else {
		pn.Kind = "transform"
		pn.Op = n.transform.Spec()
		schemas := make([]*arrow.Schema, len(n.inputs))
		for i, ref := range n.inputs {
			up := pl.byName[ref.node.name]
			in := PlanInput{Node: up.Name, Mapping: ref.mapping.String(), Window: ref.window, node: up, mapping: ref.mapping}
			switch {
			case ref.mapping == mapLookback && !up.Partitioned:
				return nil, fmt.Errorf("input %q: lookback over an unpartitioned node", up.Name)
			case ref.mapping == mapLookback && ref.window <= 0:
				return nil, fmt.Errorf("input %q: lookback window must be positive, got %s", up.Name, ref.window)
			case ref.mapping == mapWhole && up.Partitioned:
				return nil, fmt.Errorf("input %q: Whole needs an unpartitioned node (mark it Unpartitioned, or use Lookback)", up.Name)
			case !pn.Partitioned && up.Partitioned:
				return nil, fmt.Errorf("input %q: an unpartitioned node cannot read a partitioned one", up.Name)
			}
			if !up.Partitioned {
				in.mapping, in.Mapping = mapWhole, mapWhole.String()
			}
			pn.Inputs = append(pn.Inputs, in)
			schemas[i] = up.Schema
			up.consumers++
		}
		err = safeCall(func() error {
			s, err := n.transform.OutputSchema(schemas)
			pn.Schema = s
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("output schema: %w", err)
		}
		if pn.Schema != nil {
			if pn.columns, err = columnLineage(pn, schemas); err != nil {
				return nil, err
			}
		}
	}
	if pn.Schema == nil {
		return nil, errors.New("no output schema")
	}
	pn.fields = schemaFields(pn.Schema)
	if pn.op, err = operation(pn.Op); err != nil {
		return nil, err
	}
	for _, c := range n.checks {
		spec := c.Spec()
		op, err := operation(spec)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", spec.Name, err)
		}
		if v, ok := c.(SchemaValidator); ok {
			if err := safeCall(func() error { return v.ValidateSchema(pn.Schema) }); err != nil {
				return nil, fmt.Errorf("check %s: %w", spec.Name, err)
			}
		}
		pn.Checks = append(pn.Checks, spec)
		pn.checkOps = append(pn.checkOps, op)
	}
	for _, s := range n.sinks {
		spec := s.Spec()
		if _, err := canon.JSON(spec.Config); err != nil {
			return nil, fmt.Errorf("sink %s: config: %w", spec.Name, err)
		}
		if v, ok := s.(SchemaValidator); ok {
			if err := safeCall(func() error { return v.ValidateSchema(pn.Schema) }); err != nil {
				return nil, fmt.Errorf("sink %s: %w", spec.Name, err)
			}
		}
		pn.Sinks = append(pn.Sinks, spec)
	}
	return pn, nil
}

// windowParts returns the partitions of a lookback window ending at p,
// oldest first.
func windowParts(p Partition, w time.Duration) []Partition {
	g := p.Grain().Duration()
	if g == 0 {
		return []Partition{p}
	}
	n := int((w + g - 1) / g)
	out := make([]Partition, n)
	for i := range n {
		out[i] = p.Add(i - n + 1)
	}
	return out
}

func operation(s Spec) (lineage.Operation, error) {
	if s.Name == "" {
		return lineage.Operation{}, errors.New("operation has an empty name")
	}
	cfg, err := canon.JSON(s.Config)
	if err != nil {
		return lineage.Operation{}, fmt.Errorf("config of %s: %w", s.Name, err)
	}
	h, err := canon.Hash(s.Config)
	if err != nil {
		return lineage.Operation{}, fmt.Errorf("config of %s: %w", s.Name, err)
	}
	return lineage.Operation{Name: s.Name, Version: s.Version, Config: cfg, ConfigHash: h}, nil
}

// topoSort orders nodes so that inputs come first, keeping declaration order
// among independent nodes. It reports a cycle by naming its nodes.
func topoSort(nodes []*Node) ([]*Node, error) {
	indeg := make(map[*Node]int, len(nodes))
	users := make(map[*Node][]*Node, len(nodes))
	for _, n := range nodes {
		indeg[n] += 0
		for _, in := range n.inputs {
			indeg[n]++
			users[in.node] = append(users[in.node], n)
		}
	}
	var order []*Node
	done := make(map[*Node]bool, len(nodes))
	for len(order) < len(nodes) {
		progressed := false
		for _, n := range nodes {
			if done[n] || indeg[n] > 0 {
				continue
			}
			done[n] = true
			order = append(order, n)
			for _, u := range users[n] {
				indeg[u]--
			}
			progressed = true
			break
		}
		if !progressed {
			var cyc []string
			for _, n := range nodes {
				if !done[n] {
					cyc = append(cyc, n.name)
				}
			}
			return nil, fmt.Errorf("cycle among nodes %s", strings.Join(cyc, ", "))
		}
	}
	return order, nil
}

// checkNesting refuses a dataset whose directory would sit inside another's
// ("silver" and "silver.events").
func checkNesting(nodes []*Node) error {
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b && strings.HasPrefix(b.name, a.name+".") {
				return fmt.Errorf("%w: dataset %q would be stored inside dataset %q; rename one", ErrPlan, b.name, a.name)
			}
		}
	}
	return nil
}

// safeCall runs f, turning a panic into an error so user code cannot crash
// a run.
func safeCall(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// Node returns the planned node with the given name, or nil.
func (pl *Plan) Node(name string) *PlanNode { return pl.byName[name] }

// String renders the plan as text: one line per node with its kind, inputs
// and schema.
func (pl *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %s\n", pl.Pipeline)
	for _, n := range pl.Nodes {
		fmt.Fprintf(&b, "  %s %s (%s %s)", n.Kind, n.Name, n.Op.Name, n.Op.Version)
		if !n.Partitioned {
			b.WriteString(" unpartitioned")
		}
		if len(n.Inputs) > 0 {
			ins := make([]string, len(n.Inputs))
			for i, in := range n.Inputs {
				ins[i] = in.Node
				if in.mapping == mapLookback {
					ins[i] += fmt.Sprintf(" [lookback %s]", in.Window)
				}
			}
			fmt.Fprintf(&b, " <- %s", strings.Join(ins, ", "))
		}
		b.WriteString("\n")
		for _, f := range n.Schema.Fields() {
			null := ""
			if f.Nullable {
				null = " (nullable)"
			}
			fmt.Fprintf(&b, "      %s %s%s\n", f.Name, f.Type, null)
		}
		for _, c := range n.Checks {
			fmt.Fprintf(&b, "      check %s\n", c.Name)
		}
		for _, s := range n.Sinks {
			fmt.Fprintf(&b, "      sink %s\n", s.Name)
		}
	}
	return b.String()
}

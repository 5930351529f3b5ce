package feature

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
)

// OnDemand is a set of features computed at request time from looked-up
// feature values and request data, by a kiln transform. The same transform
// runs when building a training set (on the point-in-time values and the
// label table's columns) and in Online.Get (on the online values and the
// request data), so both paths give identical values.
//
// The transform gets one table, one row per entity row, in order:
//
//	the Request columns (from the label table offline, from the request data online),
//	the RequestTime column when named (timestamp[us, UTC]: the label time offline, the lookup time online),
//	the Inputs, each named "group__feature" (null when the entity has no value).
//
// It must return one row per input row, in input order; its output columns
// are the on-demand features, named "<Name>:<column>" in references. It must
// obey the determinism contract and must not depend on the Context's
// partition or time (use RequestTime).
type OnDemand struct {
	// Name names the set in feature references: lower-case letters, digits
	// and '_'.
	Name string
	// Inputs are the group features it reads, as references
	// ("group:feature" or "group").
	Inputs []string
	// Request are the request data columns it reads.
	Request []arrow.Field
	// RequestTime, when not empty, names the column that carries the
	// request time.
	RequestTime string
	// Transform computes the features.
	Transform kiln.Transform
}

// odPlan is an on-demand set resolved against groups.
type odPlan struct {
	od     *OnDemand
	inputs []selCol
	in     *arrow.Schema // the transform's input schema
	out    *arrow.Schema // its output schema
}

var requestTimeType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// plan resolves the on-demand set's inputs against groups and infers its
// output schema.
func (od *OnDemand) plan(groups []*Group) (*odPlan, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: on-demand %q: %s", ErrDefinition, od.Name, fmt.Sprintf(format, args...))
	}
	if !groupNameRE.MatchString(od.Name) || od.Name == "meta" {
		return nil, bad("name: use lower-case letters, digits and '_'")
	}
	if od.Transform == nil {
		return nil, bad("no transform")
	}
	sel, err := resolveRefs(od.Inputs, groups, nil)
	if err != nil {
		return nil, fmt.Errorf("on-demand %q inputs: %w", od.Name, err)
	}
	fields := slices.Clone(od.Request)
	if od.RequestTime != "" {
		fields = append(fields, arrow.Field{Name: od.RequestTime, Type: requestTimeType, Nullable: true})
	}
	for _, c := range sel.cols {
		fields = append(fields, arrow.Field{Name: c.outName(true), Type: c.group.Feature(c.feature).Type, Nullable: true})
	}
	names := map[string]bool{}
	for _, f := range fields {
		if names[f.Name] {
			return nil, bad("input column %q appears twice", f.Name)
		}
		names[f.Name] = true
	}
	in := arrow.NewSchema(fields, nil)
	out, err := od.Transform.OutputSchema([]*arrow.Schema{in})
	if err != nil {
		return nil, fmt.Errorf("on-demand %q: output schema: %w", od.Name, err)
	}
	for _, f := range out.Fields() {
		if !featureNameRE.MatchString(f.Name) {
			return nil, bad("output column %q: use letters, digits and '_'", f.Name)
		}
		if err := checkValueType(f.Type); err != nil {
			return nil, bad("output column %q %v", f.Name, err)
		}
	}
	return &odPlan{od: od, inputs: sel.cols, in: in, out: out}, nil
}

// planOnDemand plans every on-demand set.
func planOnDemand(ods []*OnDemand, groups []*Group) ([]*odPlan, error) {
	out := make([]*odPlan, len(ods))
	for i, od := range ods {
		p, err := od.plan(groups)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// apply runs the transform on its input table and checks the result.
func (p *odPlan) apply(ctx context.Context, in arrow.Table) (arrow.Table, error) {
	kctx := kiln.NewContext(ctx, "feature.on_demand."+p.od.Name, kiln.All)
	var out arrow.Table
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		out, err = p.od.Transform.Apply(kctx, []arrow.Table{in})
		return err
	}()
	if err != nil {
		return nil, fmt.Errorf("on-demand %q: %w", p.od.Name, err)
	}
	if out == nil {
		return nil, fmt.Errorf("on-demand %q: the transform returned no table", p.od.Name)
	}
	if out.NumRows() != in.NumRows() {
		out.Release()
		return nil, fmt.Errorf("on-demand %q: the transform returned %d rows for %d: it must return one row per input row", p.od.Name, out.NumRows(), in.NumRows())
	}
	if !arrowx.SchemaEqual(out.Schema(), p.out) {
		s := out.Schema()
		out.Release()
		return nil, fmt.Errorf("on-demand %q: the transform returned schema %s, its plan said %s", p.od.Name, s, p.out)
	}
	return out, nil
}

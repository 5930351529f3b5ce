package feature

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Ref names features: "group:feature" (one feature), "group" (every
// feature of the group, in definition order), with an optional version
// "group@2:feature" when several versions of a group are in use. On-demand
// features are named the same way: "on_demand_name:output" or
// "on_demand_name".
type Ref struct {
	// Group is the group (or on-demand feature set) name.
	Group string
	// Version is the group version, 0 when not given.
	Version int
	// Feature is the feature name, "" for the whole group.
	Feature string
}

// ParseRef parses a feature reference.
func ParseRef(s string) (Ref, error) {
	g, f, _ := strings.Cut(s, ":")
	var r Ref
	name, ver, hasVer := strings.Cut(g, "@")
	r.Group, r.Feature = name, f
	if hasVer {
		v, err := strconv.Atoi(ver)
		if err != nil || v < 1 {
			return Ref{}, fmt.Errorf("%w: feature reference %q: version must be a positive integer", ErrDefinition, s)
		}
		r.Version = v
	}
	if !groupNameRE.MatchString(r.Group) || (strings.Contains(s, ":") && !featureNameRE.MatchString(r.Feature)) {
		return Ref{}, fmt.Errorf("%w: feature reference %q: want group, group:feature or group@version:feature", ErrDefinition, s)
	}
	return r, nil
}

// String returns the reference in ParseRef's syntax.
func (r Ref) String() string {
	s := r.Group
	if r.Version > 0 {
		s += "@" + strconv.Itoa(r.Version)
	}
	if r.Feature != "" {
		s += ":" + r.Feature
	}
	return s
}

// selection is a resolved list of features: for each output column, the
// group (or on-demand set) and feature it comes from, in reference order.
type selection struct {
	cols []selCol
}

type selCol struct {
	group   *Group  // nil for on-demand
	od      *odPlan // nil for group features
	feature string
}

// outName is the column's name in outputs: the feature name, or
// "group__feature" with prefix.
func (c selCol) outName(prefix bool) string {
	if !prefix {
		return c.feature
	}
	return c.source() + "__" + c.feature
}

func (c selCol) source() string {
	if c.od != nil {
		return c.od.od.Name
	}
	return c.group.Name
}

// resolveRefs resolves feature references against groups and on-demand
// feature sets. A group name given in several versions needs a version in
// its references.
func resolveRefs(refs []string, groups []*Group, ods []*odPlan) (*selection, error) {
	sel := &selection{}
	seen := map[string]string{}
	for _, s := range refs {
		r, err := ParseRef(s)
		if err != nil {
			return nil, err
		}
		g, od, err := findSource(r, groups, ods)
		if err != nil {
			return nil, err
		}
		var feats []string
		switch {
		case od != nil && r.Feature == "":
			for _, f := range od.out.Fields() {
				feats = append(feats, f.Name)
			}
		case od != nil:
			if len(od.out.FieldIndices(r.Feature)) == 0 {
				return nil, fmt.Errorf("%w: feature reference %q: on-demand %s has no output %q", ErrDefinition, s, od.od.Name, r.Feature)
			}
			feats = []string{r.Feature}
		case r.Feature == "":
			for _, f := range g.Features {
				feats = append(feats, f.Name)
			}
		default:
			if g.Feature(r.Feature) == nil {
				return nil, fmt.Errorf("%w: feature reference %q: group %s has no feature %q", ErrDefinition, s, g.ID(), r.Feature)
			}
			feats = []string{r.Feature}
		}
		for _, f := range feats {
			c := selCol{group: g, od: od, feature: f}
			id := c.source() + ":" + f
			if prev, dup := seen[id]; dup {
				return nil, fmt.Errorf("%w: feature %s is referenced twice (by %q and %q)", ErrDefinition, id, prev, s)
			}
			seen[id] = s
			sel.cols = append(sel.cols, c)
		}
	}
	return sel, nil
}

func findSource(r Ref, groups []*Group, ods []*odPlan) (*Group, *odPlan, error) {
	var match []*Group
	for _, g := range groups {
		if g.Name == r.Group && (r.Version == 0 || g.Version == r.Version) {
			match = append(match, g)
		}
	}
	for _, od := range ods {
		if od.od.Name == r.Group {
			if len(match) > 0 || r.Version != 0 {
				return nil, nil, fmt.Errorf("%w: feature reference %q: %s is both a group and an on-demand feature set", ErrDefinition, r, r.Group)
			}
			return nil, od, nil
		}
	}
	switch len(match) {
	case 0:
		return nil, nil, fmt.Errorf("%w: feature reference %q: no such group or on-demand feature set among those given", ErrDefinition, r)
	case 1:
		return match[0], nil, nil
	}
	return nil, nil, fmt.Errorf("%w: feature reference %q: group %s is given in several versions: write %s@VERSION", ErrDefinition, r, r.Group, r.Group)
}

// groupNeed is a group and the features a join reads of it.
type groupNeed struct {
	g     *Group
	feats []string
}

// needs lists the groups the selection reads and their features, in order
// of first reference: the features selected and the inputs of the
// on-demand sets selected.
func (sel *selection) needs() []*groupNeed {
	var out []*groupNeed
	add := func(c selCol) {
		for _, n := range out {
			if n.g == c.group {
				if !slices.Contains(n.feats, c.feature) {
					n.feats = append(n.feats, c.feature)
				}
				return
			}
		}
		out = append(out, &groupNeed{g: c.group, feats: []string{c.feature}})
	}
	var seen []*odPlan
	for _, c := range sel.cols {
		switch {
		case c.od == nil:
			add(c)
		case !slices.Contains(seen, c.od):
			seen = append(seen, c.od)
			for _, ic := range c.od.inputs {
				add(ic)
			}
		}
	}
	return out
}

// onDemands lists the on-demand sets the selection uses, in order.
func (sel *selection) onDemands() []*odPlan {
	var out []*odPlan
	for _, c := range sel.cols {
		if c.od != nil && !slices.Contains(out, c.od) {
			out = append(out, c.od)
		}
	}
	return out
}

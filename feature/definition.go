package feature

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kiln-data/kiln/internal/canon"
	"github.com/kiln-data/kiln/internal/digest"
)

// DefinitionFormat is the version of the registry's JSON layout.
const DefinitionFormat = 1

// Definition is the registered, serializable form of a feature group
// version: what the registry file holds and what Describe returns.
type Definition struct {
	// Format is DefinitionFormat.
	Format int `json:"format"`
	// Name and Version identify the group version.
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Entity names the key columns.
	Entity Entity `json:"entity"`
	// EventTime and CreatedTime name the time columns.
	EventTime   string `json:"event_time"`
	CreatedTime string `json:"created_time,omitempty"`
	// TTL is the group's TTL, written as a Go duration ("720h0m0s"); "0s"
	// means forever.
	TTL string `json:"ttl"`
	// Dataset is the offline store: the node's dataset.
	Dataset string `json:"dataset"`
	// Owner, Description and Tags describe the group.
	Owner       string   `json:"owner,omitempty"`
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	// Features are the typed features, in declaration order.
	Features []FeatureDef `json:"features"`
	// Hash is BLAKE3 over the canonical JSON of every field above: equal
	// definitions, equal hashes.
	Hash digest.Sum `json:"hash"`
	// History lists the compatible changes registered for this version,
	// oldest first.
	History []Change `json:"history,omitempty"`
}

// FeatureDef is one feature of a Definition.
type FeatureDef struct {
	Name string `json:"name"`
	// Type is kiln's canonical type name, e.g. "int64", "float64",
	// "timestamp[us,UTC]".
	Type        string   `json:"type"`
	Nullable    bool     `json:"nullable"`
	Description string   `json:"description,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Drift       *Drift   `json:"drift,omitempty"`
}

// Change is a compatible change registered for a group version.
type Change struct {
	// From and To are the definition hashes before and after.
	From digest.Sum `json:"from"`
	To   digest.Sum `json:"to"`
	// Changes say what changed, one line each.
	Changes []string `json:"changes"`
}

// Definition returns the group's definition. Every feature must have a
// type (see Resolve).
func (g *Group) Definition() (*Definition, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	d := &Definition{
		Format: DefinitionFormat, Name: g.Name, Version: g.Version, Entity: g.Entity,
		EventTime: g.EventTime, CreatedTime: g.CreatedTime, TTL: g.TTL.String(), Dataset: g.Dataset(),
		Owner: g.Owner, Description: g.Description, Tags: g.Tags,
	}
	for _, f := range g.Features {
		if f.Type == nil {
			return nil, fmt.Errorf("%w: group %s: feature %q has no type: call Resolve first", ErrDefinition, g.ID(), f.Name)
		}
		tn, err := digest.CanonicalType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: group %s: feature %q: %v", ErrDefinition, g.ID(), f.Name, err)
		}
		owner := f.Owner
		if owner == "" {
			owner = g.Owner
		}
		d.Features = append(d.Features, FeatureDef{Name: f.Name, Type: tn, Nullable: !f.NotNull,
			Description: f.Description, Owner: owner, Tags: f.Tags, Drift: f.Drift})
	}
	h, err := d.hash()
	if err != nil {
		return nil, err
	}
	d.Hash = h
	return d, nil
}

// hash is BLAKE3 over the canonical JSON of the definition without its hash
// and history.
func (d *Definition) hash() (digest.Sum, error) {
	c := *d
	c.Hash, c.History = digest.Sum{}, nil
	h, err := canon.Hash(struct {
		Domain string      `json:"domain"`
		Def    *Definition `json:"definition"`
	}{"kiln.feature.definition.v1", &c})
	if err != nil {
		return digest.Sum{}, fmt.Errorf("feature: hash definition of %s@%d: %w", d.Name, d.Version, err)
	}
	return h, nil
}

// TTLDuration parses the definition's TTL.
func (d *Definition) TTLDuration() (time.Duration, error) { return time.ParseDuration(d.TTL) }

// Feature returns the named feature definition, or nil.
func (d *Definition) Feature(name string) *FeatureDef {
	for i := range d.Features {
		if d.Features[i].Name == name {
			return &d.Features[i]
		}
	}
	return nil
}

// Compare lists how next differs from d. Compatible changes (a new nullable
// feature, a feature that became nullable, descriptions, owners, tags,
// drift thresholds, TTL, feature order) come back in changes; incompatible
// ones (a feature removed, renamed or retyped, a new non-nullable feature,
// a feature that became non-nullable, other keys, time columns or dataset)
// in breaking. A group version may only change compatibly.
func (d *Definition) Compare(next *Definition) (changes, breaking []string) {
	diff := func(what string, a, b string) {
		if a != b {
			breaking = append(breaking, fmt.Sprintf("%s changed from %q to %q", what, a, b))
		}
	}
	diff("entity keys", strings.Join(d.Entity.Keys, ","), strings.Join(next.Entity.Keys, ","))
	diff("event time column", d.EventTime, next.EventTime)
	diff("created time column", d.CreatedTime, next.CreatedTime)
	diff("dataset", d.Dataset, next.Dataset)
	meta := func(what, a, b string) {
		if a != b {
			changes = append(changes, fmt.Sprintf("%s changed from %q to %q", what, a, b))
		}
	}
	meta("TTL", d.TTL, next.TTL)
	meta("owner", d.Owner, next.Owner)
	meta("description", d.Description, next.Description)
	meta("tags", strings.Join(d.Tags, ","), strings.Join(next.Tags, ","))
	meta("entity name", d.Entity.Name, next.Entity.Name)
	var removed []FeatureDef
	for _, of := range d.Features {
		nf := next.Feature(of.Name)
		if nf == nil {
			removed = append(removed, of)
			continue
		}
		if nf.Type != of.Type {
			breaking = append(breaking, fmt.Sprintf("feature %q retyped from %s to %s", of.Name, of.Type, nf.Type))
		}
		switch {
		case of.Nullable && !nf.Nullable:
			breaking = append(breaking, fmt.Sprintf("feature %q became non-nullable", of.Name))
		case !of.Nullable && nf.Nullable:
			changes = append(changes, fmt.Sprintf("feature %q became nullable", of.Name))
		}
		meta(fmt.Sprintf("feature %q description", of.Name), of.Description, nf.Description)
		meta(fmt.Sprintf("feature %q owner", of.Name), of.Owner, nf.Owner)
		meta(fmt.Sprintf("feature %q tags", of.Name), strings.Join(of.Tags, ","), strings.Join(nf.Tags, ","))
		if fmt.Sprint(of.Drift) != fmt.Sprint(nf.Drift) {
			changes = append(changes, fmt.Sprintf("feature %q drift thresholds changed", of.Name))
		}
	}
	var added []FeatureDef
	for _, nf := range next.Features {
		if d.Feature(nf.Name) == nil {
			added = append(added, nf)
		}
	}
	for _, of := range removed {
		text := fmt.Sprintf("feature %q removed (was %s)", of.Name, of.Type)
		var cands []string
		for _, nf := range added {
			if nf.Type == of.Type {
				cands = append(cands, fmt.Sprintf("%q", nf.Name))
			}
		}
		if len(cands) == 1 {
			text = fmt.Sprintf("feature %q removed (was %s); renamed to %s?", of.Name, of.Type, cands[0])
		}
		breaking = append(breaking, text)
	}
	for _, nf := range added {
		if nf.Nullable {
			changes = append(changes, fmt.Sprintf("feature %q added (%s, nullable)", nf.Name, nf.Type))
		} else {
			breaking = append(breaking, fmt.Sprintf("feature %q added as non-nullable (%s): rows written before have no value for it", nf.Name, nf.Type))
		}
	}
	if len(changes) == 0 && len(breaking) == 0 && !slices.Equal(featureNames(d), featureNames(next)) {
		changes = append(changes, "feature order changed")
	}
	return changes, breaking
}

func featureNames(d *Definition) []string {
	out := make([]string, len(d.Features))
	for i, f := range d.Features {
		out[i] = f.Name
	}
	return out
}

// ChangeError refuses an incompatible change to a registered group version.
// It matches ErrIncompatible with errors.Is.
type ChangeError struct {
	// Group and Version identify the registered version.
	Group   string
	Version int
	// Breaking lists the incompatible changes.
	Breaking []string
}

func (e *ChangeError) Error() string {
	return fmt.Sprintf("feature group %s version %d: incompatible change:\n  %s\n"+
		"removing, renaming or retyping a feature (or changing keys, time columns or dataset) requires a new version: register it as version %d",
		e.Group, e.Version, strings.Join(e.Breaking, "\n  "), e.Version+1)
}

// Is reports whether target is ErrIncompatible.
func (e *ChangeError) Is(target error) bool { return target == ErrIncompatible }

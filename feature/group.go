package feature

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// Entity is what features describe (a user, an item, a user and an item):
// a name and the columns that hold its key, in order.
type Entity struct {
	// Name names the entity, e.g. "user".
	Name string `json:"name"`
	// Keys are the key columns, e.g. ["user_id"]. Feature groups of the
	// entity have these columns; label tables have them too (or map them
	// with TrainingSpec.KeyColumns).
	Keys []string `json:"keys"`
	// Description says what the entity is.
	Description string `json:"description,omitempty"`
}

// NewEntity returns an entity with the given key columns.
func NewEntity(name string, keys ...string) Entity { return Entity{Name: name, Keys: keys} }

// Drift holds the drift thresholds recorded for a feature. Zero fields are
// not set. kiln records them in the registry and the online store's
// metadata for drift checks (package quality) to use.
type Drift struct {
	// PSI is the population stability index above which the feature has
	// drifted.
	PSI float64 `json:"psi,omitempty"`
	// KS is the Kolmogorov-Smirnov statistic above which it has drifted.
	KS float64 `json:"ks,omitempty"`
	// NullRate is the largest acceptable change in the share of nulls.
	NullRate float64 `json:"null_rate,omitempty"`
	// MeanShift is the largest acceptable change of the mean, in standard
	// deviations of the reference.
	MeanShift float64 `json:"mean_shift,omitempty"`
}

// Feature is one typed column of a feature group.
type Feature struct {
	// Name is the column name in the group's dataset.
	Name string
	// Type is the column's Arrow type. Nil takes the type of the group
	// node's planned schema (see Group.Resolve).
	Type arrow.DataType
	// NotNull declares that the feature is never null. Features are
	// nullable by default; adding a NotNull feature to a registered group
	// version is incompatible.
	NotNull bool
	// Description says what the feature means.
	Description string
	// Owner is who answers for the feature (defaults to the group's).
	Owner string
	// Tags label the feature for search.
	Tags []string
	// Drift holds its drift thresholds (nil: none).
	Drift *Drift
}

// Group is a feature group: typed features of one entity, computed by one
// pipeline node whose dataset is the group's offline store. Declare it as a
// Go value next to the pipeline:
//
//	daily := p.Transform("gold.user_daily", dailyFeatures, clean)
//	userDaily := &feature.Group{
//		Name: "user_daily", Version: 1, Entity: feature.NewEntity("user", "user_id"),
//		EventTime: "feature_ts", TTL: 30 * kiln.Day, Node: daily,
//		Features: []feature.Feature{{Name: "n_events", Description: "events that day"}},
//	}
//
// A group is plain data once declared; do not change it while it is in use.
type Group struct {
	// Name is the group name: lower-case letters, digits and '_'.
	Name string
	// Version is the group version (>= 1). Removing, renaming or retyping
	// a feature requires a new version; see Registry.Register.
	Version int
	// Entity names the key columns.
	Entity Entity
	// EventTime is the column holding when each row's values became true
	// (a timestamp, date32 or date64 column). Training sets use a row only
	// for labels at or after its event time.
	EventTime string
	// CreatedTime optionally names a column holding when the row was
	// written. It breaks ties on event time (the latest created wins) and,
	// with TrainingSpec.ExcludeCreatedAfter, hides rows written after the
	// label time. A row with a null created time counts as created at its
	// event time.
	CreatedTime string
	// Features are the group's features.
	Features []Feature
	// TTL is how long a value stays valid after its event time: a training
	// set or online read at time t uses only rows with event time >= t -
	// TTL (inclusive). Zero means forever.
	TTL time.Duration
	// Owner is who answers for the group.
	Owner string
	// Description says what the group holds.
	Description string
	// Tags label the group for search.
	Tags []string
	// Node is the pipeline node that computes the group. Its committed,
	// daily partitioned dataset is the group's offline store.
	Node *kiln.Node
}

var (
	groupNameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	featureNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ErrDefinition reports an invalid feature group or reference.
var ErrDefinition = errors.New("invalid feature definition")

// ID returns "name@version".
func (g *Group) ID() string { return fmt.Sprintf("%s@%d", g.Name, g.Version) }

// Dataset returns the name of the group's offline dataset (its node's name).
func (g *Group) Dataset() string {
	if g.Node == nil {
		return ""
	}
	return g.Node.Name()
}

// datasetDir returns where the group's offline store lives.
func (g *Group) datasetDir() string {
	return filepath.Join(g.Node.Pipeline().Lake(), filepath.FromSlash(strings.ReplaceAll(g.Node.Name(), ".", "/")))
}

// checkNode validates the group and checks that it has a node (an offline
// store).
func (g *Group) checkNode() error {
	if err := g.validate(); err != nil {
		return err
	}
	if g.Node == nil {
		return fmt.Errorf("%w: group %q: no node (the pipeline node that computes it and whose dataset is its offline store)", ErrDefinition, g.Name)
	}
	return nil
}

// Feature returns the named feature, or nil.
func (g *Group) Feature(name string) *Feature {
	for i := range g.Features {
		if g.Features[i].Name == name {
			return &g.Features[i]
		}
	}
	return nil
}

// validate checks the declaration itself, without a schema.
func (g *Group) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: group %q: %s", ErrDefinition, g.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !groupNameRE.MatchString(g.Name) || strings.Contains(g.Name, "__") || g.Name == "meta":
		return bad("name: use lower-case letters, digits and single '_' (\"meta\" is reserved)")
	case g.Version < 1:
		return bad("version %d: versions start at 1", g.Version)
	case len(g.Entity.Keys) == 0:
		return bad("entity %q has no key columns", g.Entity.Name)
	case g.EventTime == "":
		return bad("no event time column")
	case len(g.Features) == 0:
		return bad("no features")
	case g.TTL < 0:
		return bad("negative TTL %s", g.TTL)
	}
	reserved := append(slices.Clone(g.Entity.Keys), g.EventTime)
	if g.CreatedTime != "" {
		reserved = append(reserved, g.CreatedTime)
	}
	seen := map[string]bool{}
	for _, f := range g.Features {
		switch {
		case !featureNameRE.MatchString(f.Name) || strings.Contains(f.Name, "__"):
			return bad("feature %q: use letters, digits and single '_'", f.Name)
		case seen[f.Name]:
			return bad("feature %q listed twice", f.Name)
		case slices.Contains(reserved, f.Name):
			return bad("feature %q is a key or time column", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// Resolve checks the group against its node's planned schema and fills in
// feature types left nil. It plans the node's pipeline (reading no data).
// The error names the missing or mistyped column.
func (g *Group) Resolve(ctx context.Context) error {
	if err := g.checkNode(); err != nil {
		return err
	}
	plan, err := g.Node.Pipeline().Plan(ctx)
	if err != nil {
		return fmt.Errorf("feature group %s: plan node %s: %w", g.ID(), g.Node.Name(), err)
	}
	pn := plan.Node(g.Node.Name())
	if pn == nil {
		return fmt.Errorf("%w: group %s: node %q is not in its pipeline's plan", ErrDefinition, g.ID(), g.Node.Name())
	}
	return g.resolveSchema(pn.Schema)
}

// resolveSchema checks the group's columns against s and fills in types.
func (g *Group) resolveSchema(s *arrow.Schema) error {
	wrap := func(err error) error {
		return fmt.Errorf("feature group %s (dataset %s): %w", g.ID(), g.Dataset(), err)
	}
	for _, k := range g.Entity.Keys {
		i, err := kiln.FieldIndex(s, k, nil)
		if err != nil {
			return wrap(err)
		}
		if !keyType(s.Field(i).Type) {
			return wrap(&kiln.SchemaError{Column: k, Input: -1, Problem: fmt.Sprintf("has type %s: entity keys must be integers, strings, binaries, booleans, dates or timestamps", s.Field(i).Type)})
		}
	}
	for _, c := range []string{g.EventTime, g.CreatedTime} {
		if c == "" {
			continue
		}
		i, err := kiln.FieldIndex(s, c, nil)
		if err != nil {
			return wrap(err)
		}
		if kernels.TimeUnit(s.Field(i).Type) == 0 {
			return wrap(&kiln.SchemaError{Column: c, Input: -1, Problem: fmt.Sprintf("type %s is not a timestamp or date", s.Field(i).Type)})
		}
	}
	for i := range g.Features {
		f := &g.Features[i]
		j, err := kiln.FieldIndex(s, f.Name, f.Type)
		if err != nil {
			return wrap(err)
		}
		if f.Type == nil {
			f.Type = s.Field(j).Type
		}
		if err := checkValueType(f.Type); err != nil {
			return wrap(&kiln.SchemaError{Column: f.Name, Input: -1, Problem: err.Error()})
		}
	}
	return nil
}

func keyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.BOOL,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// resolved reports whether every feature has a type.
func (g *Group) resolved() bool {
	for _, f := range g.Features {
		if f.Type == nil {
			return false
		}
	}
	return true
}

// ensureResolved resolves the group when a feature type is missing.
func (g *Group) ensureResolved(ctx context.Context) error {
	if err := g.checkNode(); err != nil {
		return err
	}
	if g.resolved() {
		return nil
	}
	return g.Resolve(ctx)
}

package feature

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/kiln-data/kiln/feature/online"
	_ "github.com/kiln-data/kiln/feature/online/boltstore" // the embedded default store
	"github.com/kiln-data/kiln/internal/digest"
)

// Online serves feature groups from an online store: Materialize copies
// the latest value per entity from the offline store, Get and Lookup read
// values back. Create one with OpenOnline or NewOnline. It is safe for
// concurrent use; declare its groups and on-demand sets before serving.
type Online struct {
	store  online.Store
	now    func() time.Time
	groups []*Group
	ods    []*OnDemand

	mu    sync.Mutex
	metas map[string]*storeMeta // by group ID, as last read or written
	sels  sync.Map              // cached resolved lookups by refs
}

// OnlineOption configures an Online.
type OnlineOption func(*Online)

// WithGroups declares the groups Get may read (Materialize adds its group).
func WithGroups(groups ...*Group) OnlineOption {
	return func(o *Online) { o.groups = append(o.groups, groups...) }
}

// WithOnDemand declares on-demand feature sets Get may compute.
func WithOnDemand(ods ...*OnDemand) OnlineOption {
	return func(o *Online) { o.ods = append(o.ods, ods...) }
}

// WithClock sets the clock Get evaluates TTLs against (default time.Now).
func WithClock(now func() time.Time) OnlineOption { return func(o *Online) { o.now = now } }

// OpenOnline opens the online store a URL names ("bolt:///path/features.db"
// for the embedded store, always available; "redis://host:port/db" once
// package feature/online/redisstore is imported). Close closes the store.
func OpenOnline(ctx context.Context, url string, opts ...OnlineOption) (*Online, error) {
	s, err := online.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return NewOnline(s, opts...), nil
}

// NewOnline serves from an open store.
func NewOnline(store online.Store, opts ...OnlineOption) *Online {
	o := &Online{store: store, now: time.Now, metas: map[string]*storeMeta{}}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Store returns the underlying store.
func (o *Online) Store() online.Store { return o.store }

// Close closes the store.
func (o *Online) Close() error { return o.store.Close() }

// MetaFormat is the version of the online metadata layout.
const MetaFormat = 1

// storeMeta is what the store keeps under meta:<group>:<version>: the
// group's definition (schema, owner, TTL, drift thresholds, hash), every
// value schema written, and the partitions materialized.
type storeMeta struct {
	Format     int         `json:"format"`
	Definition *Definition `json:"definition"`
	// TimeUnitNS is the unit of the event and created times in record
	// versions, in nanoseconds.
	TimeUnitNS int64 `json:"time_unit_ns"`
	// Schemas maps a value schema id (hex) to its feature names.
	Schemas map[string][]string `json:"schemas"`
	// Partitions maps each materialized partition to its content hash and
	// value schema.
	Partitions map[string]Materialized `json:"partitions"`
	// Last is the latest partition materialized.
	Last string `json:"last,omitempty"`
	// MaxEventTime is the latest event time materialized (RFC 3339).
	MaxEventTime time.Time `json:"max_event_time"`
	// Entities counts the records written, over all materializations.
	Entities int64 `json:"entities"`
}

// readMeta reads a group's metadata (nil when there is none) and caches it.
func (o *Online) readMeta(ctx context.Context, g *Group) (*storeMeta, error) {
	b, err := o.store.Meta(ctx, metaKey(g))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, nil
	}
	var m storeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("online metadata %s: %w", metaKey(g), err)
	}
	if m.Format < 1 || m.Format > MetaFormat {
		return nil, fmt.Errorf("online metadata %s: format %d not supported (this kiln reads up to %d)", metaKey(g), m.Format, MetaFormat)
	}
	o.mu.Lock()
	o.metas[g.ID()] = &m
	o.mu.Unlock()
	return &m, nil
}

// cachedMeta returns the cached metadata, reading it when missing or when
// it lacks the schema id need (nil need: any).
func (o *Online) cachedMeta(ctx context.Context, g *Group, need *[8]byte) (*storeMeta, error) {
	o.mu.Lock()
	m := o.metas[g.ID()]
	o.mu.Unlock()
	if m != nil && (need == nil || m.Schemas[hex.EncodeToString(need[:])] != nil) {
		return m, nil
	}
	return o.readMeta(ctx, g)
}

func (o *Online) writeMeta(ctx context.Context, g *Group, m *storeMeta) error {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("online metadata %s: %w", metaKey(g), err)
	}
	if err := o.store.SetMeta(ctx, metaKey(g), b); err != nil {
		return err
	}
	o.mu.Lock()
	o.metas[g.ID()] = m
	o.mu.Unlock()
	return nil
}

// Meta returns what the store records about a group version: its
// definition, the partitions materialized with their content hashes, the
// latest event time. It returns nil when the group was never materialized.
func (o *Online) Meta(ctx context.Context, g *Group) (*OnlineMeta, error) {
	m, err := o.readMeta(ctx, g)
	if err != nil || m == nil {
		return nil, err
	}
	return &OnlineMeta{Definition: m.Definition, Partitions: m.Partitions, Last: m.Last, MaxEventTime: m.MaxEventTime, Entities: m.Entities}, nil
}

// Materialized records one materialized partition.
type Materialized struct {
	// ContentHash is the partition's content hash when materialized.
	ContentHash digest.Sum `json:"content_hash"`
	// Schema is the value schema id written (hex).
	Schema string `json:"schema"`
}

// OnlineMeta is the online store's record of a group version.
type OnlineMeta struct {
	Definition   *Definition
	Partitions   map[string]Materialized
	Last         string
	MaxEventTime time.Time
	Entities     int64
}

func (o *Online) addGroup(g *Group) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, h := range o.groups {
		if h == g {
			return
		}
	}
	o.groups = append(o.groups, g)
	o.sels.Clear()
}

func (o *Online) groupList() []*Group {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*Group(nil), o.groups...)
}

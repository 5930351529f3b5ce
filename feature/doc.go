// Package feature is kiln's feature store: feature groups defined once as
// Go values over pipeline nodes, point-in-time correct training sets, and
// the same values served online in milliseconds, with a parity check that
// proves the two paths agree.
//
// # Definitions
//
// An Entity names key columns; a Group is a named, versioned set of typed
// features of one entity, computed by a pipeline node whose committed,
// daily partitioned dataset is the group's offline store. The group names
// its event-time column (when a row's values became true), optionally a
// created-time column (when the row was written), and a TTL.
//
//	daily := p.Transform("gold.user_daily", dailyFeatures, clean)
//	userDaily := &feature.Group{
//		Name: "user_daily", Version: 1, Entity: feature.NewEntity("user", "user_id"),
//		EventTime: "feature_ts", TTL: 30 * kiln.Day, Node: daily, Owner: "growth",
//		Features: []feature.Feature{{Name: "n_purchases", Description: "purchases that day"}},
//	}
//
// A Registry (OpenRegistry(lake)) keeps one JSON Definition per group
// version under <lake>/_feature/groups/<name>/v<version>.json, written
// atomically: schema, owner, tags, TTL, drift thresholds and a BLAKE3 hash
// of the definition. Registering a changed group is allowed only for
// compatible changes (a new nullable feature, descriptions, owners, tags,
// thresholds, TTL); removing, renaming or retyping a feature, or changing
// keys or time columns, is refused with a *ChangeError saying that a new
// version is required.
//
// # Training sets
//
// BuildTrainingSet joins a label table (entity keys, a label time, any
// other columns) with feature references ("group:feature" or "group") as
// of each label's time: for each label row, the group row of the same
// entity with the greatest event time <= the label time and >= the label
// time minus the TTL (inclusive), ties broken by the greatest created time
// and then by the last row in partition and file order; otherwise nulls.
// No value from the future is ever used, and with ExcludeCreatedAfter no
// value written after the label time either. Every label row is kept, in
// input order, with its columns; features are named "feature" or, with
// Prefix, "group__feature"; colliding names are an error. TrainingSet.Commit
// writes the result to the lake with kiln's commit protocol, its manifest
// listing the label table and every group partition read, with their
// content hashes. PointInTimeJoin does the same join on in-memory tables.
//
// # Online store
//
// Online.Materialize copies the latest row per entity of a group's
// committed partitions to an online store, under keys
// "<group>:<version>:<entity key>", with metadata (definition, schemas,
// partitions materialized) under "meta:<group>:<version>". It is
// incremental (partitions already materialized with the same content hash
// are skipped, so a rerun is a no-op) and never replaces a value with an
// older one. Stores are opened by URL (OpenOnline): "bolt:///path/file.db"
// is the embedded default (package online/boltstore, no server);
// "redis://host:port/db" is Redis (import package online/redisstore). Every
// store passes the conformance suite in package online/onlinetest.
//
// Online.Get and Online.Lookup return typed values (Result, and
// Result.Record for an Arrow record). A value reads as null when its event
// time is after the request time or older than the TTL at the request
// time: the rule the offline join applies at a label's time. On-demand
// features (OnDemand) run a kiln transform over looked-up values and
// request data; the same transform runs over point-in-time values when
// building a training set, so both paths compute identical values.
//
// # Parity
//
// Online.Parity samples entities and times (or takes a label table) and
// compares online lookups with point-in-time offline values, reporting
// every mismatch; featuretest.RequireParity fails a test on any.
//
// # Guarantees
//
// Training sets and materialized values depend only on the committed data,
// the definitions and the spec: the same at any GOMAXPROCS, with documented
// row order. Online values are encoded deterministically (see the value
// encoding in codec.go). An Online is safe for concurrent use.
package feature

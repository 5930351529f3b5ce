// Package kiln declares and runs deterministic feature pipelines.
//
// A pipeline is a DAG of sources and transforms written as Go values and Go
// functions. kiln runs it in-process over Apache Arrow tables, one partition
// (a UTC day, an hour, a static key, or All) at a time, and commits every
// node's output to a lake of Parquet datasets. Every committed partition
// carries a manifest with BLAKE3 hashes, so the same inputs, code and config
// provably give the same bytes, and any dataset can be traced back to the
// partitions it came from.
//
//	p := kiln.New("shop", kiln.WithLake("lake"))
//	events := p.Source("bronze.events", source.Parquet("landing/events"))
//	clean := p.Transform("silver.events", cleanEvents, events)
//	daily := p.Transform("gold.user_daily", dailyAgg, clean)
//	p.Transform("gold.user_7d", rolling.With(Window{Days: 7}), kiln.Lookback(daily, 7*kiln.Day))
//	res, err := p.Run(ctx, kiln.Date(2024, 1, 30))
//
// # Nodes and datasets
//
// A node's name is its dataset's name: "silver.events" is committed under
// <lake>/silver/events/dt=YYYY-MM-DD/ as part-00000.parquet, with
// _kiln/manifest.json written last. Any Parquet reader can read the data.
// A transform reads its inputs' partitions through a mapping: the same
// partition (a plain *Node input), a Lookback window of earlier partitions,
// or Whole for an unpartitioned input.
//
// # Planning
//
// Plan orders the nodes and infers every output schema before any data is
// read: sources report their schema, transforms derive theirs from their
// inputs' schemas. A missing column or a type mismatch is a *NodeError
// naming the node, wrapping a *SchemaError naming the column
// (errors.Is(err, kiln.ErrSchemaMismatch)).
//
// # Running
//
// Run computes one partition; Backfill many, with bounded concurrency,
// earlier partitions first. Nodes that do not depend on each other run
// concurrently. A node whose committed partition has the same fingerprint
// (BLAKE3 over its kind, name, operation name, version and canonical config,
// checks, partition, and its inputs' content hashes) is a cache hit and is
// not recomputed; one recomputed with the content already committed keeps
// its data files and commits only a new manifest; Force recomputes and
// rewrites. Checks (package quality) run on a node's
// output before anything downstream or any sink sees it. Verify recomputes
// without the cache and names the first node whose output differs from what
// was committed. Each run writes a record under <lake>/_lineage/runs/.
//
// A node's inputs and output are held in memory as Arrow tables while it
// runs. The last node to read a partition is handed it outright, so a
// transform that copies rows (DropNulls, Filter, Dedupe, Sort, Chain) frees
// the input as it copies instead of holding input and output in full; a
// run's peak heap stays within about 1.5-1.8 times the Arrow size of its
// largest node output (examples/quickstart's BenchmarkPartitionMemory). During a run the Go garbage collector's
// target is lowered to DefaultGCPercent, since kiln's heap is mostly
// pointer-free buffers that are cheap to collect; see WithGCPercent.
//
// # The determinism contract
//
// Every transform, built-in or user-written, follows these rules:
//
//  1. Row order is defined: every output has a documented order; never emit
//     rows in Go map iteration order.
//  2. Parallelism changes nothing: results are identical at GOMAXPROCS=1 and
//     N; split work into chunks chosen from the data, not the thread count,
//     and combine partials in chunk order.
//  3. No hidden inputs: no time.Now, no global random source, no environment
//     reads inside transforms. Use Context.Time and Context.Rand, derived from
//     the partition and the fingerprint.
//  4. Config is data: it is canonically serialized and hashed into the
//     fingerprint. Changing logic means bumping the version; golden tests
//     (package transform/transformtest) catch a forgotten bump.
//  5. Fixed encodings: kiln writes Parquet with fixed settings (zstd, fixed
//     row-group and page sizes, created_by naming kiln's version, no
//     timestamps or host names), so equal content gives equal files.
//  6. Reruns converge: a partition is committed by writing to a staging
//     directory, writing the manifest last and swapping atomically; a failed
//     or killed run leaves the previous partition untouched and readable.
//
// # Errors
//
// Errors about a node are *NodeError values naming the pipeline, node and
// partition; causes wrap sentinels (ErrSchemaMismatch, ErrNoPartition,
// ErrCheckFailed, ErrUpstream, ErrPlan, ErrNotReproducible) for errors.Is.
// Panics in user code are recovered and reported as node errors.
package kiln

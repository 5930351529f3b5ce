// Package lineage holds the records kiln keeps about what it built, answers
// questions about them, and exports them as OpenLineage events.
//
// # Records
//
// Every committed dataset partition carries a [Manifest]
// (<lake>/<dataset path>/<partition>/_kiln/manifest.json): what was written
// (files with BLAKE3 hashes, rows, schema, content hash), from which input
// partitions and content hashes, by which operation, version and config,
// with which check results and source checkpoint. A manifest is
// deterministic: rebuilding a partition from the same inputs with the same
// build gives a byte-identical manifest. Every run also writes a
// [RunRecord] (<lake>/_lineage/runs/<pipeline>/<run id>.json) with what
// happened to each node partition (computed, cached, unchanged, absent,
// failed, skipped), timings, column lineage and the build provenance
// ([Build]). All are plain JSON, readable by any tool.
//
// # Catalog
//
// A [Catalog] reads a lake's manifests and a [Store] of run records (by
// default [LakeStore], the files above plus a rebuildable index):
//
//	cat := lineage.NewCatalog("lake", nil)
//	tr, _ := cat.Trace(ctx, "gold.user_7d", "dt=2024-01-30")   // back to the bronze partitions
//	im, _ := cat.Impact(ctx, "bronze.events", "")               // everything downstream
//	d, _ := cat.Diff(ctx, runA, runB)                            // what changed between two runs
//	col, _ := cat.TraceColumn(ctx, "gold.user_7d", "revenue")   // column lineage
//	tr.WriteText(os.Stdout)
//
// Trace walks manifests (always present, exact, deterministic) and falls
// back on run records for input versions that have been recommitted since.
// Runs and Versions list a pipeline's runs and a dataset's committed
// versions; Graph is the dataset graph the others walk.
//
// # OpenLineage
//
// [OpenLineage] is a [Listener]: attach it with kiln.WithListener and it
// emits a START and then exactly one COMPLETE, FAIL or ABORT RunEvent per
// pipeline run and per node run, with the standard facets (schema,
// dataSource, version, outputStatistics, columnLineage,
// dataQualityAssertions, parent, nominalTime, errorMessage). Events are
// appended to <lake>/_lineage/openlineage/events.ndjson and, optionally,
// posted to an HTTP endpoint such as Marquez's; a lineage outage never fails
// a data run.
//
// lineage imports no other kiln package but internal ones, so catalogs and
// exporters built on it stay independent of the engine.
package lineage

// Package lineage holds the records kiln keeps about what it built: the
// [Manifest] committed with every dataset partition (what was written, from
// which inputs, by which code and config), and the [RunRecord] written for
// every run under <lake>/_lineage/runs/.
//
// The records are plain JSON so that any tool can read them. A manifest is
// deterministic: rebuilding a partition from the same inputs with the same
// build gives a byte-identical manifest; run-specific facts (run id, times)
// live only in run records.
//
// lineage imports no other kiln package but internal ones, so catalogs and
// exporters built on it stay independent of the engine.
package lineage

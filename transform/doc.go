// Package transform holds kiln's built-in transforms: pure, vectorized
// functions over Arrow tables that give the same bytes at any GOMAXPROCS.
//
// Every transform declares its output schema from its input schemas (so a
// pipeline fails at plan time, naming the column, when an input lacks what
// it needs), carries a name and version that enter the fingerprint, reports
// column lineage, and documents its output row order. Compose them with
// Chain:
//
//	clean := transform.Chain(
//		transform.DropNulls("user_id"),
//		transform.Dedupe([]string{"event_id"}, transform.KeepFirst),
//	)
//
// Floating-point reductions run over fixed chunks chosen from the data (never
// from the thread count) and combine partial results in chunk order. Null
// semantics follow SQL unless a transform documents otherwise.
package transform

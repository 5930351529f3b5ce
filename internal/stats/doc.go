// Package stats holds kiln's numeric building blocks for quality checks and
// profiles: order-preserving sort keys and radix sorts, mergeable moments,
// quantiles, and the two-sample drift statistics (population stability
// index, Kolmogorov–Smirnov, chi-square) with their p-values.
//
// Everything here is a pure function of its arguments: no randomness, no
// goroutines, no dependence on map order, so callers that combine partial
// results in a fixed order get bit-identical output at any GOMAXPROCS.
package stats

// Package featuretest holds test helpers for code built on package
// feature.
package featuretest

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-data/kiln/feature"
)

// RequireParity runs a parity check of group g on the online store o and
// fails the test, listing every mismatch, when the online values differ
// from the point-in-time offline values.
func RequireParity(t testing.TB, o *feature.Online, g *feature.Group, opts feature.ParityOptions) *feature.ParityReport {
	t.Helper()
	rep, err := o.Parity(context.Background(), g, opts)
	if err != nil {
		t.Fatalf("parity check of %s: %v", g.ID(), err)
	}
	if rep.Rows == 0 || rep.Values == 0 {
		t.Fatalf("parity check of %s compared nothing", g.ID())
	}
	if !rep.OK() {
		var b strings.Builder
		for _, m := range rep.Mismatches {
			b.WriteString("\n  ")
			b.WriteString(m.String())
		}
		t.Fatalf("parity check of %s: %d of %d values differ online and offline:%s", g.ID(), len(rep.Mismatches), rep.Values, b.String())
	}
	return rep
}

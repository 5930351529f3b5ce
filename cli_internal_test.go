package kiln

import (
	"reflect"
	"testing"
)

// TestWithCLICopiesEveryField fails when Pipeline gains a field, so that
// withCLI (main.go), which copies a pipeline field by field, is updated.
func TestWithCLICopiesEveryField(t *testing.T) {
	handled := map[string]string{
		"name": "copied", "lake": "set", "logger": "set", "nodes": "copied", "byName": "copied", "errs": "copied",
		"listeners": "copied and extended", "seqMu": "fresh", "seqLocks": "fresh", "gcPercent": "copied",
	}
	typ := reflect.TypeFor[Pipeline]()
	for i := range typ.NumField() {
		if f := typ.Field(i); handled[f.Name] == "" {
			t.Errorf("Pipeline.%s is new: decide in withCLI (main.go) whether the CLI's copy shares it, then list it here", f.Name)
		}
	}
}

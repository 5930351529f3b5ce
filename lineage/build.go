package lineage

import (
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/kiln-data/kiln/internal/version"
)

// Build is the provenance of the program that wrote a record, read from
// runtime/debug.ReadBuildInfo.
type Build struct {
	// GoVersion is the Go toolchain that built the program.
	GoVersion string `json:"go_version"`
	// Module is the main module path of the program.
	Module string `json:"module,omitempty"`
	// ModuleVersion is the main module version ("(devel)" for local builds).
	ModuleVersion string `json:"module_version,omitempty"`
	// Kiln is the kiln version compiled into the program.
	Kiln string `json:"kiln"`
	// Revision is the VCS revision, when the build recorded one.
	Revision string `json:"vcs_revision,omitempty"`
	// Modified reports uncommitted changes in the build's working tree.
	Modified bool `json:"vcs_modified,omitempty"`
}

var (
	buildOnce sync.Once
	buildInfo Build
)

// CurrentBuild returns the provenance of the running program. It is computed
// once.
func CurrentBuild() Build {
	buildOnce.Do(func() {
		b := Build{GoVersion: runtime.Version(), Kiln: version.Version}
		if bi, ok := debug.ReadBuildInfo(); ok {
			b.Module = bi.Main.Path
			b.ModuleVersion = bi.Main.Version
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					b.Revision = s.Value
				case "vcs.modified":
					b.Modified = s.Value == "true"
				}
			}
		}
		buildInfo = b
	})
	return buildInfo
}

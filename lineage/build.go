package lineage

import (
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/kiln-data/kiln/internal/version"
)

// KilnModule is kiln's module path, looked up among a program's
// dependencies to report which kiln it was built with.
const KilnModule = "github.com/kiln-data/kiln"

// Build is the provenance of the program that wrote a record, read from
// runtime/debug.ReadBuildInfo: which module at which version and VCS
// revision, built by which Go, with which kiln.
type Build struct {
	// GoVersion is the Go toolchain that built the program.
	GoVersion string `json:"go_version"`
	// Module is the main module path of the program.
	Module string `json:"module,omitempty"`
	// ModuleVersion is the main module version ("(devel)" for local builds).
	ModuleVersion string `json:"module_version,omitempty"`
	// Kiln is the kiln version compiled into the program.
	Kiln string `json:"kiln"`
	// KilnModuleVersion is the version of the kiln module the program was
	// built with, from its module dependencies ("(devel)" when kiln is the
	// main module or replaced by a local directory). It can differ from
	// Kiln for pseudo-versions between releases.
	KilnModuleVersion string `json:"kiln_module_version,omitempty"`
	// VCS is the version control system of the build, e.g. "git".
	VCS string `json:"vcs,omitempty"`
	// Revision is the VCS revision, when the build recorded one.
	Revision string `json:"vcs_revision,omitempty"`
	// RevisionTime is the commit time of Revision (RFC 3339), when
	// recorded.
	RevisionTime string `json:"vcs_time,omitempty"`
	// Modified reports uncommitted changes in the build's working tree.
	Modified bool `json:"vcs_modified,omitempty"`
}

var (
	buildOnce sync.Once
	buildInfo Build
)

// CurrentBuild returns the provenance of the running program. It is computed
// once. Tests and `go run` record no VCS information; binaries built with
// `go build` inside a repository do.
func CurrentBuild() Build {
	buildOnce.Do(func() {
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			bi = nil
		}
		buildInfo = BuildFrom(bi)
	})
	return buildInfo
}

// BuildFrom extracts a Build from build information as returned by
// runtime/debug.ReadBuildInfo; bi may be nil (a program built without module
// support), which gives only the Go and kiln versions.
func BuildFrom(bi *debug.BuildInfo) Build {
	b := Build{GoVersion: runtime.Version(), Kiln: version.Version}
	if bi == nil {
		return b
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	b.Module = bi.Main.Path
	b.ModuleVersion = bi.Main.Version
	if bi.Main.Path == KilnModule {
		b.KilnModuleVersion = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d != nil && d.Path == KilnModule {
			b.KilnModuleVersion = d.Version
			if d.Replace != nil {
				b.KilnModuleVersion = "(devel)"
				if d.Replace.Version != "" {
					b.KilnModuleVersion = d.Replace.Version
				}
			}
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			b.VCS = s.Value
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.RevisionTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// Changes lists the provenance fields that differ from b (A) to o (B), in
// a fixed order; none when the builds are equal.
func (b Build) Changes(o Build) []Change {
	var out []Change
	add := func(field, x, y string) {
		if x != y {
			out = append(out, Change{Field: field, A: x, B: y})
		}
	}
	add("go_version", b.GoVersion, o.GoVersion)
	add("module", b.Module, o.Module)
	add("module_version", b.ModuleVersion, o.ModuleVersion)
	add("kiln", b.Kiln, o.Kiln)
	add("kiln_module_version", b.KilnModuleVersion, o.KilnModuleVersion)
	add("vcs_revision", b.Revision, o.Revision)
	add("vcs_modified", boolString(b.Modified), boolString(o.Modified))
	return out
}

func boolString(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

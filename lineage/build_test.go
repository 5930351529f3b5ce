package lineage_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kiln-data/kiln/lineage"
)

func TestBuildFrom(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.1",
		Main:      debug.Module{Path: "example.com/shop", Version: "v1.2.3"},
		Deps: []*debug.Module{
			{Path: "github.com/apache/arrow-go/v18", Version: "v18.8.0"},
			{Path: lineage.KilnModule, Version: "v0.1.0"},
		},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "4fe3cd1"},
			{Key: "vcs.time", Value: "2024-01-30T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	b := lineage.BuildFrom(bi)
	assert.Equal(t, lineage.Build{GoVersion: "go1.26.1", Module: "example.com/shop", ModuleVersion: "v1.2.3",
		Kiln: b.Kiln, KilnModuleVersion: "v0.1.0", VCS: "git", Revision: "4fe3cd1",
		RevisionTime: "2024-01-30T12:00:00Z", Modified: true}, b)
	assert.NotEmpty(t, b.Kiln)

	bi.Deps[1].Replace = &debug.Module{Path: "../kiln"}
	assert.Equal(t, "(devel)", lineage.BuildFrom(bi).KilnModuleVersion)

	none := lineage.BuildFrom(nil)
	assert.Equal(t, runtime.Version(), none.GoVersion)
	assert.Empty(t, none.Module)

	clean := b
	clean.Revision, clean.Modified = "afa87c2", false
	assert.Equal(t, []lineage.Change{
		{Field: "vcs_revision", A: "4fe3cd1", B: "afa87c2"},
		{Field: "vcs_modified", A: "true", B: "false"},
	}, b.Changes(clean))
	assert.Empty(t, b.Changes(b))

	cur := lineage.CurrentBuild()
	assert.Equal(t, lineage.KilnModule, cur.Module, "tests run inside the kiln module")
	assert.NotEmpty(t, cur.GoVersion)
}

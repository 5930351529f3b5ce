package kiln

import "github.com/kiln-data/kiln/internal/lake"

// WithCommitHooks lets tests stop a commit between its steps.
func WithCommitHooks(afterData, afterManifest func() error) RunOption {
	return func(c *runConfig) { c.hooks = &lake.Hooks{AfterData: afterData, AfterManifest: afterManifest} }
}

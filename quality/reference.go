package quality

import (
	"fmt"

	"github.com/kiln-data/kiln"
)

// Reference says what a change or drift check compares the current data
// with: the previous committed partition of the checked node (the zero
// Reference, also Previous()), a committed partition of any dataset
// (Committed), or a fixed profile (Fixed). Committed references are read
// from manifests: their profiles must have been recorded when they were
// committed (by the same check, or by Profile), so no old data is read.
type Reference struct {
	// Dataset is the reference dataset; empty means the checked node.
	Dataset string `json:"dataset,omitempty"`
	// Partition is the reference partition, e.g. "dt=2024-01-01"; empty
	// means the latest committed partition before the current one.
	Partition string `json:"partition,omitempty"`
	// Profile is a fixed reference profile (from ProfileTable).
	Profile *TableProfile `json:"profile,omitempty"`
}

// Previous refers to the latest committed partition of the checked node
// before the current one.
func Previous() Reference { return Reference{} }

// Committed refers to a committed partition of a dataset (empty for the
// checked node), e.g. Committed("silver.events", "dt=2024-01-01").
func Committed(dataset, partition string) Reference {
	return Reference{Dataset: dataset, Partition: partition}
}

// Fixed refers to a fixed profile, for example of a training set.
func Fixed(p *TableProfile) Reference { return Reference{Profile: p} }

func (r Reference) validate() error {
	if r.Partition != "" {
		if _, err := kiln.ParsePartition(r.Partition); err != nil {
			return fmt.Errorf("quality: reference partition: %w", err)
		}
	}
	if r.Dataset != "" && r.Partition == "" {
		return fmt.Errorf("quality: reference to dataset %q needs a partition", r.Dataset)
	}
	return nil
}

// resolve returns the reference profile and a description of it, or a nil
// profile when there is no such reference (yet).
func (r Reference) resolve(ctx *kiln.Context) (*TableProfile, string, error) {
	if r.Profile != nil {
		return r.Profile, "fixed profile", nil
	}
	var m *kiln.Manifest
	var err error
	desc := "previous partition"
	if r.Partition == "" {
		m, err = ctx.Previous()
	} else {
		ds := r.Dataset
		if ds == "" {
			ds = ctx.Node()
		}
		desc = ds + " " + r.Partition
		p, perr := kiln.ParsePartition(r.Partition)
		if perr != nil {
			return nil, desc, fmt.Errorf("quality: reference partition: %w", perr)
		}
		m, err = ctx.Manifest(ds, p)
	}
	if err != nil {
		return nil, desc, fmt.Errorf("quality: read reference %s: %w", desc, err)
	}
	if m == nil {
		return nil, desc, nil
	}
	if r.Partition == "" {
		desc = "previous partition " + m.Partition
	}
	p, err := ReadProfile(m)
	return p, desc, err
}

package quality

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// ProfileCheck records a profile of the checked data in the partition's
// manifest; it always passes. See Profile.
type ProfileCheck struct {
	cfg profileConfig
}

type profileConfig struct {
	Columns []string `json:"columns,omitempty"`
}

// Profile returns a check that profiles columns (all of a supported type
// when none are named) and stores one ColumnProfile per column in the
// manifest (under ProfileKey + column), where ReadProfile, the report, and
// drift checks of later partitions find it. It always passes; its result's
// message says how many columns it profiled. The profile describes the
// checked data, before any quarantine.
func Profile(columns ...string) *ProfileCheck {
	return &ProfileCheck{cfg: profileConfig{Columns: append([]string(nil), columns...)}}
}

// Spec implements kiln.Check.
func (c *ProfileCheck) Spec() kiln.Spec {
	return kiln.Spec{Name: "quality.profile", Version: specVersion, Config: c.cfg}
}

// ValidateSchema implements kiln.SchemaValidator.
func (c *ProfileCheck) ValidateSchema(s *arrow.Schema) error {
	for _, name := range c.cfg.Columns {
		if _, err := lookupField(s, name, domInt, domUint, domFloat, domString, domBool); err != nil {
			return err
		}
	}
	return nil
}

// Evaluate implements kiln.Check.
func (c *ProfileCheck) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	if err := c.ValidateSchema(t.Schema()); err != nil {
		return kiln.CheckResult{}, err
	}
	p, err := ProfileTable(ctx, t, c.cfg.Columns...)
	if err != nil {
		return kiln.CheckResult{}, err
	}
	for i := range p.Columns {
		if err := recordProfile(ctx, &p.Columns[i], true); err != nil {
			return kiln.CheckResult{}, err
		}
	}
	return kiln.CheckResult{
		Check: "profile", Severity: kiln.SeverityWarn, Success: true, ElementCount: t.NumRows(),
		Observed: int64(len(p.Columns)), Expected: "a profile",
		Message: fmt.Sprintf("profiled %d columns", len(p.Columns)),
	}, nil
}

package quality

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-data/kiln"
)

// SampleSize is the number of unexpected values a result keeps as a sample
// (partial_unexpected_list in Great Expectations, which uses the same
// default).
const SampleSize = 20

// specVersion is the version of every check's logic; bump it when a check
// computes anything differently.
const specVersion = "1"

// common is the part of every check's config shared by all checks.
type common struct {
	// Name overrides the check's name in results and quarantine rows.
	Name string `json:"name,omitempty"`
	// Severity is what a failure does (error when empty).
	Severity kiln.Severity `json:"severity"`
}

func (c common) severity() kiln.Severity {
	if c.Severity == "" {
		return kiln.SeverityError
	}
	return c.Severity
}

func (c common) checkName(kind string) string {
	if c.Name != "" {
		return c.Name
	}
	return kind
}

// ratio returns k/n as a percentage, or 0 when n is 0.
func percent(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n) * 100
}

// finishMap fills the counts of a column (map) check result and decides its
// success with Great Expectations semantics: the unexpected fraction is of
// the non-null values (of all values for not-null), and the check passes
// when (nonnull − unexpected)/nonnull >= mostly, compared as a raw float;
// zero rows or zero non-null values pass.
func finishMap(res *kiln.CheckResult, n, missing, unexpected int64, mostly float64, notNull bool) {
	res.ElementCount = n
	res.MissingCount = missing
	res.MissingPercent = percent(missing, n)
	res.UnexpectedCount = unexpected
	den := n - missing
	if notNull {
		den = n
	}
	res.UnexpectedPercent = percent(unexpected, den)
	res.UnexpectedPercentTotal = percent(unexpected, n)
	res.Success = den == 0 || float64(den-unexpected)/float64(den) >= mostly
}

// fmtNum formats a bound or statistic compactly.
func fmtNum(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Sprint(f)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// rangeText describes [lo, hi] with strictness, e.g. "in [0, 10)", ">= 0".
func rangeText(lo, hi string, strictLo, strictHi bool) string {
	switch {
	case lo == "" && hi == "":
		return "any value"
	case hi == "":
		return map[bool]string{false: ">= ", true: "> "}[strictLo] + lo
	case lo == "":
		return map[bool]string{false: "<= ", true: "< "}[strictHi] + hi
	}
	l, r := "[", "]"
	if strictLo {
		l = "("
	}
	if strictHi {
		r = ")"
	}
	return "in " + l + lo + ", " + hi + r
}

func mostlyText(mostly float64) string {
	if mostly >= 1 {
		return ""
	}
	return ", mostly >= " + fmtNum(mostly)
}

// setText lists set values, abbreviated after ten.
func setText(vals []any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range vals {
		if i == 10 {
			fmt.Fprintf(&b, ", … (%d values)", len(vals))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, v)
	}
	b.WriteByte('}')
	return b.String()
}

// checkBound reports a bound that config cannot hold (NaN); infinite bounds
// become unset (an open side).
func checkBound(p **float64, what string) error {
	if *p == nil {
		return nil
	}
	v := **p
	switch {
	case math.IsNaN(v):
		return fmt.Errorf("%s bound is NaN", what)
	case math.IsInf(v, 0):
		*p = nil
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

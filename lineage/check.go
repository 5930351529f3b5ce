package lineage

// Severity says what a failing check does to a run.
type Severity string

// Severities. The zero value is treated as SeverityError.
const (
	// SeverityError halts the node: nothing downstream runs and nothing is
	// committed for the partition; the previously committed one stays.
	SeverityError Severity = "error"
	// SeverityWarn records the failure and lets the run go on.
	SeverityWarn Severity = "warn"
	// SeverityQuarantine diverts the failing rows to the node's quarantine
	// dataset with the check name and reason; the other rows go on.
	SeverityQuarantine Severity = "quarantine"
)

// CheckResult is the outcome of one quality check on one partition. Column
// checks follow Great Expectations semantics: the unexpected percent is of the
// non-null values, and a check passes when the expected fraction is at least
// its "mostly" threshold.
type CheckResult struct {
	// Check is the check's name, e.g. "not_null".
	Check string `json:"check"`
	// Column is the checked column, if the check is about one.
	Column string `json:"column,omitempty"`
	// Columns are the checked columns of a multi-column check.
	Columns []string `json:"columns,omitempty"`
	// Severity is what a failure does.
	Severity Severity `json:"severity"`
	// Success reports whether the check passed.
	Success bool `json:"success"`
	// Observed is the observed value of an aggregate check (a mean, a row
	// count, a drift statistic); nil when there is none.
	Observed any `json:"observed_value,omitempty"`
	// Expected describes the expectation in words, e.g. "between 0 and 1e6".
	Expected string `json:"expected,omitempty"`
	// ElementCount is the number of rows checked.
	ElementCount int64 `json:"element_count"`
	// MissingCount is the number of null values in the column.
	MissingCount int64 `json:"missing_count"`
	// MissingPercent is MissingCount as a percentage of ElementCount.
	MissingPercent float64 `json:"missing_percent"`
	// UnexpectedCount is the number of values that failed the check.
	UnexpectedCount int64 `json:"unexpected_count"`
	// UnexpectedPercent is UnexpectedCount as a percentage of the non-null
	// values (of all values for not-null checks).
	UnexpectedPercent float64 `json:"unexpected_percent"`
	// UnexpectedPercentTotal is UnexpectedCount as a percentage of all rows.
	UnexpectedPercentTotal float64 `json:"unexpected_percent_total"`
	// Unexpected is a bounded sample of failing values with their rows.
	Unexpected []Unexpected `json:"partial_unexpected,omitempty"`
	// Quarantined is the number of rows diverted to quarantine.
	Quarantined int64 `json:"quarantined,omitempty"`
	// Message explains a failure in words.
	Message string `json:"message,omitempty"`
	// FailedRows are the row indexes that failed, used to quarantine them.
	// Not stored.
	FailedRows []int64 `json:"-"`
}

// Unexpected is one failing value and its row index in the partition.
type Unexpected struct {
	// Row is the 0-based row index in the checked data.
	Row int64 `json:"row"`
	// Value is the failing value (nil for null).
	Value any `json:"value"`
}

package source

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-data/kiln"
)

// ErrBadRecord reports an input record a source could not turn into a row:
// a malformed CSV line, invalid JSON, a value of the wrong type, a missing
// required value. The error names the file, line and column.
var ErrBadRecord = errors.New("bad record")

// BadRecordPolicy says what a source does with a bad input record.
type BadRecordPolicy string

const (
	// Fail fails the run on the first bad record (the default).
	Fail BadRecordPolicy = "fail"
	// Reject skips bad records and sets them aside with kiln.Context.Reject:
	// they are committed, with where they were and why, to the node's
	// rejected-records dataset (kiln.RejectedDataset).
	Reject BadRecordPolicy = "reject"
)

// maxRawBytes bounds the raw text kept with a rejected record.
const maxRawBytes = 64 << 10

// badRecord is one bad input record found while parsing a file.
type badRecord struct {
	line   int64  // 1-based line where the record starts
	column string // column name, or "" when the record as a whole is bad
	col    int    // 1-based byte column within the line, or 0
	reason string
	raw    string
}

func (b *badRecord) where(file string) string {
	if b.col > 0 {
		return fmt.Sprintf("%s:%d:%d", file, b.line, b.col)
	}
	return fmt.Sprintf("%s:%d", file, b.line)
}

func (b *badRecord) why() string {
	if b.column != "" {
		return fmt.Sprintf("column %q: %s", b.column, b.reason)
	}
	return b.reason
}

// err returns the bad record as an error wrapping ErrBadRecord.
func (b *badRecord) err(file string) error {
	return fmt.Errorf("%w: %s: %s", ErrBadRecord, b.where(file), b.why())
}

// rejected returns the bad record as a kiln.Rejected.
func (b *badRecord) rejected(file string) kiln.Rejected {
	return kiln.Rejected{Where: b.where(file), Reason: b.why(), Raw: b.raw}
}

// clipRaw copies at most maxRawBytes of a record's raw bytes, without a
// trailing line break.
func clipRaw(raw []byte) string {
	if len(raw) > maxRawBytes {
		raw = raw[:maxRawBytes]
	}
	return strings.TrimRight(string(raw), "\r\n")
}

func (p BadRecordPolicy) validate() error {
	switch p {
	case Fail, Reject:
		return nil
	}
	return fmt.Errorf("bad-record policy %q: want %q or %q", string(p), Fail, Reject)
}

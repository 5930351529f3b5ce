package source

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// retryable reports whether err means the database is briefly unavailable,
// so the read is worth trying again. A query timeout, a cancelled run and a
// bad value are not.
func (s *SQLSource) retryable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, ErrBadValue) {
		return false
	}
	if s.retryIf != nil && s.retryIf(err) {
		return true
	}
	return unavailable(err)
}

// unavailable recognizes, without importing any driver, the errors of a
// database that is down, restarting or overloaded: connection failures
// (refused, reset, unreachable, a dropped connection), PostgreSQL's
// SQLSTATE classes for those (08 connection exception, 57P01-57P03 shutdown
// and startup, 53300 too many connections, 40001 and 40P01 serialization
// failures and deadlocks), drivers' own "safe to retry" marks (pgx), and
// SQLite's busy and locked codes.
func unavailable(err error) bool {
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ETIMEDOUT):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var safe interface{ SafeToRetry() bool }
	if errors.As(err, &safe) && safe.SafeToRetry() {
		return true
	}
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		switch code := state.SQLState(); {
		case strings.HasPrefix(code, "08"),
			code == "57P01", code == "57P02", code == "57P03",
			code == "53300", code == "40001", code == "40P01":
			return true
		}
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && strings.Contains(fmt.Sprintf("%T", coded), "sqlite") {
		switch coded.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

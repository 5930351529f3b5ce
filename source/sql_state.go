package source

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kiln-data/kiln"
)

// sqlState is the checkpoint an incremental SQL source stores with each
// committed partition.
type sqlState struct {
	// Cursor names the cursor columns the mark belongs to.
	Cursor []string `json:"cursor"`
	// Mark is the cursor of the last row read up to and including this
	// partition; absent until a row was read.
	Mark []sqlMark `json:"mark,omitempty"`
}

// sqlMark is one cursor value with the Go type the driver returned it in, so
// it is bound back exactly as read.
type sqlMark struct {
	// Type is int, uint, float, string, bytes (base64), time (RFC 3339 with
	// nanoseconds) or bool.
	Type  string `json:"type"`
	Value string `json:"value"`
}

func encodeMark(cursor []string, vals []any) ([]sqlMark, error) {
	out := make([]sqlMark, len(vals))
	for i, v := range vals {
		var m sqlMark
		switch x := v.(type) {
		case int64:
			m = sqlMark{"int", strconv.FormatInt(x, 10)}
		case uint64:
			m = sqlMark{"uint", strconv.FormatUint(x, 10)}
		case float64:
			m = sqlMark{"float", strconv.FormatFloat(x, 'g', -1, 64)}
		case string:
			m = sqlMark{"string", x}
		case []byte:
			m = sqlMark{"bytes", base64.StdEncoding.EncodeToString(x)}
		case time.Time:
			m = sqlMark{"time", x.Format(time.RFC3339Nano)}
		case bool:
			m = sqlMark{"bool", strconv.FormatBool(x)}
		case nil:
			return nil, fmt.Errorf("cursor column %q is NULL in the last row read: cursor columns must not be NULL", cursor[i])
		default:
			return nil, fmt.Errorf("cursor column %q: driver value of type %T cannot be a cursor", cursor[i], v)
		}
		out[i] = m
	}
	return out, nil
}

func decodeMark(marks []sqlMark) ([]any, error) {
	out := make([]any, len(marks))
	for i, m := range marks {
		var v any
		var err error
		switch m.Type {
		case "int":
			v, err = strconv.ParseInt(m.Value, 10, 64)
		case "uint":
			v, err = strconv.ParseUint(m.Value, 10, 64)
		case "float":
			v, err = strconv.ParseFloat(m.Value, 64)
		case "string":
			v = m.Value
		case "bytes":
			v, err = base64.StdEncoding.DecodeString(m.Value)
		case "time":
			var t time.Time
			t, err = time.Parse(time.RFC3339Nano, m.Value)
			v = t
		case "bool":
			v, err = strconv.ParseBool(m.Value)
		default:
			err = fmt.Errorf("unknown type %q", m.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("high-water mark value %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// previousMark returns the high-water mark committed with the previous
// partition, as stored and as values to bind: nil for a snapshot source, or
// when there is none.
func (s *SQLSource) previousMark(ctx *kiln.Context) ([]sqlMark, []any, error) {
	if len(s.cfg.Cursor) == 0 {
		return nil, nil, nil
	}
	var st sqlState
	ok, err := ctx.PreviousState(&st)
	if err != nil || !ok || len(st.Mark) == 0 {
		return nil, nil, err
	}
	if !slices.Equal(st.Cursor, s.cfg.Cursor) || len(st.Mark) != len(s.cfg.Cursor) {
		return nil, nil, fmt.Errorf("%w: the previous partition's mark is for cursor %v, the source's cursor is %v (rerun from the first partition to start over)", ErrCursorChanged, st.Cursor, s.cfg.Cursor)
	}
	vals, err := decodeMark(st.Mark)
	return st.Mark, vals, err
}

package feature

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Key is an entity key for online reads: one value per entity key column,
// in the entity's order. Values may be any Go integer type, string, []byte
// or bool; for date and timestamp keys pass the storage integer (days,
// or the timestamp's unit since the epoch).
type Key []any

// Online keys
//
// A record's key is "<group>:<version>:<entity key>", the entity key being
// its key values joined by ':', each written as text: integers in decimal,
// booleans as true/false, strings and binaries as their bytes with '\'
// written "\\" and ':' written "\:" (so keys of several columns cannot run
// together), dates and timestamps as their storage integer.

func recordKey(g *Group, entity string) string {
	return g.Name + ":" + strconv.Itoa(g.Version) + ":" + entity
}

func metaKey(g *Group) string { return "meta:" + g.Name + ":" + strconv.Itoa(g.Version) }

var keyEscaper = strings.NewReplacer(`\`, `\\`, `:`, `\:`)

// appendKeyText appends one key value given as a Go value.
func appendKeyText(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case string:
		return append(b, keyEscaper.Replace(x)...), nil
	case []byte:
		return append(b, keyEscaper.Replace(string(x))...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case nil:
		return nil, fmt.Errorf("null key value")
	}
	return nil, fmt.Errorf("key value %v of type %T: want an integer, string, []byte or bool", v, v)
}

// entityText renders a Key for a group.
func entityText(g *Group, k Key) (string, error) {
	if len(k) != len(g.Entity.Keys) {
		return "", fmt.Errorf("key %v has %d values, entity %q of group %s has %d key columns %v", []any(k), len(k), g.Entity.Name, g.ID(), len(g.Entity.Keys), g.Entity.Keys)
	}
	var b []byte
	for i, v := range k {
		if i > 0 {
			b = append(b, ':')
		}
		var err error
		if b, err = appendKeyText(b, v); err != nil {
			return "", fmt.Errorf("key column %q: %w", g.Entity.Keys[i], err)
		}
	}
	return string(b), nil
}

// keyTexter renders the key of row i of Arrow key columns (one array per
// column), the same way entityText renders Go values. ok is false for a
// null key.
func appendArrowKey(b []byte, a arrow.Array, i int) ([]byte, bool) {
	if a.IsNull(i) {
		return b, false
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.AppendInt(b, a.Value(i), 10), true
	case *array.Int32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Int16:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Int8:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Uint64:
		return strconv.AppendUint(b, a.Value(i), 10), true
	case *array.Uint32:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), true
	case *array.Uint16:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), true
	case *array.Uint8:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), true
	case *array.Date32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Date64:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Timestamp:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), true
	case *array.Boolean:
		return strconv.AppendBool(b, a.Value(i)), true
	case *array.String:
		return append(b, keyEscaper.Replace(a.Value(i))...), true
	case *array.LargeString:
		return append(b, keyEscaper.Replace(a.Value(i))...), true
	case *array.StringView:
		return append(b, keyEscaper.Replace(a.Value(i))...), true
	case *array.Binary:
		return append(b, keyEscaper.Replace(string(a.Value(i)))...), true
	}
	return append(b, a.ValueStr(i)...), true
}

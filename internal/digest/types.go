package digest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// kind is the logical layout class of a node in the content hash.
type kind uint8

const (
	kindNull      kind = iota // no validity, no values: only the row count
	kindBool                  // validity + values as a bit stream
	kindFixed                 // validity + fixed-width little-endian values
	kindBinary                // validity + uint32 lengths + concatenated bytes
	kindList                  // validity + uint32 lengths + one child node
	kindFixedList             // validity + one child node (lengths implied)
	kindStruct                // validity + one child node per field
)

// plan is the hashing plan of one logical type, built once per column from
// its Arrow type before any data is read.
type plan struct {
	kind     kind
	typ      string  // canonical type string
	width    int     // kindFixed: value width in bytes; kindFixedList: list size
	float    int     // kindFixed floats: 2, 4 or 8 (NaN canonicalization); else 0
	children []*plan // kindList, kindFixedList: one; kindStruct: one per field
}

// UnsupportedTypeError reports an Arrow type the content hash does not
// support (unions, run-end encoded arrays, dictionaries of nested types).
type UnsupportedTypeError struct {
	Type arrow.DataType
}

func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("unsupported arrow type %s", e.Type)
}

// CanonicalType returns the canonical type string of dt used by the content
// hash, for example "int64", "utf8", "timestamp[us,UTC]",
// "list<int64,nullable>" or "struct<a:int64,nullable;b:utf8,notnull>".
// See the package documentation for the grammar.
func CanonicalType(dt arrow.DataType) (string, error) {
	p, err := buildPlan(dt)
	if err != nil {
		return "", err
	}
	return p.typ, nil
}

// maxPlanDepth bounds the nesting of types, so a hostile schema cannot
// exhaust the stack.
const maxPlanDepth = 64

func buildPlan(dt arrow.DataType) (*plan, error) { return buildPlanDepth(dt, 0) }

func buildPlanDepth(dt arrow.DataType, depth int) (*plan, error) {
	if dt == nil {
		return nil, fmt.Errorf("nil arrow type")
	}
	if depth > maxPlanDepth {
		return nil, fmt.Errorf("arrow type nested deeper than %d levels", maxPlanDepth)
	}
	fixed := func(name string, width int) (*plan, error) {
		return &plan{kind: kindFixed, typ: name, width: width}, nil
	}
	switch t := dt.(type) {
	case *arrow.NullType:
		return &plan{kind: kindNull, typ: "null"}, nil
	case *arrow.BooleanType:
		return &plan{kind: kindBool, typ: "bool"}, nil
	case *arrow.Int8Type:
		return fixed("int8", 1)
	case *arrow.Int16Type:
		return fixed("int16", 2)
	case *arrow.Int32Type:
		return fixed("int32", 4)
	case *arrow.Int64Type:
		return fixed("int64", 8)
	case *arrow.Uint8Type:
		return fixed("uint8", 1)
	case *arrow.Uint16Type:
		return fixed("uint16", 2)
	case *arrow.Uint32Type:
		return fixed("uint32", 4)
	case *arrow.Uint64Type:
		return fixed("uint64", 8)
	case *arrow.Float16Type:
		return &plan{kind: kindFixed, typ: "float16", width: 2, float: 2}, nil
	case *arrow.Float32Type:
		return &plan{kind: kindFixed, typ: "float32", width: 4, float: 4}, nil
	case *arrow.Float64Type:
		return &plan{kind: kindFixed, typ: "float64", width: 8, float: 8}, nil
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return &plan{kind: kindBinary, typ: "utf8"}, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		return &plan{kind: kindBinary, typ: "binary"}, nil
	case *arrow.FixedSizeBinaryType:
		if t.ByteWidth <= 0 {
			return nil, fmt.Errorf("fixed_size_binary with byte width %d", t.ByteWidth)
		}
		return fixed("fixed_size_binary["+strconv.Itoa(t.ByteWidth)+"]", t.ByteWidth)
	case *arrow.Date32Type:
		return fixed("date32", 4)
	case *arrow.Date64Type:
		return fixed("date64", 8)
	case *arrow.Time32Type:
		return fixed("time32["+unitName(t.Unit)+"]", 4)
	case *arrow.Time64Type:
		return fixed("time64["+unitName(t.Unit)+"]", 8)
	case *arrow.TimestampType:
		name := "timestamp[" + unitName(t.Unit)
		if t.TimeZone != "" {
			name += "," + quoteIfNeeded(t.TimeZone, isTZByte)
		}
		return fixed(name+"]", 8)
	case *arrow.DurationType:
		return fixed("duration["+unitName(t.Unit)+"]", 8)
	case *arrow.MonthIntervalType:
		return fixed("interval[month]", 4)
	case *arrow.DayTimeIntervalType:
		return fixed("interval[day_time]", 8)
	case *arrow.MonthDayNanoIntervalType:
		return fixed("interval[month_day_nano]", 16)
	case *arrow.Decimal32Type:
		return fixed(decimalName("decimal32", t.Precision, t.Scale), 4)
	case *arrow.Decimal64Type:
		return fixed(decimalName("decimal64", t.Precision, t.Scale), 8)
	case *arrow.Decimal128Type:
		return fixed(decimalName("decimal128", t.Precision, t.Scale), 16)
	case *arrow.Decimal256Type:
		return fixed(decimalName("decimal256", t.Precision, t.Scale), 32)
	case *arrow.DictionaryType:
		vp, err := buildPlanDepth(t.ValueType, depth+1)
		if err != nil {
			return nil, err
		}
		switch vp.kind {
		case kindBool, kindFixed, kindBinary:
		default:
			return nil, &UnsupportedTypeError{Type: dt}
		}
		if !arrow.IsInteger(t.IndexType.ID()) {
			return nil, fmt.Errorf("dictionary index type %s is not an integer type", t.IndexType)
		}
		return vp, nil
	case *arrow.StructType:
		p := &plan{kind: kindStruct}
		var sb strings.Builder
		sb.WriteString("struct<")
		for i, f := range t.Fields() {
			cp, err := buildPlanDepth(f.Type, depth+1)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				sb.WriteByte(';')
			}
			sb.WriteString(quoteIfNeeded(f.Name, isNameByte))
			sb.WriteByte(':')
			sb.WriteString(cp.typ)
			sb.WriteString(nullability(f.Nullable))
			p.children = append(p.children, cp)
		}
		sb.WriteByte('>')
		p.typ = sb.String()
		return p, nil
	case *arrow.MapType:
		// A map hashes like a list of non-null struct<key,value> entries; the
		// entry, key and value field names are conventions, not data.
		kp, err := buildPlanDepth(t.KeyType(), depth+2)
		if err != nil {
			return nil, err
		}
		vp, err := buildPlanDepth(t.ItemType(), depth+2)
		if err != nil {
			return nil, err
		}
		vnull := nullability(t.ItemField().Nullable)
		entries := &plan{
			kind:     kindStruct,
			typ:      "struct<key:" + kp.typ + nullability(t.KeyField().Nullable) + ";value:" + vp.typ + vnull + ">",
			children: []*plan{kp, vp},
		}
		return &plan{kind: kindList, typ: "map<" + kp.typ + ";" + vp.typ + vnull + ">", children: []*plan{entries}}, nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.ListViewType, *arrow.LargeListViewType:
		f := dt.(arrow.ListLikeType).ElemField()
		cp, err := buildPlanDepth(f.Type, depth+1)
		if err != nil {
			return nil, err
		}
		return &plan{kind: kindList, typ: "list<" + cp.typ + nullability(f.Nullable) + ">", children: []*plan{cp}}, nil
	case *arrow.FixedSizeListType:
		f := t.ElemField()
		cp, err := buildPlanDepth(f.Type, depth+1)
		if err != nil {
			return nil, err
		}
		if t.Len() < 0 {
			return nil, fmt.Errorf("fixed_size_list with negative size %d", t.Len())
		}
		return &plan{
			kind:     kindFixedList,
			typ:      "fixed_size_list<" + cp.typ + nullability(f.Nullable) + ">[" + strconv.Itoa(int(t.Len())) + "]",
			width:    int(t.Len()),
			children: []*plan{cp},
		}, nil
	case arrow.ExtensionType:
		st := t.StorageType()
		if st != nil && st.ID() == arrow.DICTIONARY {
			return nil, &UnsupportedTypeError{Type: dt}
		}
		sp, err := buildPlanDepth(st, depth+1)
		if err != nil {
			return nil, err
		}
		ep := *sp
		ep.typ = "extension<" + quote(t.ExtensionName()) + "," + quote(t.Serialize()) + "," + sp.typ + ">"
		return &ep, nil
	}
	return nil, &UnsupportedTypeError{Type: dt}
}

func unitName(u arrow.TimeUnit) string {
	switch u {
	case arrow.Second:
		return "s"
	case arrow.Millisecond:
		return "ms"
	case arrow.Microsecond:
		return "us"
	case arrow.Nanosecond:
		return "ns"
	}
	return "unit" + strconv.Itoa(int(u))
}

func decimalName(name string, precision, scale int32) string {
	return name + "(" + strconv.Itoa(int(precision)) + "," + strconv.Itoa(int(scale)) + ")"
}

func nullability(nullable bool) string {
	if nullable {
		return ",nullable"
	}
	return ",notnull"
}

// isNameByte reports the bytes a field name may hold and stay unquoted.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// isTZByte reports the bytes a time zone may hold and stay unquoted.
func isTZByte(c byte) bool {
	return isNameByte(c) || c == '/' || c == '+' || c == '-' || c == ':' || c == '.'
}

// quoteIfNeeded returns s unchanged when it is non-empty and every byte
// satisfies ok, and quote(s) otherwise. A quoted string starts with '"',
// which ok never accepts, so the result is unambiguous.
func quoteIfNeeded(s string, ok func(byte) bool) string {
	if s == "" {
		return quote(s)
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return quote(s)
		}
	}
	return s
}

// quote wraps s in double quotes, escaping only '"' and '\' with a
// backslash. All other bytes (including non-UTF-8 and control bytes) are
// kept as they are, so the output never depends on Unicode tables.
func quote(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(c)
	}
	sb.WriteByte('"')
	return sb.String()
}

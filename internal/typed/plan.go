package typed

import (
	"fmt"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// kind is the shape of a compiled Go type, independent of nullability.
type kind uint8

const (
	kBool kind = iota
	kNumber
	kString
	kDict
	kBinary
	kFixedBinary
	kTime
	kDuration
	kDate
	kList
	kStruct
)

// node is the compiled mapping of one Go type to one Arrow type. It is built
// once per struct type by compile and never mutated afterwards, so codecs can
// share it across goroutines.
type node struct {
	kind   kind
	goType reflect.Type // the field's Go type, including the pointer if ptr
	elemGo reflect.Type // goType without the pointer
	ptr    bool         // the Go value is a pointer: nil is null
	dt     arrow.DataType
	num    reflect.Kind   // kNumber: the Go kind (Int, Int8, ..., Float64)
	unit   arrow.TimeUnit // kTime, kDuration
	loc    *time.Location // kTime: location of decoded values; nil for naive
	size   int            // kFixedBinary: byte length
	elem   *node          // kList: the element
	fields []*field       // kStruct: the flattened fields
}

// field is one column of a struct: where the value lives and how it maps.
type field struct {
	name string  // column name
	path string  // Go path for messages, e.g. "Event.Meta.Source"
	col  string  // column path for messages, e.g. "meta.source"
	off  uintptr // byte offset from the start of the enclosing struct
	node *node
}

func (f *field) arrowField() arrow.Field {
	return arrow.Field{Name: f.name, Type: f.node.dt, Nullable: f.node.ptr}
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	dateType     = reflect.TypeFor[Date]()
)

// compiler walks Go types. visiting guards against recursive struct types,
// which have no finite Arrow schema.
type compiler struct {
	visiting map[reflect.Type]bool
}

// candidate is a field found while walking a struct and its embedded structs,
// before name conflicts are resolved.
type candidate struct {
	name  string
	depth int
	path  string
	off   uintptr
	typ   reflect.Type
	opts  tagOptions
}

// structFields compiles the exported fields of struct type t, flattening
// embedded structs like encoding/json: a field at a shallower depth hides a
// deeper one with the same column name; two at the same depth are an error.
func (c *compiler) structFields(t reflect.Type, goPath, colPrefix string) ([]*field, error) {
	if c.visiting[t] {
		return nil, fmt.Errorf("typed: %s: recursive struct type %s has no Arrow schema", goPath, t)
	}
	c.visiting[t] = true
	defer delete(c.visiting, t)

	var cands []candidate
	if err := collect(t, 0, 0, goPath, &cands); err != nil {
		return nil, err
	}
	best := map[string]int{} // column name → index in cands of the winner
	for i, cd := range cands {
		j, seen := best[cd.name]
		switch {
		case !seen || cd.depth < cands[j].depth:
			best[cd.name] = i
		case cd.depth == cands[j].depth:
			return nil, fmt.Errorf("typed: fields %s and %s both map to column %q; rename one with a kiln tag",
				cands[j].path, cd.path, cd.name)
		}
	}
	var fields []*field
	for i, cd := range cands {
		if best[cd.name] != i {
			continue
		}
		f := &field{name: cd.name, path: cd.path, col: colPrefix + cd.name, off: cd.off}
		opts := cd.opts
		n, err := c.compile(cd.typ, &opts, f)
		if err != nil {
			return nil, err
		}
		if o := opts.unusedOption(); o != "" {
			return nil, fmt.Errorf("typed: field %s: tag option %s does not apply to Go type %s", f.path, o, cd.typ)
		}
		f.node = n
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("typed: %s: struct type %s has no exported fields", goPath, t)
	}
	return fields, nil
}

// collect appends the candidate fields of struct type t (at byte offset off
// within the outermost struct) to out, descending into embedded structs.
func collect(t reflect.Type, off uintptr, depth int, goPath string, out *[]candidate) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get(tagKey)
		if tag == "-" {
			continue
		}
		path := goPath + "." + sf.Name
		name, opts, err := parseTag(tag)
		if err != nil {
			return fmt.Errorf("typed: field %s: tag %q: %w", path, tag, err)
		}
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Struct && ft != timeType {
				if tag != "" {
					return fmt.Errorf("typed: field %s: tag options on an embedded struct are not supported", path)
				}
				if err := collect(ft, off+sf.Offset, depth+1, path, out); err != nil {
					return err
				}
				continue
			}
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				return fmt.Errorf("typed: field %s: embedded pointer to struct %s is not supported; embed the struct value", path, ft.Elem())
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = SnakeCase(sf.Name)
		}
		if !validColumnName(name) {
			return fmt.Errorf("typed: field %s: invalid column name %q", path, name)
		}
		*out = append(*out, candidate{
			name: name, depth: depth, path: path, off: off + sf.Offset,
			typ: sf.Type, opts: opts,
		})
	}
	return nil
}

// compile maps Go type t (the type of field f) to a node, consuming the tag
// options that apply to it.
func (c *compiler) compile(t reflect.Type, opts *tagOptions, f *field) (*node, error) {
	unsupported := func(why string) error {
		return fmt.Errorf("typed: field %s: unsupported Go type %s%s", f.path, t, why)
	}
	if t.Kind() == reflect.Pointer {
		e := t.Elem()
		if e.Kind() == reflect.Pointer {
			return nil, unsupported(" (pointer to pointer)")
		}
		n, err := c.compile(e, opts, f)
		if err != nil {
			return nil, err
		}
		n.ptr = true
		n.goType = t
		return n, nil
	}
	n := &node{goType: t, elemGo: t}
	switch {
	case t == timeType:
		opts.usedUnit, opts.usedTZ = true, true
		n.kind, n.unit, n.loc = kTime, arrow.Microsecond, opts.loc
		if opts.hasUnit {
			n.unit = opts.unit
		}
		n.dt = &arrow.TimestampType{Unit: n.unit, TimeZone: opts.tz}
		return n, nil
	case t == durationType:
		opts.usedUnit = true
		n.kind, n.unit = kDuration, arrow.Nanosecond
		if opts.hasUnit {
			n.unit = opts.unit
		}
		n.dt = &arrow.DurationType{Unit: n.unit}
		return n, nil
	case t == dateType:
		n.kind, n.dt = kDate, arrow.FixedWidthTypes.Date32
		return n, nil
	}
	switch k := t.Kind(); k {
	case reflect.Bool:
		n.kind, n.dt = kBool, arrow.FixedWidthTypes.Boolean
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		n.kind, n.num, n.dt = kNumber, k, numberType(k)
	case reflect.String:
		n.kind, n.dt = kString, arrow.BinaryTypes.String
		if opts.dict {
			opts.usedDict = true
			n.kind = kDict
			n.dt = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			n.kind, n.dt = kBinary, arrow.BinaryTypes.Binary
			return n, nil
		}
		elem, err := c.compile(t.Elem(), opts, f)
		if err != nil {
			return nil, err
		}
		n.kind, n.elem = kList, elem
		n.dt = arrow.ListOfField(arrow.Field{Name: "item", Type: elem.dt, Nullable: elem.ptr})
	case reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 || t.Len() == 0 {
			return nil, unsupported(" (only non-empty byte arrays are supported)")
		}
		n.kind, n.size = kFixedBinary, t.Len()
		n.dt = &arrow.FixedSizeBinaryType{ByteWidth: t.Len()}
	case reflect.Struct:
		fields, err := c.structFields(t, f.path, f.col+".")
		if err != nil {
			return nil, err
		}
		afs := make([]arrow.Field, len(fields))
		for i, cf := range fields {
			afs[i] = cf.arrowField()
		}
		n.kind, n.fields, n.dt = kStruct, fields, arrow.StructOf(afs...)
	default:
		return nil, unsupported("")
	}
	return n, nil
}

func numberType(k reflect.Kind) arrow.DataType {
	switch k {
	case reflect.Int8:
		return arrow.PrimitiveTypes.Int8
	case reflect.Int16:
		return arrow.PrimitiveTypes.Int16
	case reflect.Int32:
		return arrow.PrimitiveTypes.Int32
	case reflect.Int, reflect.Int64:
		return arrow.PrimitiveTypes.Int64
	case reflect.Uint8:
		return arrow.PrimitiveTypes.Uint8
	case reflect.Uint16:
		return arrow.PrimitiveTypes.Uint16
	case reflect.Uint32:
		return arrow.PrimitiveTypes.Uint32
	case reflect.Uint, reflect.Uint64:
		return arrow.PrimitiveTypes.Uint64
	case reflect.Float32:
		return arrow.PrimitiveTypes.Float32
	default:
		return arrow.PrimitiveTypes.Float64
	}
}

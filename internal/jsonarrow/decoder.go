package jsonarrow

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column maps one Arrow field to a value in each JSON record.
type Column struct {
	// Field is the output column.
	Field arrow.Field
	// Path is the chain of object keys leading to the value inside a record;
	// empty means the top-level key Field.Name.
	Path []string
	// Raw keeps the value's JSON text as is (objects, arrays, any scalar) in
	// a string column, instead of requiring a JSON string.
	Raw bool
}

// ValueError is a record value that does not fit its column: the wrong JSON
// type, out of range, or missing in a non-nullable column.
type ValueError struct {
	// Column names the column; empty when the record as a whole is at
	// fault (not an object).
	Column string
	// Msg says what is wrong.
	Msg string
}

func (e *ValueError) Error() string {
	if e.Column == "" {
		return e.Msg
	}
	return fmt.Sprintf("column %q: %s", e.Column, e.Msg)
}

// node is one step of the path trie: the column it ends (or -1) and the keys
// below it.
type node struct {
	col      int
	children map[string]*node
}

// Decoder appends JSON records (objects) to Arrow builders for a fixed
// schema. Each Append is all or nothing: a record with a bad value appends
// nothing. A Decoder is not safe for concurrent use.
type Decoder struct {
	schema *arrow.Schema
	rb     *array.RecordBuilder
	cols   []col
	root   *node
	rows   int

	buf    []byte // unescaped strings of the current record
	keyBuf []byte // the current unescaped key
}

// NewDecoder returns a decoder producing the columns, in order.
func NewDecoder(mem memory.Allocator, columns []Column) (*Decoder, error) {
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		fields[i] = c.Field
	}
	schema := arrow.NewSchema(fields, nil)
	d := &Decoder{schema: schema, root: &node{col: -1}, cols: make([]col, len(columns))}
	for i, c := range columns {
		k, err := kindOf(c.Field.Type, c.Raw)
		if err != nil {
			return nil, &ValueError{Column: c.Field.Name, Msg: err.Error()}
		}
		path := c.Path
		if len(path) == 0 {
			path = []string{c.Field.Name}
		}
		n := d.root
		for _, key := range path {
			next := n.children[key]
			if next == nil {
				next = &node{col: -1}
				if n.children == nil {
					n.children = map[string]*node{}
				}
				n.children[key] = next
			}
			n = next
		}
		if n.col >= 0 {
			return nil, &ValueError{Column: c.Field.Name, Msg: fmt.Sprintf("path %q is also mapped to column %q", strings.Join(path, "."), columns[n.col].Field.Name)}
		}
		n.col = i
		d.cols[i] = col{name: c.Field.Name, kind: k, nullable: c.Field.Nullable, typ: c.Field.Type}
		if ts, ok := c.Field.Type.(*arrow.TimestampType); ok {
			d.cols[i].unit = ts.Unit
		}
	}
	d.rb = array.NewRecordBuilder(mem, schema)
	for i := range d.cols {
		d.cols[i].bind(d.rb.Field(i))
	}
	return d, nil
}

// Schema returns the output schema.
func (d *Decoder) Schema() *arrow.Schema { return d.schema }

// Len returns the number of rows appended since the last NewRecordBatch.
func (d *Decoder) Len() int { return d.rows }

// Release releases the builders.
func (d *Decoder) Release() { d.rb.Release() }

// NewRecordBatch returns the rows appended so far and resets the decoder.
func (d *Decoder) NewRecordBatch() arrow.RecordBatch {
	d.rows = 0
	return d.rb.NewRecordBatch()
}

// Append decodes one record, a JSON object, into a row. A missing key or a
// JSON null gives a null (an error for a non-nullable column); keys that no
// column maps are validated and skipped. On error nothing is appended and the
// error is a *SyntaxError (offsets relative to rec) or a *ValueError.
func (d *Decoder) Append(rec []byte) error {
	for i := range d.cols {
		d.cols[i].set = false
	}
	d.buf = d.buf[:0]
	i := skipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		if err := Validate(rec); err != nil {
			return err
		}
		return &ValueError{Column: "", Msg: fmt.Sprintf("record is %s, not a JSON object", describe(rec[i:]))}
	}
	end, err := d.walk(rec, i, d.root, 1)
	if err != nil {
		return err
	}
	if j := skipSpace(rec, end); j != len(rec) {
		return syntaxErr(j, "unexpected %q after the record", rec[j])
	}
	for i := range d.cols {
		if err := d.cols[i].parse(rec, d); err != nil {
			return err
		}
	}
	for i := range d.cols {
		d.cols[i].append(rec, d.buf)
	}
	d.rows++
	return nil
}

// walk visits the object at rec[i], recording the spans of mapped values.
func (d *Decoder) walk(rec []byte, i int, n *node, depth int) (int, error) {
	if depth > maxDepth {
		return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	return eachMember(rec, i, func(ks, ke int, esc bool, v int) (int, error) {
		key := rec[ks:ke]
		if esc {
			d.keyBuf = unescape(d.keyBuf[:0], key)
			key = d.keyBuf
		}
		child := n.children[string(key)]
		if child == nil {
			return skipValue(rec, v, depth)
		}
		var end int
		var err error
		if child.children != nil && v < len(rec) && rec[v] == '{' {
			end, err = d.walk(rec, v, child, depth+1)
		} else {
			end, err = skipValue(rec, v, depth)
		}
		if err != nil {
			return end, err
		}
		if child.col >= 0 {
			c := &d.cols[child.col]
			c.set, c.vs, c.ve = true, v, end
		}
		return end, nil
	})
}

// describe names the JSON type of the value starting v, with a short excerpt.
func describe(v []byte) string {
	if len(v) == 0 {
		return "empty"
	}
	ex := v
	if len(ex) > 40 {
		ex = ex[:40]
	}
	var what string
	switch c := v[0]; {
	case c == '"':
		what = "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		what = "a boolean"
	case c == 'n':
		return "null"
	default:
		what = "a number"
	}
	if i := strings.IndexAny(string(ex), ",}]\n"); i > 0 && what != "a string" {
		ex = ex[:i]
	}
	return fmt.Sprintf("%s %s", what, ex)
}

package source

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// jsonObject maps the keys of a JSON object to columns.
type jsonObject struct {
	keys map[string]jsonTarget
	all  []*column // the columns whose absence must be filled with nulls
}

// jsonTarget is what a key maps to: a column (a struct column parses the
// nested object into its children), or, for flattened names ("a.b"), the
// object under the key.
type jsonTarget struct {
	col *column
	obj *jsonObject
}

// maxJSONDepth bounds the nesting of skipped values.
const maxJSONDepth = 512

// jsonParser reads NDJSON (one JSON object per line) straight into column
// builders, without building Go values: keys are looked up in a map without
// allocating, numbers and strings are parsed from the line's bytes.
type jsonParser struct {
	file   string
	top    *jsonObject
	cs     *columnSet
	layout string
	policy BadRecordPolicy

	b       []byte // the line being parsed
	pos     int
	gen     uint64
	line    int64
	utf8ok  bool
	scratch []byte
	bad     []badRecord
	err     error
}

// newJSONObject maps a schema's columns: each by its name, names with dots
// also through nested objects ("a.b" reads {"a": {"b": ...}}), and struct
// columns through their fields.
func newJSONObject(cols []*column, flatten bool) (*jsonObject, error) {
	o := &jsonObject{keys: map[string]jsonTarget{}, all: cols}
	for _, c := range cols {
		if err := setStructObjects(c); err != nil {
			return nil, err
		}
		name := c.field.Name
		o.keys[name] = jsonTarget{col: c}
		if !flatten || !strings.Contains(name, ".") {
			continue
		}
		path := strings.Split(name, ".")
		cur := o
		for _, seg := range path[:len(path)-1] {
			t := cur.keys[seg]
			if t.col != nil {
				return nil, fmt.Errorf("column %q: %q is also a column, so the nested key cannot be flattened", name, seg)
			}
			if t.obj == nil {
				t.obj = &jsonObject{keys: map[string]jsonTarget{}}
				cur.keys[seg] = t
			}
			cur = t.obj
		}
		leaf := path[len(path)-1]
		if t, ok := cur.keys[leaf]; ok && t.obj != nil {
			return nil, fmt.Errorf("column %q: %q is both a column and a nested object", name, leaf)
		}
		cur.keys[leaf] = jsonTarget{col: c}
	}
	return o, nil
}

// setStructObjects gives struct columns (and struct list elements) their
// key mapping.
func setStructObjects(c *column) error {
	switch c.kind {
	case kindStruct:
		o, err := newJSONObject(c.child, false)
		if err != nil {
			return err
		}
		c.obj = o
	case kindList:
		return setStructObjects(c.child[0])
	}
	return nil
}

// parse consumes the complete lines at the start of buf.
func (p *jsonParser) parse(buf []byte, eof bool) (int, error) {
	p.utf8ok = utf8.Valid(buf)
	pos := 0
	for pos < len(buf) {
		nl := bytes.IndexByte(buf[pos:], '\n')
		end, next := pos+nl, pos+nl+1
		if nl < 0 {
			if !eof {
				break
			}
			end, next = len(buf), len(buf)
		}
		p.record(buf[pos:end])
		p.line++
		pos = next
		if p.err != nil {
			return pos, p.err
		}
		if p.cs.full() {
			if err := p.cs.flush(); err != nil {
				return pos, err
			}
		}
	}
	return pos, nil
}

func (p *jsonParser) run(r io.Reader) error {
	return scanBlocks(r, p.parse, func() bool { return false })
}

// record parses one line.
func (p *jsonParser) record(line []byte) {
	p.b, p.pos = line, 0
	p.ws()
	if p.pos == len(p.b) {
		return // blank line
	}
	if p.b[p.pos] != '{' {
		p.reject("a record must be a JSON object")
		return
	}
	p.gen++
	gen := p.gen
	if r := p.object(p.top, gen); r != "" {
		p.reject(r)
		return
	}
	p.ws()
	if p.pos != len(p.b) {
		p.reject("unexpected data after the object")
		return
	}
	if r := fillMissing(p.top.all, gen); r != "" {
		p.pos = 0
		p.reject(r)
		return
	}
	p.cs.rows++
}

// fillMissing appends nulls to the columns an object did not set.
func fillMissing(cols []*column, gen uint64) string {
	for _, c := range cols {
		if c.gen == gen {
			continue
		}
		if !c.nullable() {
			return fmt.Sprintf("key %q: missing, and the column is not nullable", c.field.Name)
		}
		c.appendNull()
	}
	return ""
}

func (p *jsonParser) reject(reason string) {
	p.cs.rollback()
	br := badRecord{line: p.line, col: p.pos + 1, reason: reason, raw: clipRaw(p.b)}
	if p.policy == Reject {
		p.bad = append(p.bad, br)
		return
	}
	p.err = br.err(p.file)
}

// object parses the object at p.pos into obj's columns, marking each with
// gen. It returns why the line is bad, or "".
func (p *jsonParser) object(obj *jsonObject, gen uint64) string {
	p.pos++ // '{'
	p.ws()
	if p.peek() == '}' {
		p.pos++
		return ""
	}
	for {
		p.ws()
		if p.peek() != '"' {
			return "expected a key"
		}
		key, r := p.str()
		if r != "" {
			return r
		}
		p.ws()
		if p.peek() != ':' {
			return "expected ':' after a key"
		}
		p.pos++
		p.ws()
		t, found := obj.keys[string(key)]
		switch {
		case !found:
			if r := p.skip(0); r != "" {
				return r
			}
		case t.col != nil:
			c := t.col
			if c.gen == gen {
				return fmt.Sprintf("key %q: appears twice", c.field.Name)
			}
			c.gen = gen
			if r := p.value(c); r != "" {
				return fmt.Sprintf("key %q: %s", c.field.Name, r)
			}
		case p.peek() == '{':
			if r := p.object(t.obj, gen); r != "" {
				return r
			}
		case p.literal("null"):
		default:
			return fmt.Sprintf("key %q: want an object", key)
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return ""
		default:
			return "expected ',' or '}'"
		}
	}
}

// value parses one value into c.
func (p *jsonParser) value(c *column) string {
	if p.pos >= len(p.b) {
		return "unexpected end of line"
	}
	switch ch := p.b[p.pos]; ch {
	case 'n':
		if !p.literal("null") {
			return "invalid literal"
		}
		if !c.nullable() {
			return "null in a non-nullable column"
		}
		c.appendNull()
	case 't', 'f':
		v := ch == 't'
		if !p.literal("true") && !p.literal("false") {
			return "invalid literal"
		}
		if c.kind != kindBool {
			return p.wrongType(c, "a boolean")
		}
		c.appendBool(v)
	case '"':
		s, r := p.str()
		if r != "" {
			return r
		}
		switch c.kind {
		case kindString, kindBinary:
			c.appendBytes(s)
		case kindDate, kindTimestamp:
			if r := c.appendText(s, true, p.layout); r != "" {
				return r
			}
		default:
			return p.wrongType(c, "a string")
		}
	case '{':
		if c.kind != kindStruct {
			return p.wrongType(c, "an object")
		}
		p.gen++
		g := p.gen
		if r := p.object(c.obj, g); r != "" {
			return r
		}
		if r := fillMissing(c.child, g); r != "" {
			return r
		}
		c.done(true)
	case '[':
		if c.kind != kindList {
			return p.wrongType(c, "an array")
		}
		return p.list(c)
	default:
		return p.number(c)
	}
	return ""
}

func (p *jsonParser) list(c *column) string {
	p.pos++
	el := c.child[0]
	p.ws()
	if p.peek() == ']' {
		p.pos++
	} else {
		for {
			p.ws()
			if r := p.value(el); r != "" {
				return r
			}
			p.ws()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() == ']' {
				p.pos++
				break
			}
			return "expected ',' or ']'"
		}
	}
	c.offs = append(c.offs, int64(el.n))
	c.done(true)
	return ""
}

func (p *jsonParser) wrongType(c *column, got string) string {
	return fmt.Sprintf("want %s, got %s", c.field.Type, got)
}

// number scans a JSON number and appends it to c.
func (p *jsonParser) number(c *column) string {
	start := p.pos
	integer, ok := p.scanNumber()
	if !ok {
		return "invalid value"
	}
	text := p.b[start:p.pos]
	switch c.kind {
	case kindInt, kindTimestamp:
		v, ok := parseInt(text)
		if !integer || !ok || (c.kind == kindInt && !c.fitsInt(v)) {
			return fmt.Sprintf("want %s, got %s", c.field.Type, text)
		}
		c.appendI64(v)
	case kindUint:
		v, ok := parseUint(text)
		if !integer || !ok || !c.fitsUint(v) {
			return fmt.Sprintf("want %s, got %s", c.field.Type, text)
		}
		c.appendU64(v)
	case kindFloat:
		v, ok := parseFloat(text, c.bits)
		if !ok {
			return fmt.Sprintf("want %s, got %s", c.field.Type, text)
		}
		c.appendF64(v)
	default:
		return p.wrongType(c, "a number")
	}
	return ""
}

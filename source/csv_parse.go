package source

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// csvParser is a columnar RFC 4180 parser: it scans bytes straight into
// column builders, without a []string per record. Lines without a quote
// character take a fast path (one IndexByte per field); records with quotes,
// which may span lines, take a careful one. Bad records are rolled back and
// either reported (Fail) or collected (Reject).
type csvParser struct {
	file  string // for messages
	delim byte
	quote byte

	fields  []*column // per field position; nil skips the field
	names   []string  // per field position, for messages
	nf      int       // fields per record
	missing []*column // columns absent from the file: null in every row
	cs      *columnSet

	nulls     [][]byte // unquoted null markers
	emptyNull bool     // the empty unquoted field is null
	layout    string   // Go time layout for timestamps, or ISO 8601
	policy    BadRecordPolicy

	// collect, when set, receives every record's fields instead of the
	// columns (the header, inference samples); maxRows stops it early.
	collect func(rec []csvCell)
	cells   []csvCell
	maxRows int
	got     int

	line    int64 // line number where the next record starts
	utf8ok  bool  // the current buffer is valid UTF-8
	scratch []byte
	bad     []badRecord
	err     error
	done    bool
}

// csvCell is one field of a collected record.
type csvCell struct {
	text   string
	quoted bool
}

// blockSize is how much of a file the text readers parse at once.
const blockSize = 4 << 20

// run parses everything r yields.
func (p *csvParser) run(r io.Reader) error {
	return scanBlocks(r, p.parse, func() bool { return p.done })
}

// scanBlocks feeds r to parse in blocks of blockSize bytes (more when one
// record is longer), skipping a UTF-8 byte-order mark. parse consumes the
// complete records at the start of the buffer and says how many bytes they
// took; at eof it must consume everything. stop ends the scan early.
func scanBlocks(r io.Reader, parse func(buf []byte, eof bool) (int, error), stop func() bool) error {
	buf := make([]byte, 0, 64<<10) // grows to blockSize, more for long records
	bom := true
	for {
		if len(buf) == cap(buf) || cap(buf) < blockSize {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, rerr := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return rerr
		}
		start := 0
		if bom {
			if len(buf) < 3 && !eof {
				continue
			}
			if bytes.HasPrefix(buf, []byte("\xef\xbb\xbf")) {
				start = 3
			}
			bom = false
		}
		used, err := parse(buf[start:], eof)
		if err != nil || eof || stop() {
			return err
		}
		buf = buf[:copy(buf, buf[start+used:])]
	}
}

// parse consumes the complete records at the start of buf and reports how
// many bytes they took. At eof the last record needs no line break.
func (p *csvParser) parse(buf []byte, eof bool) (int, error) {
	p.utf8ok = utf8.Valid(buf)
	pos := 0
	for pos < len(buf) && !p.done {
		rest := buf[pos:]
		nl := bytes.IndexByte(rest, '\n')
		end, next := nl, nl+1
		if nl < 0 {
			if !eof {
				break
			}
			end, next = len(rest), len(rest)
		}
		line := rest[:end]
		if p.collect != nil || bytes.IndexByte(line, p.quote) >= 0 {
			n, ok := p.slowRecord(rest, eof)
			if !ok {
				break
			}
			pos += n
		} else {
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) > 0 {
				p.fastRecord(line)
			}
			p.line++
			pos += next
		}
		if p.err != nil {
			return pos, p.err
		}
		if p.cs != nil && p.cs.full() {
			if err := p.cs.flush(); err != nil {
				return pos, err
			}
		}
	}
	return pos, p.err
}

// fastRecord parses a line without quote characters.
func (p *csvParser) fastRecord(line []byte) {
	f, start := 0, 0
	for {
		i := bytes.IndexByte(line[start:], p.delim)
		end := len(line)
		if i >= 0 {
			end = start + i
		}
		if f < p.nf {
			if c := p.fields[f]; c != nil {
				if reason := p.put(c, line[start:end], false); reason != "" {
					p.reject(p.names[f], start+1, reason, line)
					return
				}
			}
		}
		f++
		if i < 0 {
			break
		}
		start = end + 1
	}
	p.endRecord(f, line)
}

// endRecord checks the field count and completes the row.
func (p *csvParser) endRecord(f int, raw []byte) {
	if f != p.nf {
		p.reject("", 0, fmt.Sprintf("record has %d fields, want %d", f, p.nf), raw)
		return
	}
	for _, c := range p.missing {
		c.appendNull()
	}
	p.cs.rows++
}

// put appends one field to its column, or returns why it cannot.
func (p *csvParser) put(c *column, b []byte, quoted bool) string {
	if !quoted && p.isNull(b) {
		if !c.nullable() {
			return "null value in a non-nullable column"
		}
		c.appendNull()
		return ""
	}
	return c.appendText(b, p.utf8ok, p.layout)
}

func (p *csvParser) isNull(b []byte) bool {
	if len(b) == 0 {
		return p.emptyNull
	}
	for _, m := range p.nulls {
		if bytes.Equal(b, m) {
			return true
		}
	}
	return false
}

// reject rolls back the current row and records a bad record at the line
// where it starts.
func (p *csvParser) reject(column string, col int, reason string, raw []byte) {
	if p.cs != nil {
		p.cs.rollback()
	}
	br := badRecord{line: p.line, column: column, col: col, reason: reason, raw: clipRaw(raw)}
	if p.policy == Reject {
		p.bad = append(p.bad, br)
		return
	}
	p.err = br.err(p.file)
}

// slowRecord parses one record that may hold quoted fields and span lines.
// It returns the bytes taken and false when buf ends before the record does
// (nothing is appended then).
func (p *csvParser) slowRecord(buf []byte, eof bool) (int, bool) {
	i, f := 0, 0
	lines, lineStart := int64(0), 0
	var badCol int
	badReason, badColumn := "", ""
	fail := func(column string, at int, reason string) {
		if badReason == "" {
			badColumn, badReason = column, reason
			badCol = at - lineStart + 1
		}
	}
	p.cells = p.cells[:0]
	for {
		fieldStart := i
		var val []byte
		quoted := false
		if i < len(buf) && buf[i] == p.quote {
			quoted = true
			i++
			p.scratch = p.scratch[:0]
			for {
				j := bytes.IndexByte(buf[i:], p.quote)
				if j < 0 {
					if !eof {
						return p.incomplete()
					}
					fail("", fieldStart, "unterminated quoted field")
					i = len(buf)
					break
				}
				seg := buf[i : i+j]
				if k := bytes.LastIndexByte(seg, '\n'); k >= 0 {
					lines += int64(bytes.Count(seg, []byte{'\n'}))
					lineStart = i + k + 1
				}
				p.scratch = append(p.scratch, seg...)
				i += j + 1
				if i < len(buf) && buf[i] == p.quote {
					p.scratch = append(p.scratch, p.quote)
					i++
					continue
				}
				if i == len(buf) && !eof {
					return p.incomplete()
				}
				break
			}
			val = p.scratch
		} else {
			j := indexDelimOrNL(buf[i:], p.delim)
			end := i + j
			if j < 0 {
				if !eof {
					return p.incomplete()
				}
				end = len(buf)
			}
			val = buf[i:end]
			if end < len(buf) && buf[end] == '\n' && len(val) > 0 && val[len(val)-1] == '\r' {
				val = val[:len(val)-1]
			} else if end == len(buf) && len(val) > 0 && val[len(val)-1] == '\r' {
				val = val[:len(val)-1]
			}
			if bytes.IndexByte(val, p.quote) >= 0 {
				fail(p.name(f), fieldStart, "bare quote in an unquoted field (quote the field and double the quote)")
			}
			i = end
		}
		if badReason == "" {
			if p.collect != nil {
				p.cells = append(p.cells, csvCell{text: string(val), quoted: quoted})
			} else if f < p.nf && p.fields[f] != nil {
				if reason := p.put(p.fields[f], val, quoted); reason != "" {
					fail(p.names[f], fieldStart, reason)
				}
			}
		}
		f++
		if i == len(buf) {
			break
		}
		c := buf[i]
		if c == p.delim {
			i++
			continue
		}
		if c == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			i++
			c = '\n'
		} else if c == '\r' && i+1 == len(buf) && !eof {
			return p.incomplete()
		}
		if c == '\n' {
			i++
			break
		}
		// Something follows a closing quote: skip to the end of the line.
		fail(p.name(f-1), i, fmt.Sprintf("unexpected %q after a closing quote", c))
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			if !eof {
				return p.incomplete()
			}
			i = len(buf)
		} else {
			i += j + 1
		}
		break
	}
	raw := buf[:i]
	blank := f == 1 && !quoted0(buf, p.quote) && len(bytes.TrimRight(raw, "\r\n")) == 0
	switch {
	case blank:
	case badReason != "":
		p.reject(badColumn, badCol, badReason, raw)
	case p.collect != nil:
		p.collect(p.cells)
		p.got++
		if p.maxRows > 0 && p.got >= p.maxRows {
			p.done = true
		}
	default:
		p.endRecord(f, raw)
	}
	p.line += 1 + lines
	return i, true
}

func quoted0(buf []byte, q byte) bool { return len(buf) > 0 && buf[0] == q }

// incomplete rolls back a record cut by the end of the buffer.
func (p *csvParser) incomplete() (int, bool) {
	if p.cs != nil {
		p.cs.rollback()
	}
	return 0, false
}

func (p *csvParser) name(f int) string {
	if f >= 0 && f < len(p.names) {
		return p.names[f]
	}
	return ""
}

// indexDelimOrNL returns the index of the first delim or '\n' in b, or -1.
func indexDelimOrNL(b []byte, delim byte) int {
	for i, c := range b {
		if c == delim || c == '\n' {
			return i
		}
	}
	return -1
}

package source

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// InferredSchema is what a CSV source records with each partition when it
// inferred its schema (manifest extra "inferred_schema").
type InferredSchema struct {
	// File is the sampled file.
	File string `json:"file"`
	// Rows is how many data rows were sampled.
	Rows int `json:"rows"`
	// Fields is the inferred schema.
	Fields []lineage.Field `json:"fields"`
}

// inferState tracks which types every sampled value of a column fits.
type inferState struct {
	seen                          bool
	isBool, isInt, isFloat, isDay bool
	isTime                        bool
}

func (st *inferState) add(v string, layout string) {
	b := []byte(v)
	if !st.seen {
		*st = inferState{seen: true, isBool: true, isInt: true, isFloat: true, isDay: true, isTime: true}
	}
	if st.isBool {
		st.isBool = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	}
	if st.isInt {
		_, st.isInt = parseInt(b)
	}
	if st.isFloat {
		_, st.isFloat = parseFloat(b, 64)
	}
	if st.isDay {
		_, st.isDay = parseDate(b)
	}
	if st.isTime {
		_, st.isTime = parseTimestamp(b, arrow.Microsecond, layout)
	}
}

func (st *inferState) typ() arrow.DataType {
	switch {
	case !st.seen:
		return arrow.BinaryTypes.String
	case st.isBool:
		return arrow.FixedWidthTypes.Boolean
	case st.isInt:
		return arrow.PrimitiveTypes.Int64
	case st.isFloat:
		return arrow.PrimitiveTypes.Float64
	case st.isDay:
		return arrow.FixedWidthTypes.Date32
	case st.isTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// inferCSV infers a schema from the first rows of file f.
func inferCSV(ctx context.Context, o *fileOptions, fsys *blobfs.FS, f fileRef) (*arrow.Schema, any, error) {
	name := fsys.Path(f.key)
	rows := o.cfg.InferRows
	if rows == 0 {
		rows = defaultInferRows
	}
	r, err := openFile(ctx, fsys, f.key)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	p := newCSVParser(o, name)
	var header []string
	var states []inferState
	sampled := 0
	p.maxRows = rows
	if !o.cfg.NoHeader {
		p.maxRows++
	}
	p.collect = func(rec []csvCell) {
		if header == nil && !o.cfg.NoHeader {
			header = make([]string, len(rec))
			for k, c := range rec {
				header[k] = c.text
			}
			return
		}
		sampled++
		for len(states) < len(rec) {
			states = append(states, inferState{})
		}
		for k, c := range rec {
			if !c.quoted && p.isNull([]byte(c.text)) {
				continue
			}
			states[k].add(c.text, o.cfg.TimeLayout)
		}
	}
	if err := p.run(r); err != nil {
		return nil, nil, fmt.Errorf("infer schema from %s: %w", name, err)
	}
	if o.cfg.NoHeader {
		for k := range states {
			header = append(header, "c"+strconv.Itoa(k+1))
		}
	}
	if len(header) == 0 {
		return nil, nil, fmt.Errorf("infer schema from %s: the file is empty (pass source.WithSchema)", name)
	}
	if len(states) > len(header) {
		return nil, nil, fmt.Errorf("%w: infer schema from %s: a sampled row has %d fields, the header %d", ErrBadRecord, name, len(states), len(header))
	}
	fields := make([]arrow.Field, len(header))
	rec := InferredSchema{File: name, Rows: sampled}
	seen := map[string]bool{}
	for k, h := range header {
		if h == "" {
			return nil, nil, fmt.Errorf("infer schema from %s: header column %d has no name", name, k+1)
		}
		if seen[h] {
			return nil, nil, fmt.Errorf("infer schema from %s: header column %q appears twice", name, h)
		}
		seen[h] = true
		st := inferState{}
		if k < len(states) {
			st = states[k]
		}
		fields[k] = arrow.Field{Name: h, Type: st.typ(), Nullable: true}
		typ, _ := digest.CanonicalType(fields[k].Type)
		rec.Fields = append(rec.Fields, lineage.Field{Name: h, Type: typ, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), rec, nil
}

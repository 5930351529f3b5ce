package feature_test

import (
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

func namesOf(t arrow.Table) string {
	s := t.Schema()
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return strings.Join(out, ", ")
}

func arrayNewTable(s *arrow.Schema, cols []arrow.Column, rows int64) arrow.Table {
	return array.NewTable(s, cols, rows)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

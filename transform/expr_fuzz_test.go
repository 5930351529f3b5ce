package transform

import (
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// FuzzExprJSON decodes arbitrary expression JSON, type-checks it against a
// fixed schema and evaluates what compiles: nothing may panic, and a
// compiled expression must produce its declared type.
func FuzzExprJSON(f *testing.F) {
	for _, e := range []Expr{
		Col("i").Add(Lit(1)).Gt(Col("f")),
		Case().When(Col("b"), Col("s").Lower()).Else(Lit("x")),
		Coalesce(Col("i"), Col("j"), Lit(nil)).Div(Lit(0)),
		Col("s").RegexpMatch("^a+$").Or(Col("s").Contains("p").Not()),
		Lit(3.5).Cast(arrow.PrimitiveTypes.Int8),
		Col("j").Mul(Lit(-9223372036854775808)),
	} {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	tbl := rlExprTable(f, 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Expr
		if json.Unmarshal(b, &e) != nil {
			return
		}
		tr := Derive("out", e)
		planned, err := tr.OutputSchema([]*arrow.Schema{tbl.Schema()})
		if err != nil {
			return
		}
		out, err := rlTry(t, tr, tbl)
		if err != nil {
			return // row errors (overflow, lossy casts) are fine
		}
		if !out.Schema().Equal(planned) {
			t.Fatalf("%s: output schema %s, planned %s", e, out.Schema(), planned)
		}
	})
}

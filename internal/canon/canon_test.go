package canon

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type windowA struct {
	Days    int               `json:"days"`
	Column  string            `json:"column"`
	Weights []float64         `json:"weights"`
	Labels  map[string]string `json:"labels,omitempty"`
	Skip    func()            `json:"-"`
}

// windowB has windowA's fields in another order.
type windowB struct {
	Labels  map[string]string `json:"labels,omitempty"`
	Weights []float64         `json:"weights"`
	Column  string            `json:"column"`
	Days    int               `json:"days"`
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := JSON(v)
	require.NoError(t, err)
	return string(b)
}

func TestKeyOrderIndependence(t *testing.T) {
	a := windowA{Days: 30, Column: "revenue", Weights: []float64{0.5, 1}, Labels: map[string]string{"z": "1", "a": "2", "m": "3"}}
	b := windowB{Days: 30, Column: "revenue", Weights: []float64{0.5, 1}, Labels: map[string]string{"m": "3", "a": "2", "z": "1"}}
	want := `{"column":"revenue","days":30,"labels":{"a":"2","m":"3","z":"1"},"weights":[0.5,1]}`
	assert.Equal(t, want, mustJSON(t, a))
	assert.Equal(t, want, mustJSON(t, b))
	assert.Equal(t, want, mustJSON(t, map[string]any{
		"weights": []any{0.5, 1}, "labels": map[string]any{"z": "1", "m": "3", "a": "2"}, "days": 30, "column": "revenue",
	}))
	ha, err := Hash(a)
	require.NoError(t, err)
	hb, err := Hash(b)
	require.NoError(t, err)
	assert.Equal(t, ha, hb)

	// Pre-encoded JSON with whitespace and another key order is normalized.
	raw := json.RawMessage(`{ "weights" : [0.5, 1], "days":30, "labels":{"m":"3","z":"1","a":"2"}, "column":"revenue" }`)
	assert.Equal(t, want, mustJSON(t, raw))
}

func TestNested(t *testing.T) {
	type inner struct {
		B []int `json:"b"`
		A *int  `json:"a"`
	}
	type outer struct {
		Z  []inner          `json:"z"`
		Y  map[string]inner `json:"y"`
		X  any              `json:"x"`
		Em struct{}         `json:"em"`
	}
	one := 1
	v := outer{
		Z: []inner{{B: []int{3, 2, 1}, A: &one}, {}},
		Y: map[string]inner{"k": {B: []int{}}},
		X: []any{map[string]any{"d": nil, "c": true}},
	}
	assert.Equal(t, `{"em":{},"x":[{"c":true,"d":null}],"y":{"k":{"a":null,"b":[]}},"z":[{"a":1,"b":[3,2,1]},{"a":null,"b":null}]}`, mustJSON(t, v))
}

func TestNumbers(t *testing.T) {
	assert.Equal(t, `[9223372036854775807,-9223372036854775808,18446744073709551615,0]`,
		mustJSON(t, []any{int64(math.MaxInt64), int64(math.MinInt64), uint64(math.MaxUint64), 0}))
	assert.Equal(t, `[0.1,1,1.5,-0,1e+21,1e-7,123456789.125,3.4028234663852886e+38]`,
		mustJSON(t, []float64{0.1, 1.0, 1.5, math.Copysign(0, -1), 1e21, 1e-7, 123456789.125, math.MaxFloat32}))
	assert.Equal(t, `[0.1]`, mustJSON(t, []float32{0.1}))
	// json.Number text is kept as written.
	assert.Equal(t, `[1.50,1E3]`, mustJSON(t, []json.Number{"1.50", "1E3"}))
}

func TestStrings(t *testing.T) {
	// HTML characters, U+2028 and U+2029 stay raw.
	assert.Equal(t, "\"<a href=\\\"x\\\">&amp;</a> é € 😀 \u2028\u2029\"",
		mustJSON(t, "<a href=\"x\">&amp;</a> é € 😀 \u2028\u2029"))
	assert.Equal(t, `"tab\tnl\ncr\rbs\\q\"\u0000\u001f\b\f`+"\x7f"+`"`,
		mustJSON(t, "tab\tnl\ncr\rbs\\q\"\x00\x1f\b\f\x7f"))
	assert.Equal(t, "\"\uFFFD\"", mustJSON(t, "\xff"), "invalid UTF-8 becomes U+FFFD")
	assert.Equal(t, `{"<&>":"é"}`, mustJSON(t, map[string]string{"<&>": "é"}))
	// Keys sort bytewise on UTF-8.
	assert.Equal(t, `{"B":1,"a":2,"é":3,"😀":4}`, mustJSON(t, map[string]int{"😀": 4, "é": 3, "a": 2, "B": 1}))
}

func TestNil(t *testing.T) {
	var m map[string]int
	var p *windowA
	for _, v := range []any{nil, m, p, []int(nil)} {
		assert.Equal(t, "null", mustJSON(t, v))
	}
}

func TestErrors(t *testing.T) {
	var uve *json.UnsupportedValueError
	var ute *json.UnsupportedTypeError
	for _, v := range []any{math.NaN(), math.Inf(1), []float64{1, math.Inf(-1)}, map[string]float32{"x": float32(math.NaN())}} {
		_, err := JSON(v)
		assert.ErrorAs(t, err, &uve, "%v", v)
		_, err = Hash(v)
		assert.Error(t, err)
	}
	for _, v := range []any{func() {}, make(chan int), complex(1, 2), map[string]any{"f": func() {}}} {
		_, err := JSON(v)
		assert.ErrorAs(t, err, &ute, "%T", v)
	}
	_, err := JSON(json.RawMessage(`{"a":`))
	assert.Error(t, err)
	type cyc struct{ Next *cyc }
	c := &cyc{}
	c.Next = c
	_, err = JSON(c)
	assert.Error(t, err)
}

// TestGolden pins the canonical form and the config hash.
//
// DO NOT CHANGE the expected values: config hashes are part of every
// fingerprint, so a change here silently invalidates every cached
// partition. A change in behavior needs a new Domain version instead.
func TestGolden(t *testing.T) {
	type Scaler struct {
		Columns  []string          `json:"columns"`
		Method   string            `json:"method"`
		Clip     *float64          `json:"clip,omitempty"`
		Params   map[string]any    `json:"params"`
		Tags     map[string]string `json:"tags"`
		MaxRows  int64             `json:"max_rows"`
		Enabled  bool              `json:"enabled"`
		Note     string            `json:"note"`
		internal int
	}
	clip := 3.5
	v := Scaler{
		Columns:  []string{"b", "a"},
		Method:   "z-score",
		Clip:     &clip,
		Params:   map[string]any{"ddof": 1, "eps": 1e-9, "nested": map[string]any{"y": []any{nil, false}, "x": "<x>"}},
		Tags:     map[string]string{"owner": "ml-team", "éq": "Ünï"},
		MaxRows:  math.MaxInt64,
		Enabled:  true,
		Note:     "a\tb & c",
		internal: 7,
	}
	const want = `{"clip":3.5,"columns":["b","a"],"enabled":true,"max_rows":9223372036854775807,"method":"z-score","note":"a\tb & c","params":{"ddof":1,"eps":1e-9,"nested":{"x":"<x>","y":[null,false]}},"tags":{"owner":"ml-team","éq":"Ünï"}}`
	assert.Equal(t, want, mustJSON(t, v))
	h, err := Hash(v)
	require.NoError(t, err)
	assert.Equal(t, digest.Bytes(append([]byte(Domain+"\x00"), want...)), h)
	assert.Equal(t, "blake3:9ef66855b877cb4037294f4044fe6b283fe3f6159703f2bd3a3bc4323d378481", h.String())
}

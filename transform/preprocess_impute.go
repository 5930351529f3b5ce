package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
	"github.com/kiln-data/kiln/internal/stats"
)

// Imputer fills missing values. Create one with ImputeMean, ImputeMedian,
// ImputeMode or ImputeConstant.
type Imputer struct {
	strategy string
	cols     []string
	value    any // for "constant"
}

// ImputeMean returns a preprocessor replacing missing values of numeric
// columns by their training mean. The columns become float64. Missing
// means null, and NaN in float columns (as in pandas); both are skipped
// when fitting and filled when applying. The mean sums fixed chunks in
// order, so it does not depend on chunking or GOMAXPROCS. A column with no
// non-missing values cannot be fitted.
func ImputeMean(cols ...string) *Imputer { return &Imputer{strategy: "mean", cols: cols} }

// ImputeMedian is ImputeMean with the exact median (the mean of the two
// middle values for an even count).
func ImputeMedian(cols ...string) *Imputer { return &Imputer{strategy: "median", cols: cols} }

// ImputeMode returns a preprocessor replacing missing values by the most
// frequent training value, keeping the column type (numbers, strings,
// booleans, timestamps, dates). Ties go to the smallest value.
func ImputeMode(cols ...string) *Imputer { return &Imputer{strategy: "mode", cols: cols} }

// ImputeConstant returns a preprocessor replacing missing values by value,
// which must convert exactly to each column's type (the type is kept).
// Fitting only checks the schema.
func ImputeConstant(value any, cols ...string) *Imputer {
	return &Imputer{strategy: "constant", cols: cols, value: value}
}

type imputerParams struct {
	Strategy string          `json:"strategy"`
	Columns  []imputerColumn `json:"columns"`
}

type imputerColumn struct {
	Name string `json:"name"`
	// Count is the number of non-missing training values (0 for constant).
	Count int64 `json:"count"`
	// Fill is the fill value as a literal expression node (type + text).
	Fill Expr `json:"fill"`
}

// Fit implements Preprocessor.
func (m *Imputer) Fit(ctx context.Context, t arrow.Table) (*Artifact, error) {
	kind := "imputer (" + m.strategy + ")"
	accept := prepNumeric
	if m.strategy == "mode" || m.strategy == "constant" {
		accept = func(f arrow.Field) string {
			if _, err := expr.ParseType(expr.TypeName(f.Type)); err != nil || f.Type.ID() == arrow.NULL {
				return fmt.Sprintf("has type %s, which cannot be imputed", f.Type)
			}
			return ""
		}
	}
	idx, err := prepColumns(kind, t.Schema(), m.cols, accept)
	if err != nil {
		return nil, err
	}
	params := imputerParams{Strategy: m.strategy}
	for k, i := range idx {
		f := t.Schema().Field(i)
		c := imputerColumn{Name: f.Name}
		switch m.strategy {
		case "mean":
			var fill float64
			c.Count, fill, err = imputeMean(ctx, t, i)
			c.Fill = Lit(fill)
		case "median":
			var fill float64
			c.Count, fill, err = imputeMedian(ctx, t, i)
			c.Fill = Lit(fill)
		case "mode":
			c.Count, c.Fill, err = imputeMode(ctx, t, i)
		case "constant":
			c.Fill = Lit(m.value).Cast(f.Type)
			if m.value == nil {
				err = fmt.Errorf("the constant is nil")
			} else if lit := Lit(m.value); lit.err != nil {
				err = lit.err
			} else if lt, _ := expr.ParseType(lit.n.Type); !expr.FillKind(lt, f.Type) {
				err = fmt.Errorf("a %s constant (%v) cannot fill a column of type %s", lit.n.Type, m.value, f.Type)
			} else if _, cerr := exprCompile(c.Fill, arrow.NewSchema(nil, nil)); cerr != nil {
				err = cerr
			} else {
				c.Fill, err = imputeFold(c.Fill)
			}
		default:
			err = fmt.Errorf("unknown strategy")
		}
		if err != nil {
			return nil, fmt.Errorf("%s column %q: %w", kind, m.cols[k], err)
		}
		params.Columns = append(params.Columns, c)
	}
	return newArtifact(kindImputer, "1", params)
}

// imputeFold reduces a constant expression to its literal value.
func imputeFold(e Expr) (Expr, error) {
	p, err := exprCompile(e, arrow.NewSchema(nil, nil))
	if err != nil {
		return Expr{}, err
	}
	a, err := p.Eval(expr.Batch{Rows: 1}, nil)
	if err != nil {
		return Expr{}, err
	}
	defer a.Release()
	return imputeLit(a, 0)
}

// imputeLit returns value i of a as a literal of a's type.
func imputeLit(a arrow.Array, i int) (Expr, error) {
	text, err := expr.ValueText(a, i)
	if err != nil {
		return Expr{}, err
	}
	return Expr{n: &expr.Node{Op: "lit", Type: expr.TypeName(a.DataType()), Value: &text}}, nil
}

func imputeMean(ctx context.Context, t arrow.Table, i int) (int64, float64, error) {
	n, sum, err := prepSum(ctx, t, i)
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("no non-missing values to fit")
	}
	return n, sum / float64(n), nil
}

// prepSum counts and sums the non-null, non-NaN values of numeric column i
// over fixed chunks, adding chunk sums in chunk order.
func prepSum(ctx context.Context, t arrow.Table, i int) (int64, float64, error) {
	parts, err := prepChunks(ctx, t, []int{i}, func(pieces []expr.Piece) (stats.Moments, error) {
		var m stats.Moments
		for _, pc := range pieces {
			x, valid, err := expr.Float64s(pc.Cols[i])
			if err != nil {
				return m, err
			}
			for j, v := range x {
				if v == v && expr.Valid(valid, j) {
					m.N++
					m.Sum += v
				}
			}
		}
		return m, nil
	})
	if err != nil {
		return 0, 0, err
	}
	var total stats.Moments
	for _, p := range parts {
		total.N += p.N
		total.Sum += p.Sum
	}
	return total.N, total.Sum, nil
}

// imputeValues collects the non-missing values of a numeric column.
func imputeValues(ctx context.Context, t arrow.Table, i int) ([]float64, error) {
	parts, err := prepChunks(ctx, t, []int{i}, func(pieces []expr.Piece) ([]float64, error) {
		var out []float64
		for _, pc := range pieces {
			x, valid, err := expr.Float64s(pc.Cols[i])
			if err != nil {
				return nil, err
			}
			for j, v := range x {
				if v == v && expr.Valid(valid, j) {
					out = append(out, v)
				}
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

func imputeMedian(ctx context.Context, t arrow.Table, i int) (int64, float64, error) {
	v, err := imputeValues(ctx, t, i)
	if err != nil {
		return 0, 0, err
	}
	if len(v) == 0 {
		return 0, 0, fmt.Errorf("no non-missing values to fit")
	}
	slices.Sort(v)
	return int64(len(v)), prepQuantile(v, 0.5), nil
}

// prepQuantile returns the q-quantile of sorted values with linear
// interpolation between the closest ranks (NumPy's default "linear").
func prepQuantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	a, b := sorted[lo], sorted[lo+1]
	if frac == 0 || a == b {
		return a
	}
	return a + (b-a)*frac
}

// imputeMode finds the most frequent non-missing value (ties: smallest).
func imputeMode(ctx context.Context, t arrow.Table, i int) (int64, Expr, error) {
	counts, err := prepCount(ctx, t, i)
	if err != nil {
		return 0, Expr{}, err
	}
	if len(counts.keys) == 0 {
		return 0, Expr{}, fmt.Errorf("no non-missing values to fit")
	}
	v, err := expr.KeyValue([]byte(counts.keys[counts.mode()]), t.Schema().Field(i).Type)
	if err != nil {
		return 0, Expr{}, err
	}
	defer v.Release()
	lit, err := imputeLit(v, 0)
	return counts.total(), lit, err
}

func decodeImputer(version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p imputerParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	m := &prepModel{}
	for _, c := range p.Columns {
		if c.Fill.n == nil || c.Fill.n.Op != "lit" {
			return nil, fmt.Errorf("column %q: the fill value is not a literal", c.Name)
		}
		fill, err := expr.LitArray(c.Fill.n)
		if err != nil {
			return nil, fmt.Errorf("column %q: %v", c.Name, err)
		}
		if fill.IsNull(0) {
			return nil, fmt.Errorf("column %q: the fill value is null", c.Name)
		}
		m.steps = append(m.steps, imputeStep(c.Name, p.Strategy, fill))
	}
	return m, nil
}

// imputeStep fills nulls (and NaN in floats) of one column with fill.
func imputeStep(col, strategy string, fill arrow.Array) prepStep {
	ft := fill.DataType()
	toFloat := strategy == "mean" || strategy == "median"
	out := func(f arrow.Field) arrow.DataType {
		if toFloat {
			return arrow.PrimitiveTypes.Float64
		}
		return f.Type
	}
	return prepStep{
		col: col,
		check: func(f arrow.Field) string {
			if toFloat {
				return prepNumeric(f)
			}
			if !arrow.TypeEqual(f.Type, ft) {
				return fmt.Sprintf("has type %s, but the artifact was fitted on %s", f.Type, ft)
			}
			return ""
		},
		fields: func(f arrow.Field) []arrow.Field {
			return []arrow.Field{{Name: f.Name, Type: out(f), Nullable: false, Metadata: f.Metadata}}
		},
		apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
			out, err := imputeFill(a, fill, toFloat)
			if err != nil {
				return nil, err
			}
			return []arrow.Array{out}, nil
		},
	}
}

// imputeFill replaces nulls (and NaN in floats) of a with fill's value;
// with toFloat the result is float64.
func imputeFill(a, fill arrow.Array, toFloat bool) (arrow.Array, error) {
	if !toFloat {
		return expr.FillMissing(a, fill)
	}
	x, valid, err := expr.Float64s(a)
	if err != nil {
		return nil, err
	}
	fv, _, err := expr.Float64s(fill)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	for i, v := range x {
		if v != v || !expr.Valid(valid, i) {
			v = fv[0]
		}
		out[i] = v
	}
	return expr.NewFloat64(out, nil), nil
}

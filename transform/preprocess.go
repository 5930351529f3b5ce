package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
	"github.com/kiln-data/kiln/internal/par"
)

// Preprocessor is a preprocessing step that learns its parameters from
// training data: StandardScaler, MinMaxScaler, ImputeMean, ImputeMedian,
// ImputeMode, ImputeConstant, OneHot, Ordinal, TargetEncode, Bucketize,
// QuantileBuckets and HashBuckets. Fit returns the parameters as an
// Artifact; Apply(artifact) is the kiln.Transform that uses them, built
// from the artifact alone, so training and serving transform identically:
//
//	art, err := transform.StandardScaler("amount", "age").Fit(ctx, train)
//	// store art (JSON) with the model; then, offline and online alike:
//	p.Transform("gold.features_scaled", transform.Apply(art), features)
//	rec, err := transform.Apply(art).ApplyRecord(ctx, oneRow)
//
// Fitting is deterministic: sums run over fixed chunks of the data
// (par.ChunkRows rows) combined in chunk order, and categories are
// sorted, so the same table gives the same artifact bit for bit whatever
// its chunking or GOMAXPROCS. Applying replaces each fitted column in
// place (one-hot replaces it with one column per category) and keeps the
// row order.
//
// Nulls pass through as nulls everywhere except in imputers (which exist
// to fill them). For float columns NaN is treated like null when fitting
// (skipped) and, by imputers, when applying (filled); scalers map NaN to
// NaN.
type Preprocessor interface {
	// Fit learns the parameters from t and returns them as an artifact.
	// The same table gives the same artifact, bit for bit.
	Fit(ctx context.Context, t arrow.Table) (*Artifact, error)
}

// prepStep applies a fitted model to one input column, replacing it with
// one or more output columns.
type prepStep struct {
	col string
	// check returns a problem with the input field ("" when fine).
	check func(f arrow.Field) string
	// fields returns the output fields replacing the input field.
	fields func(f arrow.Field) []arrow.Field
	// apply computes the output arrays from a piece of the input column.
	apply func(a arrow.Array, rowBase int64) ([]arrow.Array, error)
}

// prepModel is a decoded artifact.
type prepModel struct {
	steps []prepStep
}

// prepKinds decodes the params of each artifact kind.
var prepKinds = map[string]func(version string, params json.RawMessage) (*prepModel, error){
	kindStandardScaler: decodeScaler,
	kindMinMaxScaler:   decodeScaler,
	kindImputer:        decodeImputer,
	kindOneHot:         decodeOneHot,
	kindOrdinal:        decodeOrdinal,
	kindTargetEncoder:  decodeTargetEncoder,
	kindBucketize:      decodeBucketizer,
	kindHashBuckets:    decodeHasher,
}

func prepDecode(a *Artifact) (*prepModel, error) {
	dec, ok := prepKinds[a.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrArtifact, a.Kind)
	}
	m, err := dec(a.Version, a.Params)
	if err != nil {
		return nil, fmt.Errorf("%w: %s version %s: %v", ErrArtifact, a.Kind, a.Version, err)
	}
	return m, nil
}

// prepVersion checks an artifact version.
func prepVersion(got, want string) error {
	if got != want {
		return fmt.Errorf("unsupported version %q (this build reads %q)", got, want)
	}
	return nil
}

// prepUnmarshal decodes params strictly.
func prepUnmarshal(params json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Applied applies a fitted artifact. Create one with Apply. It is safe for
// concurrent use.
type Applied struct {
	art   *Artifact
	model *prepModel
	err   error
}

// Apply returns the transform applying artifact a. It uses nothing but a:
// its spec carries the artifact's kind, version and hash, so the
// fingerprint changes whenever the fit does. An artifact whose hash does
// not match its content, or that does not decode, makes planning fail with
// ErrArtifact.
func Apply(a *Artifact) *Applied {
	if err := a.Verify(); err != nil {
		return &Applied{art: a, err: err}
	}
	m, err := prepDecode(a)
	return &Applied{art: a, model: m, err: err}
}

// Artifact returns the applied artifact.
func (p *Applied) Artifact() *Artifact { return p.art }

type applyConfig struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
	Hash    string `json:"hash"`
}

// Spec implements kiln.Transform. The name is "transform.apply".
func (p *Applied) Spec() kiln.Spec {
	var c applyConfig
	if p.art != nil {
		c = applyConfig{Kind: p.art.Kind, Version: p.art.Version, Hash: p.art.Hash}
	}
	return spec("apply", "1", c)
}

// plan returns the output schema and, per step, the input column index.
func (p *Applied) plan(s *arrow.Schema) (*arrow.Schema, []int, error) {
	if p.err != nil {
		return nil, nil, fmt.Errorf("transform.apply: %w", p.err)
	}
	at := make([]int, len(p.model.steps))
	byCol := map[int]int{}
	for k, st := range p.model.steps {
		i, f, err := field(s, 0, st.col)
		if err != nil {
			return nil, nil, fmt.Errorf("transform.apply %s: %w", p.art.Kind, err)
		}
		if problem := st.check(f); problem != "" {
			return nil, nil, fmt.Errorf("transform.apply %s: %w", p.art.Kind, &kiln.SchemaError{Column: st.col, Problem: problem})
		}
		at[k] = i
		byCol[i] = k
	}
	var fields []arrow.Field
	for i, f := range s.Fields() {
		if k, ok := byCol[i]; ok {
			fields = append(fields, p.model.steps[k].fields(f)...)
		} else {
			fields = append(fields, f)
		}
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			return nil, nil, fmt.Errorf("transform.apply %s: %w", p.art.Kind, &kiln.SchemaError{Column: f.Name, Problem: "two output columns would have this name"})
		}
		seen[f.Name] = true
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), at, nil
}

// OutputSchema implements kiln.Transform.
func (p *Applied) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("apply", in); err != nil {
		return nil, err
	}
	out, _, err := p.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (p *Applied) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("apply", in); err != nil {
		return nil, err
	}
	t := in[0]
	out, at, err := p.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	results, err := exprPieces(ctx, t, at, func(pc expr.Piece) ([]arrow.Array, error) {
		var arrs []arrow.Array
		for k, st := range p.model.steps {
			r, err := st.apply(pc.Cols[at[k]], pc.Lo)
			if err != nil {
				return nil, fmt.Errorf("transform.apply %s column %q: %w", p.art.Kind, st.col, err)
			}
			arrs = append(arrs, r...)
		}
		return arrs, nil
	})
	if err != nil {
		return nil, err
	}
	defer exprReleaseAll(results)
	cols := make([]*arrow.Chunked, 0, out.NumFields())
	p.assemble(t.Schema(), at, func(i int) {
		cols = append(cols, exprRetained(t, i))
	}, func(k int) {
		cols = append(cols, exprColumn(out.Field(len(cols)).Type, results, k))
	})
	return exprTable(out, cols, t.NumRows()), nil
}

// assemble walks the output columns in order, calling keep(i) for an input
// column passed through and made(k) for output number k of the steps.
func (p *Applied) assemble(s *arrow.Schema, at []int, keep func(i int), made func(k int)) {
	first := make([]int, len(p.model.steps)) // index of a step's first output
	k := 0
	for j, st := range p.model.steps {
		first[j] = k
		k += len(st.fields(s.Field(at[j])))
	}
	for i := range s.NumFields() {
		j := slices.Index(at, i)
		if j < 0 {
			keep(i)
			continue
		}
		for o := range len(p.model.steps[j].fields(s.Field(i))) {
			made(first[j] + o)
		}
	}
}

// ApplyRecord applies the artifact to one record batch (a few rows, as in
// online serving) and returns the result, which the caller must release.
// It computes exactly what Apply computes for the same rows.
func (p *Applied) ApplyRecord(ctx context.Context, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, at, err := p.plan(rec.Schema())
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	for k, st := range p.model.steps {
		r, err := st.apply(rec.Column(at[k]), 0)
		if err != nil {
			return nil, fmt.Errorf("transform.apply %s column %q: %w", p.art.Kind, st.col, err)
		}
		made = append(made, r...)
	}
	cols := make([]arrow.Array, 0, out.NumFields())
	p.assemble(rec.Schema(), at, func(i int) {
		cols = append(cols, rec.Column(i))
	}, func(k int) {
		cols = append(cols, made[k])
	})
	return array.NewRecordBatch(out, cols, rec.NumRows()), nil
}

// ColumnLineage implements kiln.ColumnLineager: each output of a fitted
// column comes from it (TRANSFORMATION); other columns are themselves.
func (p *Applied) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("apply", in); err != nil {
		return nil, err
	}
	_, at, err := p.plan(in[0])
	if err != nil {
		return nil, err
	}
	out := map[string][]kiln.ColumnRef{}
	for i, f := range in[0].Fields() {
		j := slices.Index(at, i)
		if j < 0 {
			out[f.Name] = exprRefs([]string{f.Name}, "DIRECT", "IDENTITY")
			continue
		}
		for _, of := range p.model.steps[j].fields(f) {
			out[of.Name] = exprRefs([]string{f.Name}, "DIRECT", "TRANSFORMATION")
		}
	}
	return out, nil
}

// prepChunks folds the columns cols of t over fixed chunks of par.ChunkRows
// rows, in parallel, and returns the per-chunk partial results in chunk
// order: fn gets a chunk's pieces in row order. Combine the partials in
// order for a result independent of chunking and GOMAXPROCS.
func prepChunks[S any](ctx context.Context, t arrow.Table, cols []int, fn func(pieces []expr.Piece) (S, error)) ([]S, error) {
	pieces := expr.Split(t, cols, par.ChunkRows)
	defer expr.Release(pieces)
	return expr.Map(ctx, expr.Groups(pieces, par.ChunkRows), fn)
}

// prepColumns checks the columns a preprocessor fits: present, listed
// once, and accepted by ok (which returns a problem or "").
func prepColumns(kind string, s *arrow.Schema, cols []string, ok func(f arrow.Field) string) ([]int, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("%s: no columns", kind)
	}
	seen := map[string]bool{}
	idx := make([]int, len(cols))
	for k, c := range cols {
		if seen[c] {
			return nil, fmt.Errorf("%s: column %q listed twice", kind, c)
		}
		seen[c] = true
		i, f, err := field(s, 0, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		if problem := ok(f); problem != "" {
			return nil, fmt.Errorf("%s: %w", kind, &kiln.SchemaError{Column: c, Problem: problem})
		}
		idx[k] = i
	}
	return idx, nil
}

// prepNumeric accepts numeric columns.
func prepNumeric(f arrow.Field) string {
	if !expr.IsNumber(f.Type) {
		return fmt.Sprintf("has type %s, want a number", f.Type)
	}
	return ""
}

// prepCategorical accepts string and integer columns.
func prepCategorical(f arrow.Field) string {
	if _, ok := expr.IsCategorical(f.Type); !ok {
		return fmt.Sprintf("has type %s, want strings or integers", f.Type)
	}
	return ""
}

// prepSameKind accepts a column of the categorical kind fitted.
func prepSameKind(kind string) func(f arrow.Field) string {
	return func(f arrow.Field) string {
		k, ok := expr.IsCategorical(f.Type)
		if !ok || k != kind {
			want := "strings"
			if kind == "int64" {
				want = "integers"
			}
			return fmt.Sprintf("has type %s, but the artifact was fitted on %s", f.Type, want)
		}
		return ""
	}
}

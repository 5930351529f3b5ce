package expr

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// The kernels here are compared with arrow-go's compute kernels on one
// 64Ki-row chunk, the unit Filter and Derive evaluate.

func benchColumns() (arrow.Array, arrow.Array, *arrow.Schema) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 1 << 16
	x := make([]float64, n)
	valid := allBits(n)
	for i := range x {
		x[i] = r.Float64() * 100
		if r.IntN(10) == 0 {
			clearBit(valid, i)
		}
	}
	a := makeFixed(f64, x, valid)
	b := makeFixed(f64, append([]float64(nil), x...), nil)
	s := arrow.NewSchema([]arrow.Field{{Name: "x", Type: f64, Nullable: true}, {Name: "y", Type: f64}}, nil)
	return a, b, s
}

func BenchmarkKilnMulAdd(b *testing.B) {
	x, y, s := benchColumns()
	p, err := Compile(&Node{Op: "add", Args: []*Node{{Op: "mul", Args: []*Node{{Op: "col", Name: "x"}, {Op: "lit", Type: "float64", Value: strp("1.1")}}}, {Op: "col", Name: "y"}}}, s)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := p.Eval(Batch{Rows: x.Len(), Cols: []arrow.Array{x, y}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func BenchmarkComputeMulAdd(b *testing.B) {
	x, y, _ := benchColumns()
	ctx := context.Background()
	k := compute.NewDatum(scalar.NewFloat64Scalar(1.1))
	for b.Loop() {
		m, err := compute.Multiply(ctx, compute.ArithmeticOptions{}, compute.NewDatum(x), k)
		if err != nil {
			b.Fatal(err)
		}
		out, err := compute.Add(ctx, compute.ArithmeticOptions{}, m, compute.NewDatum(y))
		if err != nil {
			b.Fatal(err)
		}
		m.Release()
		out.Release()
	}
}

func BenchmarkKilnGreater(b *testing.B) {
	x, _, s := benchColumns()
	p, err := Compile(&Node{Op: "gt", Args: []*Node{{Op: "col", Name: "x"}, {Op: "lit", Type: "float64", Value: strp("50")}}}, s)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := p.Eval(Batch{Rows: x.Len(), Cols: []arrow.Array{x, nil}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func BenchmarkComputeGreater(b *testing.B) {
	x, _, _ := benchColumns()
	ctx := context.Background()
	k := compute.NewDatum(scalar.NewFloat64Scalar(50))
	for b.Loop() {
		out, err := compute.CallFunction(ctx, "greater", nil, compute.NewDatum(x), k)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

func BenchmarkKilnFilter(b *testing.B) {
	x, y, s := benchColumns()
	p, _ := Compile(&Node{Op: "gt", Args: []*Node{{Op: "col", Name: "y"}, {Op: "lit", Type: "float64", Value: strp("10")}}}, s)
	m, _ := p.Eval(Batch{Rows: x.Len(), Cols: []arrow.Array{x, y}}, nil)
	ctx := context.Background()
	for b.Loop() {
		sel := Select(m)
		for _, a := range []arrow.Array{x, y} {
			out, err := sel.Take(ctx, a)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	}
}

func BenchmarkComputeFilter(b *testing.B) {
	x, y, s := benchColumns()
	p, _ := Compile(&Node{Op: "gt", Args: []*Node{{Op: "col", Name: "y"}, {Op: "lit", Type: "float64", Value: strp("10")}}}, s)
	m, _ := p.Eval(Batch{Rows: x.Len(), Cols: []arrow.Array{x, y}}, nil)
	ctx := context.Background()
	for b.Loop() {
		for _, a := range []arrow.Array{x, y} {
			out, err := compute.FilterArray(ctx, a, m, compute.FilterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	}
}

// Package transformtest golden-tests transforms, built-in or your own, in one
// line:
//
//	func TestRolling(t *testing.T) {
//		transformtest.Golden(t, rolling.With(cfg), []arrow.Table{events}, "testdata/rolling")
//	}
//
// The first run with -update writes testdata/rolling.golden: the transform's
// name, version and config, the output's content hash, schema and rows in a
// readable form. Later runs compare the output's content hash with the file.
// When the output changed but the transform's version did not, the test
// fails with "bump the version": a changed output under an unchanged version
// would let kiln reuse stale cached partitions. After bumping, rerun with
// -update to accept the new output.
package transformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/canon"
	"github.com/kiln-data/kiln/internal/digest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Option configures Golden.
type Option func(*options)

type options struct {
	part kiln.Partition
	node string
}

// AtPartition runs the transform as if for partition p (it sets the
// Context's partition and logical time). The default is kiln.All.
func AtPartition(p kiln.Partition) Option { return func(o *options) { o.part = p } }

// Golden applies tr to inputs and compares the output with the golden file
// path+".golden", rewriting it when the test runs with -update. It also
// checks the output against tr's declared output schema.
func Golden(t testing.TB, tr kiln.Transform, inputs []arrow.Table, path string, opts ...Option) {
	t.Helper()
	o := options{part: kiln.All, node: "golden"}
	for _, f := range opts {
		f(&o)
	}
	got, err := Render(tr, inputs, o.part)
	if err != nil {
		t.Fatalf("transformtest: %v", err)
	}
	file := path + ".golden"
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatalf("transformtest: %v", err)
		}
		if err := os.WriteFile(file, got.Bytes(), 0o644); err != nil {
			t.Fatalf("transformtest: %v", err)
		}
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("transformtest: %v (run the test with -update to create it)", err)
	}
	want, err := parse(b)
	if err != nil {
		t.Fatalf("transformtest: %s: %v", file, err)
	}
	if want.Content == got.Content {
		if want.Name != got.Name || want.Version != got.Version || want.Config != got.Config {
			t.Errorf("transformtest: %s: output unchanged but the file names %s %s config %s, the transform is %s %s config %s: rerun with -update",
				file, want.Name, want.Version, want.Config, got.Name, got.Version, got.Config)
		}
		return
	}
	diff := firstDiff(want.Body, got.Body)
	if want.Name == got.Name && want.Version == got.Version && want.Config == got.Config {
		t.Errorf("transformtest: %s: the output of %s changed but its version %q did not: bump the version, then rerun with -update to accept the new output\n%s",
			file, got.Name, got.Version, diff)
		return
	}
	t.Errorf("transformtest: %s: output changed (%s %s -> %s %s); rerun with -update to accept it\n%s",
		file, want.Name, want.Version, got.Name, got.Version, diff)
}

// Result is a rendered golden file.
type Result struct {
	// Name, Version and Config identify the transform.
	Name, Version, Config string
	// Content is the output's content hash.
	Content string
	// Body is the readable schema and rows.
	Body string
}

// Bytes returns the golden file content.
func (r Result) Bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# kiln golden file: rewrite with go test -update\n")
	fmt.Fprintf(&b, "transform: %s\nversion: %s\nconfig: %s\ncontent: %s\n", r.Name, r.Version, r.Config, r.Content)
	b.WriteString(r.Body)
	return b.Bytes()
}

// Render applies tr to inputs as Golden does and returns the golden file it
// would write.
func Render(tr kiln.Transform, inputs []arrow.Table, p kiln.Partition) (Result, error) {
	spec := tr.Spec()
	cfg, err := canon.JSON(spec.Config)
	if err != nil {
		return Result{}, fmt.Errorf("config of %s: %w", spec.Name, err)
	}
	schemas := make([]*arrow.Schema, len(inputs))
	for i, in := range inputs {
		schemas[i] = in.Schema()
	}
	planned, err := tr.OutputSchema(schemas)
	if err != nil {
		return Result{}, fmt.Errorf("%s output schema: %w", spec.Name, err)
	}
	out, err := tr.Apply(kiln.NewContext(context.Background(), "golden", p), inputs)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", spec.Name, err)
	}
	if !planned.Equal(out.Schema()) {
		return Result{}, fmt.Errorf("%s: output schema %s differs from its declared schema %s", spec.Name, out.Schema(), planned)
	}
	sum, err := digest.Table(out)
	if err != nil {
		return Result{}, err
	}
	body, err := renderTable(out)
	if err != nil {
		return Result{}, err
	}
	return Result{Name: spec.Name, Version: spec.Version, Config: string(cfg), Content: sum.String(), Body: body}, nil
}

// renderTable writes the schema and one JSON object per row.
func renderTable(t arrow.Table) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "rows: %d\nschema:\n", t.NumRows())
	for _, f := range t.Schema().Fields() {
		typ, err := digest.CanonicalType(f.Type)
		if err != nil {
			typ = f.Type.String()
		}
		fmt.Fprintf(&b, "  %s %s", f.Name, typ)
		if f.Nullable {
			b.WriteString(" nullable")
		}
		b.WriteString("\n")
	}
	b.WriteString("data:\n")
	cols := make([][]arrow.Array, t.NumCols())
	for i := range cols {
		cols[i] = t.Column(i).Data().Chunks()
	}
	pos := make([][2]int, t.NumCols()) // chunk, index
	for range t.NumRows() {
		b.WriteString("  {")
		for c := range cols {
			for pos[c][1] >= cols[c][pos[c][0]].Len() {
				pos[c] = [2]int{pos[c][0] + 1, 0}
			}
			v := cols[c][pos[c][0]].GetOneForMarshal(pos[c][1])
			pos[c][1]++
			jv, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("render column %s: %w", t.Schema().Field(c).Name, err)
			}
			if c > 0 {
				b.WriteString(", ")
			}
			name, _ := json.Marshal(t.Schema().Field(c).Name)
			b.Write(name)
			b.WriteString(": ")
			b.Write(jv)
		}
		b.WriteString("}\n")
	}
	return b.String(), nil
}

func parse(b []byte) (Result, error) {
	var r Result
	rest := string(b)
	for _, key := range []string{"#", "transform: ", "version: ", "config: ", "content: "} {
		line, tail, ok := strings.Cut(rest, "\n")
		if !ok || !strings.HasPrefix(line, key) {
			return r, fmt.Errorf("malformed golden file: want a %q line (rerun with -update)", strings.TrimSpace(key))
		}
		v := strings.TrimPrefix(line, key)
		switch key {
		case "transform: ":
			r.Name = v
		case "version: ":
			r.Version = v
		case "config: ":
			r.Config = v
		case "content: ":
			r.Content = v
		}
		rest = tail
	}
	r.Body = rest
	return r, nil
}

// firstDiff shows the first differing line of two renderings.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("first difference at line %d of the body:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "the bodies are equal; only the content hash differs (a difference the readable form does not show, e.g. NaN payloads or -0)"
}

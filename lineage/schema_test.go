package lineage_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// olSchemas validates events against the OpenLineage schemas in
// testdata/openlineage, loaded under their $id URLs (no network).
type olSchemas struct {
	core   *jsonschema.Schema
	facets map[string]*jsonschema.Schema // by file URL
	props  map[string][]string           // facet names each file defines
}

var (
	schemasOnce sync.Once
	schemas     *olSchemas
	schemasErr  error
)

func loadSchemas(t testing.TB) *olSchemas {
	t.Helper()
	schemasOnce.Do(func() { schemas, schemasErr = compileSchemas() })
	require.NoError(t, schemasErr)
	return schemas
}

func compileSchemas() (*olSchemas, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "openlineage", "*.json"))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(noNetwork{})
	s := &olSchemas{facets: map[string]*jsonschema.Schema{}, props: map[string][]string{}}
	var ids []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		m := doc.(map[string]any)
		id := m["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			return nil, err
		}
		ids = append(ids, id)
		if props, ok := m["properties"].(map[string]any); ok {
			for k := range props {
				s.props[id] = append(s.props[id], k)
			}
		}
	}
	for _, id := range ids {
		sch, err := c.Compile(id)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(id, "/OpenLineage.json") {
			s.core = sch
		} else {
			s.facets[id] = sch
		}
	}
	return s, nil
}

// noNetwork refuses every URL the resources do not cover.
type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, &os.PathError{Op: "load", Path: url, Err: os.ErrNotExist}
}

// validate checks one event against the core schema and each facet against
// the schema its _schemaURL names.
func (s *olSchemas) validate(t testing.TB, line []byte) {
	t.Helper()
	require.NoError(t, s.check(line), "event %s", line)
}

// check validates one event against the core schema and each facet against
// the schema its _schemaURL names, which must be one of testdata's and
// define a facet of that name.
func (s *olSchemas) check(line []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return err
	}
	if err := s.core.Validate(doc); err != nil {
		return err
	}
	ev := doc.(map[string]any)
	var errs []error
	facets := func(where string, facets any) {
		m, _ := facets.(map[string]any)
		for name, f := range m {
			url, _ := f.(map[string]any)["_schemaURL"].(string)
			file, _, _ := strings.Cut(url, "#")
			sch, ok := s.facets[file]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s facet %s: schema %q is not in testdata", where, name, url))
			case !slices.Contains(s.props[file], name):
				errs = append(errs, fmt.Errorf("%s facet %s: %s defines %v", where, name, file, s.props[file]))
			default:
				if err := sch.Validate(map[string]any{name: f}); err != nil {
					errs = append(errs, fmt.Errorf("%s facet %s: %w", where, name, err))
				}
			}
		}
	}
	facets("run", ev["run"].(map[string]any)["facets"])
	facets("job", ev["job"].(map[string]any)["facets"])
	for _, side := range []string{"inputs", "outputs"} {
		ds, _ := ev[side].([]any)
		for _, d := range ds {
			dm := d.(map[string]any)
			facets(side, dm["facets"])
			facets(side, dm["inputFacets"])
			facets(side, dm["outputFacets"])
		}
	}
	return errors.Join(errs...)
}

// event is the part of an emitted event the tests look at.
type event struct {
	EventType string `json:"eventType"`
	Run       struct {
		RunID  string                     `json:"runId"`
		Facets map[string]json.RawMessage `json:"facets"`
	} `json:"run"`
	Job struct {
		Name string `json:"name"`
	} `json:"job"`
	Inputs []struct {
		Name   string                     `json:"name"`
		Facets map[string]json.RawMessage `json:"facets"`
	} `json:"inputs"`
	Outputs []struct {
		Name         string                     `json:"name"`
		Facets       map[string]json.RawMessage `json:"facets"`
		OutputFacets map[string]json.RawMessage `json:"outputFacets"`
	} `json:"outputs"`
	raw []byte
}

// readEvents reads an NDJSON events file, validating every line.
func readEvents(t testing.TB, path string) []event {
	t.Helper()
	s := loadSchemas(t)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := slices.Clone(sc.Bytes())
		s.validate(t, line)
		var ev event
		require.NoError(t, json.Unmarshal(line, &ev))
		ev.raw = line
		out = append(out, ev)
	}
	require.NoError(t, sc.Err())
	return out
}

// checkPairs asserts that every run has one START first and then exactly
// one terminal event, and returns the terminal event type by run id.
func checkPairs(t testing.TB, evs []event) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, ev := range evs {
		switch ev.EventType {
		case "START":
			require.NotContains(t, state, ev.Run.RunID, "second START for %s", ev.Job.Name)
			state[ev.Run.RunID] = "START"
		case "COMPLETE", "FAIL", "ABORT":
			require.Equal(t, "START", state[ev.Run.RunID], "%s for %s without a START or after a terminal event", ev.EventType, ev.Job.Name)
			state[ev.Run.RunID] = ev.EventType
		default:
			t.Fatalf("unexpected event type %s", ev.EventType)
		}
	}
	for id, s := range state {
		require.NotEqual(t, "START", s, "run %s has no terminal event", id)
	}
	return state
}

package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/kiln-data/kiln/internal/canon"
)

// ErrArtifact reports an artifact that cannot be used: malformed JSON, a
// hash that does not match its content, an unknown kind or version, or
// parameters that do not decode.
var ErrArtifact = errors.New("invalid preprocessing artifact")

// Artifact is a fitted preprocessing step as plain data: what Fit learned
// (means, categories, boundaries...) and nothing else. It is the only
// input of Apply, so a model trained on the output of Apply(a) is served
// by the same Apply(a): the feature store stores artifacts, offline and
// online paths load the same one.
//
// Its JSON form round-trips exactly, floats included (shortest round-trip
// decimal, NaN and infinities as strings), and Hash is the BLAKE3 hash of
// the canonical JSON of kind, version and params ("blake3:<hex>"), so
// equal fits give equal hashes and any edit is detected (ParseArtifact,
// Verify).
type Artifact struct {
	// Kind names the step: standard_scaler, min_max_scaler, imputer,
	// one_hot, ordinal, target_encoder, bucketize or hash_buckets.
	Kind string `json:"kind"`
	// Version is the version of the kind's parameters and logic.
	Version string `json:"version"`
	// Params are the fitted parameters, as canonical JSON.
	Params json.RawMessage `json:"params"`
	// Hash is the content hash of Kind, Version and Params.
	Hash string `json:"hash"`
}

type artifactBody struct {
	Kind    string          `json:"kind"`
	Version string          `json:"version"`
	Params  json.RawMessage `json:"params"`
}

// newArtifact builds an artifact from typed params.
func newArtifact(kind, version string, params any) (*Artifact, error) {
	js, err := canon.JSON(params)
	if err != nil {
		return nil, fmt.Errorf("encode %s params: %w", kind, err)
	}
	a := &Artifact{Kind: kind, Version: version, Params: js}
	if a.Hash, err = a.computeHash(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Artifact) computeHash() (string, error) {
	s, err := canon.Hash(artifactBody{Kind: a.Kind, Version: a.Version, Params: a.Params})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrArtifact, err)
	}
	return s.String(), nil
}

// Verify checks that the hash matches the content and that the parameters
// decode for the kind and version. Errors match ErrArtifact.
func (a *Artifact) Verify() error {
	if a == nil {
		return fmt.Errorf("%w: nil", ErrArtifact)
	}
	h, err := a.computeHash()
	if err != nil {
		return err
	}
	if h != a.Hash {
		return fmt.Errorf("%w: %s hash is %s, its content hashes to %s", ErrArtifact, a.Kind, a.Hash, h)
	}
	_, err = prepDecode(a)
	return err
}

// ParseArtifact decodes an artifact from its JSON form and verifies it.
func ParseArtifact(b []byte) (*Artifact, error) {
	var a Artifact
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrArtifact, err)
	}
	if err := a.Verify(); err != nil {
		return nil, err
	}
	return &a, nil
}

// prepFloat is a float64 whose JSON form round-trips exactly, including
// NaN ("NaN") and infinities ("+Inf", "-Inf").
type prepFloat float64

// MarshalJSON implements json.Marshaler.
func (f prepFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *prepFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = prepFloat(math.NaN())
		return nil
	case `"+Inf"`:
		*f = prepFloat(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = prepFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("bad float %s", b)
	}
	*f = prepFloat(v)
	return nil
}

// prepFloats converts a slice.
func prepFloats(v []float64) []prepFloat {
	out := make([]prepFloat, len(v))
	for i, x := range v {
		out[i] = prepFloat(x)
	}
	return out
}

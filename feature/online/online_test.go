package online_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/feature/online"
)

func TestRecordLayout(t *testing.T) {
	v := online.MakeVersion(-5, 7, 9)
	raw := online.Encode(v, []byte("payload"))
	assert.Len(t, raw, 2*online.VersionSize+7)
	it, err := online.Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, v, it.Version)
	assert.Equal(t, "payload", string(it.Value))
	assert.True(t, online.Newer(raw, v), "equal versions replace")
	assert.True(t, online.Newer(raw, online.MakeVersion(-4, 0, 0)))
	assert.False(t, online.Newer(raw, online.MakeVersion(-5, 7, 8)))
	assert.True(t, online.Newer(nil, v))
	_, err = online.Decode([]byte("short"))
	assert.ErrorIs(t, err, online.ErrCorrupt)
}

func FuzzDecode(f *testing.F) {
	f.Add(online.Encode(online.MakeVersion(1, 2, 3), []byte("x")))
	f.Add([]byte("zz"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		it, err := online.Decode(raw)
		if err != nil {
			return
		}
		// A decoded record encodes back to a record with the same version.
		again, err := online.Decode(online.Encode(it.Version, it.Value))
		if err != nil || again.Version != it.Version {
			t.Fatalf("round trip of %x: %v", raw, err)
		}
	})
}

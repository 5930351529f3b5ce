package source

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHTTPLinkNext(t *testing.T) {
	cases := map[string]string{
		`<https://a/x?page=2>; rel="next"`:                     "https://a/x?page=2",
		`<https://a/1>; rel="prev", <https://a/3>; rel="next"`: "https://a/3",
		`<https://a/x?ids=1,2>; rel="last next"`:               "https://a/x?ids=1,2",
		`<https://a/x>; title="next"; REL=NEXT`:                "https://a/x",
		`<https://a/1>; rel="prev"`:                            "",
		`https://a/1; rel="next"`:                              "",
		``:                                                     "",
		`<https://a/1>; rel=nextpage, <https://a/2>;rel=next,`: "https://a/2",
		`<broken; rel="next"`:                                  "",
	}
	for in, want := range cases {
		assert.Equal(t, want, httpLinkNext([]string{in}), in)
	}
	assert.Equal(t, "/b", httpLinkNext([]string{`</a>; rel="prev"`, `</b>; rel="next"`}), "several header values")
}

func TestHTTPRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 30, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 0 ":                           0,
		"-3":                            0,
		"soon":                          0,
		"Tue, 30 Jan 2024 12:00:30 GMT": 30 * time.Second,
		"Tue, 30 Jan 2024 11:00:00 GMT": 0,
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Retry-After", in)
		}
		assert.Equal(t, want, httpRetryAfter(h, now), in)
	}
}

// FuzzHTTPLinkNext: any header value parses without panicking, and a found
// target is a substring of the input.
func FuzzHTTPLinkNext(f *testing.F) {
	f.Add(`<https://a/1>; rel="prev", <https://a/3>; rel="next"`)
	f.Add(`<<>>;rel=next;;,<`)
	f.Fuzz(func(t *testing.T, v string) {
		if got := httpLinkNext([]string{v}); got != "" && !strings.Contains(v, got) {
			t.Fatalf("target %q is not in %q", got, v)
		}
		h := http.Header{}
		h.Set("Retry-After", v)
		if d := httpRetryAfter(h, time.Now()); d < 0 {
			t.Fatalf("negative wait %s for %q", d, v)
		}
	})
}

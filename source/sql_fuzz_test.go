package source

import (
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// FuzzSQLParseDecimal checks that decimal text never panics and that the
// fast path agrees with arrow's parser.
func FuzzSQLParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "123.456", "+7", ".5", "5.", "1e3", "NaN", "", "-", "99999999999999999999.99"} {
		f.Add(s, uint8(10), uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, p, sc uint8) {
		prec, scale := int32(p%38)+1, int32(sc%10)
		if scale > prec {
			scale = prec
		}
		got, err := parseDecimal(s, prec, scale)
		if err != nil {
			return
		}
		want, werr := decimal128.FromString(strings.TrimSpace(s), prec, scale)
		if werr == nil && got != want {
			t.Fatalf("parseDecimal(%q, %d, %d) = %s, arrow says %s", s, prec, scale, got.ToString(scale), want.ToString(scale))
		}
	})
}

// FuzzSQLRedactDSN checks that a URL DSN's password never survives.
func FuzzSQLRedactDSN(f *testing.F) {
	f.Add("postgres", "alice", "s3cret!", "db:5432", "shop")
	f.Add("mysql", "u", "p@ss/word", "h", "d")
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, path string) {
		if len(pass) < 6 || strings.ContainsAny(scheme, ":/?#@") || scheme == "" {
			return
		}
		u := url.URL{Scheme: scheme, User: url.UserPassword(user, pass), Host: host, Path: "/" + path, RawQuery: "password=" + url.QueryEscape(pass)}
		dsn := u.String()
		if _, err := url.Parse(dsn); err != nil {
			return
		}
		if out := redactDSN(dsn); strings.Contains(out, pass) || strings.Contains(out, url.QueryEscape(pass)) || strings.Contains(out, url.PathEscape(pass)) {
			t.Fatalf("redactDSN(%q) = %q keeps the password", dsn, out)
		}
	})
}

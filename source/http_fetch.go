package source

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-data/kiln/internal/retry"
)

// httpFetcher fetches the pages of one run: it holds the credential read
// from the environment for this run and scrubs it from every message.
type httpFetcher struct {
	s      *HTTPSource
	header string // the credential header, or ""
	value  string // its value: secret
	secret string // the secret itself, for scrubbing
}

// newFetcher reads the credentials named by the config from the
// environment.
func (s *HTTPSource) newFetcher() (*httpFetcher, error) {
	f := &httpFetcher{s: s}
	a := s.cfg.Auth
	switch {
	case a.BearerEnv != "":
		f.secret = os.Getenv(a.BearerEnv)
		if f.secret == "" {
			return nil, fmt.Errorf("auth: environment variable %s (bearer token) is not set", a.BearerEnv)
		}
		f.header, f.value = "Authorization", "Bearer "+f.secret
	case a.APIKeyEnv != "":
		f.secret = os.Getenv(a.APIKeyEnv)
		if f.secret == "" {
			return nil, fmt.Errorf("auth: environment variable %s (API key) is not set", a.APIKeyEnv)
		}
		f.header, f.value = a.APIKeyHeader, f.secret
	}
	return f, nil
}

// httpScrubbed is an error whose message had the secret removed; Unwrap
// keeps errors.Is and errors.As working.
type httpScrubbed struct {
	err error
	msg string
}

func (e *httpScrubbed) Error() string { return e.msg }
func (e *httpScrubbed) Unwrap() error { return e.err }

// scrub removes the secret from err's message.
func (f *httpFetcher) scrub(err error) error {
	if err == nil || f.secret == "" || !strings.Contains(err.Error(), f.secret) {
		return err
	}
	return &httpScrubbed{err: err, msg: strings.ReplaceAll(err.Error(), f.secret, "[redacted]")}
}

func (f *httpFetcher) scrubText(s string) string {
	if f.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, f.secret, "[redacted]")
}

// get fetches one page, retrying transient failures (see HTTP). Only this
// page is retried.
func (f *httpFetcher) get(ctx context.Context, u *url.URL, page int) (body []byte, hdr http.Header, err error) {
	err = retryUnavailable(ctx, f.s.cfg.Retry.policy(httpBackoff), func(ctx context.Context) error {
		body, hdr, err = f.once(ctx, u, page)
		return err
	})
	return body, hdr, f.scrub(err)
}

// once sends one request. Transient failures are marked retryable, with the
// server's Retry-After.
func (f *httpFetcher) once(ctx context.Context, u *url.URL, page int) ([]byte, http.Header, error) {
	s := f.s
	if s.limiter != nil {
		if err := s.limiter.Wait(ctx); err != nil {
			return nil, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	for _, k := range httpSortedKeys(s.cfg.Header) {
		req.Header.Set(k, s.cfg.Header[k])
	}
	if f.header != "" && u.Scheme == s.base.Scheme && u.Host == s.base.Host {
		req.Header.Set(f.header, f.value)
	}
	where := fmt.Sprintf("page %d (GET %s)", page, u)
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, retry.Mark(fmt.Errorf("%s: %w", where, err))
	}
	defer resp.Body.Close()
	limit := s.cfg.MaxBody
	if limit <= 0 {
		limit = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, retry.Mark(fmt.Errorf("%s: reading the body: %w", where, err))
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		after := httpRetryAfter(resp.Header, time.Now())
		return nil, nil, retry.MarkAfter(fmt.Errorf("%s: HTTP %s%s", where, resp.Status, f.snippet(body)), after)
	case code < 200 || code > 299:
		return nil, nil, fmt.Errorf("%s: HTTP %s%s", where, resp.Status, f.snippet(body))
	case int64(len(body)) > limit:
		return nil, nil, fmt.Errorf("%s: body larger than %d bytes (MaxBody)", where, limit)
	}
	return body, resp.Header, nil
}

// snippet is the start of an error body for messages, scrubbed.
func (f *httpFetcher) snippet(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	const n = 200
	s := string(body)
	if len(s) > n {
		s = s[:n]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "..."
	}
	return ": " + strings.Join(strings.Fields(f.scrubText(s)), " ")
}

// httpRetryAfter parses a Retry-After header: delay seconds or an HTTP date.
func httpRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(n)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

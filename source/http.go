package source

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/time/rate"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/jsonarrow"
)

// HTTPConfig configures an HTTP JSON API source; see HTTP.
type HTTPConfig struct {
	// URL is the address of the first page, without pagination parameters.
	URL string
	// Query holds fixed query parameters sent with every request. They are
	// part of the fingerprint and appear in URLs in errors and rejected
	// records: never put credentials here (use Auth).
	Query map[string]string
	// Header holds fixed request headers. They are part of the
	// fingerprint: never put credentials here (use Auth); Authorization,
	// Proxy-Authorization and Cookie are refused.
	Header map[string]string
	// Records is the dotted path of the array of records in each page
	// ("data" or "result.items"); empty means the page itself is the array.
	// A page without it, or with null there, has no records.
	Records string
	// Schema is the explicit output schema. Columns are filled from each
	// record's top-level key of the column's name, or from Paths. Types are
	// strict: bool, int8..int64, uint8..uint64, float32, float64, utf8 and
	// large_utf8 (JSON strings), timestamp (an RFC 3339 string or an
	// integer epoch in the column's unit), date32 (YYYY-MM-DD). A missing
	// key or a JSON null is a null, and an error in a non-nullable column.
	Schema *arrow.Schema
	// Paths maps a column to the dotted path of its value in a record
	// ("user.id").
	Paths map[string]string
	// Raw lists utf8 columns that keep their value's JSON text (for nested
	// objects and arrays).
	Raw []string
	// Paging says how the next page is requested (default: one page).
	Paging HTTPPaging
	// Auth names the environment variables holding credentials.
	Auth HTTPAuth
	// Window sends the partition's time range as query parameters (day
	// and hour partitions only): each partition asks for its own range.
	Window *HTTPWindow
	// Since carries a high-water mark from one committed partition to the
	// next (incremental APIs).
	Since *HTTPSince
	// RejectBad sets records that do not fit the schema aside with
	// Context.Reject (to the node's rejected dataset, with page and item)
	// instead of failing the run.
	RejectBad bool

	// The fields below tune how pages are fetched; they never change the
	// output and are not part of the fingerprint.

	// RateLimit caps requests per second, retries included (0: no limit).
	RateLimit float64
	// Retry bounds the retries of one page on 429, 408, 5xx and network
	// errors (defaults: 5 attempts, 200ms initial wait, 30s max step, 2
	// minutes budget).
	Retry Backoff
	// Client sends the requests (default: a client with a 30s timeout).
	Client *http.Client
	// MaxPages fails a run that pages past it (default 100000).
	MaxPages int
	// MaxBody fails a page larger than this many bytes (default 64 MiB).
	MaxBody int64
}

// HTTPPagingStyle names a pagination scheme.
type HTTPPagingStyle string

// Pagination schemes.
const (
	// HTTPSinglePage fetches one page.
	HTTPSinglePage HTTPPagingStyle = ""
	// HTTPPageNumber sends Param=First, First+1, ... and stops at a page
	// with no records, or fewer than Size when Size is set.
	HTTPPageNumber HTTPPagingStyle = "page"
	// HTTPOffsetLimit sends Param=0, n, 2n, ... (the number of records
	// received so far) with SizeParam=Size, and stops at a page with fewer
	// than Size records.
	HTTPOffsetLimit HTTPPagingStyle = "offset"
	// HTTPCursor sends Param=<token> read from the dotted path Next of the
	// previous page, and stops when the token is missing, null or empty.
	HTTPCursor HTTPPagingStyle = "cursor"
	// HTTPLinkHeader follows the Link response header's rel="next" URL.
	HTTPLinkHeader HTTPPagingStyle = "link"
)

// HTTPPaging describes how to walk an API's pages.
type HTTPPaging struct {
	Style HTTPPagingStyle `json:"style,omitempty"`
	// Param is the page-number, offset or cursor query parameter.
	Param string `json:"param,omitempty"`
	// SizeParam and Size send a page size (per_page=100, limit=100).
	SizeParam string `json:"size_param,omitempty"`
	Size      int    `json:"size,omitempty"`
	// First is the first page number (default 1).
	First int `json:"first,omitempty"`
	// Next is the dotted path of the next cursor in a page.
	Next string `json:"next,omitempty"`
}

// PageNumberPaging requests pages param=1, 2, ... until an empty page.
func PageNumberPaging(param string) HTTPPaging {
	return HTTPPaging{Style: HTTPPageNumber, Param: param, First: 1}
}

// OffsetPaging requests offsetParam=0, limit, 2*limit, ... with
// limitParam=limit until a short page.
func OffsetPaging(offsetParam, limitParam string, limit int) HTTPPaging {
	return HTTPPaging{Style: HTTPOffsetLimit, Param: offsetParam, SizeParam: limitParam, Size: limit}
}

// CursorPaging sends param=<the token at the dotted path next of the
// previous page> until a page has no token.
func CursorPaging(param, next string) HTTPPaging {
	return HTTPPaging{Style: HTTPCursor, Param: param, Next: next}
}

// LinkPaging follows Link: <...>; rel="next" headers.
func LinkPaging() HTTPPaging { return HTTPPaging{Style: HTTPLinkHeader} }

// WithSize returns p with a page size sent as param=n.
func (p HTTPPaging) WithSize(param string, n int) HTTPPaging {
	p.SizeParam, p.Size = param, n
	return p
}

// HTTPAuth names where credentials come from. Only the names of environment
// variables are configured (and fingerprinted); the values are read when a
// partition is fetched and never written to logs, errors, manifests or
// lineage. Credentials are sent only to the host of HTTPConfig.URL.
type HTTPAuth struct {
	// BearerEnv names the variable holding a token sent as
	// "Authorization: Bearer <token>".
	BearerEnv string `json:"bearer_env,omitempty"`
	// APIKeyHeader and APIKeyEnv send the key held by the variable
	// APIKeyEnv in the header APIKeyHeader.
	APIKeyHeader string `json:"api_key_header,omitempty"`
	APIKeyEnv    string `json:"api_key_env,omitempty"`
}

// BearerFromEnv authenticates with a bearer token held by the environment
// variable env.
func BearerFromEnv(env string) HTTPAuth { return HTTPAuth{BearerEnv: env} }

// APIKeyFromEnv sends the key held by the environment variable env in the
// header.
func APIKeyFromEnv(header, env string) HTTPAuth {
	return HTTPAuth{APIKeyHeader: header, APIKeyEnv: env}
}

// HTTPWindow sends a time partition's range as two query parameters.
type HTTPWindow struct {
	// StartParam gets the partition's start, EndParam its end (exclusive).
	StartParam string `json:"start_param"`
	EndParam   string `json:"end_param,omitempty"`
	// Layout is the Go time layout of the values (default RFC 3339, UTC).
	Layout string `json:"layout,omitempty"`
}

// HTTPSince makes a source incremental: each partition asks for what changed
// since the mark left by the previous committed partition, and leaves a new
// mark in its manifest. Exactly one of Column and Token is set.
type HTTPSince struct {
	// Param is the query parameter carrying the mark.
	Param string `json:"param"`
	// Column: the mark is the largest value of this column landed so far
	// (an integer, timestamp, date32 or string column; use a unique,
	// increasing one such as an id or an update time). Records at or below
	// the mark are dropped, so an API that includes the mark lands nothing
	// twice.
	Column string `json:"column,omitempty"`
	// Token: the mark is the value at this dotted path of the last page (a
	// sync token).
	Token string `json:"token,omitempty"`
	// Initial is the mark of the first partition; empty leaves the
	// parameter out.
	Initial string `json:"initial,omitempty"`
}

// httpBackoff is HTTPConfig.Retry's defaults.
var httpBackoff = Backoff{Attempts: 5, Initial: 200 * time.Millisecond, Max: 30 * time.Second, Budget: 2 * time.Minute}

// HTTPSource reads a JSON API; create one with HTTP. It is safe for
// concurrent use.
type HTTPSource struct {
	cfg     HTTPConfig
	spec    httpSpec
	cols    []jsonarrow.Column
	schema  *arrow.Schema
	base    *url.URL
	limiter *rate.Limiter
	client  *http.Client
	err     error
}

// httpSpec is what goes into the fingerprint.
type httpSpec struct {
	URL       string            `json:"url"`
	Query     map[string]string `json:"query,omitempty"`
	Header    map[string]string `json:"header,omitempty"`
	Records   string            `json:"records,omitempty"`
	Columns   []landColumnSpec  `json:"columns"`
	Paging    HTTPPaging        `json:"paging"`
	Auth      HTTPAuth          `json:"auth"`
	Window    *HTTPWindow       `json:"window,omitempty"`
	Since     *HTTPSince        `json:"since,omitempty"`
	RejectBad bool              `json:"reject_bad,omitempty"`
}

// HTTP returns a source that reads the pages of a JSON API into a table with
// an explicit schema. Rows are in page order, then in the order of the
// records in each page.
//
// # Fetching
//
// Pages are fetched one after another (see HTTPPaging). Each request waits
// for the rate limit, and a page that fails with 429, 408, a 5xx status or a
// network error is retried with exponential backoff within Retry (a
// Backoff), honoring Retry-After (seconds or an HTTP date) even beyond the
// Backoff's Max; a Retry-After past what is left of its Budget fails at
// once. Only the failing page is retried: pages already fetched in this run
// are kept, never requested again. When a page's retries run out, the run
// fails with an error wrapping ErrUnavailable and the cause, and nothing is
// committed; the previous partition stays as it was.
//
// # What is resumed
//
// A partition commits atomically, so a run that fails commits nothing and
// its rerun starts the partition over from its first page. What carries
// over between runs is the committed state: each partition stores in its
// manifest {"from", "mark", "pages", "records", "last_page"}. With Since,
// the next partition asks for what changed after the mark, so a failed day
// is fetched again from the same mark and lands each record once. With
// Window, each partition asks for its own time range and needs no state.
//
// A committed partition is not fetched again (the source reports a constant
// version: the landed copy is the record of what the API returned). Force
// refetches it with the same request; with Since{Column}, records past its
// stored mark are dropped, so a refetch does not take records that later
// partitions hold.
//
// With Since the source is kiln.Sequential: the engine lands the partitions
// of one Run or Backfill one at a time in partition order, each after the
// previous one committed, and skips the later ones when one fails, so a
// Backfill with parallelism still lands each record once and its rerun
// resumes at the failed partition. A partition landed after a later one was
// committed (a gap filled late) is empty: its records are in the later one
// (found with kiln.Context.Next). Do not land one source from two runs at
// once (two processes, or two concurrent Run calls): both would start from
// the same committed mark.
//
// # Bad records
//
// A record that does not fit the schema fails the run with an error naming
// the page, the item index in the page and the column; with RejectBad it is
// committed to the node's rejected dataset instead. A page that is not
// valid JSON fails the run with the byte offset.
func HTTP(cfg HTTPConfig) *HTTPSource {
	s := &HTTPSource{cfg: cfg}
	s.err = s.init()
	if s.err != nil {
		s.err = fmt.Errorf("http source %s: %w", httpRedactURL(cfg.URL), s.err)
	}
	return s
}

func (s *HTTPSource) init() error {
	cfg := s.cfg
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme %q: want http or https", u.Scheme)
	}
	if u.User != nil {
		return errors.New("credentials in the URL: use Auth with an environment variable")
	}
	s.base = u
	for k := range cfg.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization", "Cookie", http.CanonicalHeaderKey(cfg.Auth.APIKeyHeader):
			return fmt.Errorf("header %q in Header: credentials go in Auth, read from the environment", k)
		}
	}
	if cfg.Auth.BearerEnv != "" && cfg.Auth.APIKeyEnv != "" {
		return errors.New("auth: set BearerEnv or APIKeyEnv, not both")
	}
	if (cfg.Auth.APIKeyHeader == "") != (cfg.Auth.APIKeyEnv == "") {
		return errors.New("auth: APIKeyHeader and APIKeyEnv go together")
	}
	if err := s.checkPaging(); err != nil {
		return err
	}
	s.cols, s.spec.Columns, err = landJSONColumns(cfg.Schema, cfg.Paths, cfg.Raw)
	if err != nil {
		return err
	}
	s.schema = cfg.Schema
	if w := cfg.Window; w != nil && w.StartParam == "" {
		return errors.New("window: StartParam is required")
	}
	if sn := cfg.Since; sn != nil {
		if sn.Param == "" || (sn.Column == "") == (sn.Token == "") {
			return errors.New("since: set Param and exactly one of Column and Token")
		}
		if sn.Column != "" {
			idx := cfg.Schema.FieldIndices(sn.Column)
			if len(idx) == 0 {
				return fmt.Errorf("since: column %q is not in the schema", sn.Column)
			}
			if !httpMarkable(cfg.Schema.Field(idx[0]).Type) {
				return fmt.Errorf("since: column %q has type %s: want an integer, timestamp, date32 or string column", sn.Column, cfg.Schema.Field(idx[0]).Type)
			}
		}
	}
	s.spec = httpSpec{URL: cfg.URL, Query: cfg.Query, Header: cfg.Header, Records: cfg.Records, Columns: s.spec.Columns,
		Paging: cfg.Paging, Auth: cfg.Auth, Window: cfg.Window, Since: cfg.Since, RejectBad: cfg.RejectBad}
	if cfg.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), 1)
	}
	s.client = cfg.Client
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	return nil
}

func (s *HTTPSource) checkPaging() error {
	p := s.cfg.Paging
	switch p.Style {
	case HTTPSinglePage, HTTPLinkHeader:
	case HTTPPageNumber:
		if p.Param == "" {
			return errors.New("paging: page-number paging needs Param")
		}
	case HTTPOffsetLimit:
		if p.Param == "" || p.SizeParam == "" || p.Size <= 0 {
			return errors.New("paging: offset paging needs Param, SizeParam and a positive Size")
		}
	case HTTPCursor:
		if p.Param == "" || p.Next == "" {
			return errors.New("paging: cursor paging needs Param and Next")
		}
	default:
		return fmt.Errorf("paging: unknown style %q", p.Style)
	}
	if (p.SizeParam == "") != (p.Size <= 0) {
		return errors.New("paging: SizeParam and a positive Size go together")
	}
	return nil
}

// Spec implements kiln.Source. It holds the names of the credential
// variables, never their values, and nothing that only tunes fetching.
func (s *HTTPSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.http", Version: "1", Config: s.spec}
}

// Schema implements kiln.Source: the configured schema. It does not contact
// the API.
func (s *HTTPSource) Schema(*kiln.Context) (*arrow.Schema, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.schema, nil
}

// Sequential implements kiln.Sequential: an incremental source (Since)
// lands partitions in order, each from the mark the previous one left.
func (s *HTTPSource) Sequential() bool { return s.cfg.Since != nil }

// SourceVersion implements kiln.SourceVersioner with a constant: a landed
// partition is not fetched again unless forced.
func (s *HTTPSource) SourceVersion(*kiln.Context) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return "http.v1", nil
}

// httpRedactURL drops a URL's user info and query for messages about the
// configuration.
func httpRedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// httpSortedKeys returns a map's keys, sorted.
func httpSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// httpLinkNext returns the rel="next" target of Link header values
// (RFC 8288): <target>; rel="next", <other>; rel="prev".
func httpLinkNext(values []string) string {
	for _, v := range values {
		for {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				break
			}
			target := v[i+1 : i+j]
			v = v[i+j+1:]
			params := v
			if k := strings.IndexByte(v, '<'); k >= 0 {
				params = v[:k]
			}
			for _, param := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				val = strings.Trim(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(val), ",")), `"`)
				for _, rel := range strings.Fields(val) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
		}
	}
	return ""
}

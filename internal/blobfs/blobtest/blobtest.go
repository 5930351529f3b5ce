// Package blobtest runs a real S3 protocol server in-process for tests:
// gofakes3 with its in-memory backend behind an httptest server on the
// loopback interface, with one bucket and a switch that makes it fail.
package blobtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kiln-data/kiln/internal/blobfs"
)

// S3 is a fake S3 server holding the bucket "lake".
type S3 struct {
	srv *httptest.Server
	// Down makes the server refuse every request (403 Forbidden, which
	// the AWS SDK does not retry, so tests of an outage stay fast).
	Down atomic.Bool
	// Gets and Puts count the GET and PUT requests served.
	Gets, Puts atomic.Int64
}

// New starts a server, stopped when the test ends.
func New(t testing.TB) *S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	s := &S3{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Down.Load() {
			http.Error(w, "store down", http.StatusForbidden)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.Gets.Add(1)
		case http.MethodPut:
			s.Puts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL returns the s3:// URL of a path in the bucket, with the server's
// endpoint in the query (which goes last, after any pattern).
func (s *S3) URL(path string) string {
	return "s3://lake/" + strings.TrimPrefix(path, "/") + "?endpoint=" + s.srv.URL +
		"&region=us-east-1&use_path_style=true&anonymous=true" +
		"&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

// Put stores objects (key relative to root → content) under a location.
func Put(t testing.TB, root string, objs map[string]string) {
	t.Helper()
	fsys, err := blobfs.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range objs {
		if err := fsys.Write(context.Background(), k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
}

// Keys lists every object key under a location, sorted.
func Keys(t testing.TB, root string) []string {
	t.Helper()
	fsys, err := blobfs.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := fsys.List(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir {
				walk(e.Key)
			} else {
				out = append(out, e.Key)
			}
		}
	}
	walk("")
	return out
}

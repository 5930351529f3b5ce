package lineage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiln-data/kiln/internal/retry"
)

// Transport delivers OpenLineage events somewhere. Implementations must be
// safe for concurrent use and quick: Emit runs on the engine's goroutines,
// so a slow destination should queue.
type Transport interface {
	// Emit delivers one event: its JSON encoding, without a trailing
	// newline. The transport must not keep event after returning.
	Emit(ctx context.Context, event []byte) error
	// Close flushes what is queued (until ctx is done) and releases the
	// transport.
	Close(ctx context.Context) error
}

// ErrTransportClosed is returned by Emit after Close.
var ErrTransportClosed = errors.New("lineage: transport closed")

// FileTransport appends events to a file, one JSON object per line
// (NDJSON). Each event is one write of a whole line to a file opened with
// O_APPEND, so several processes may append to the same file without
// interleaving lines.
type FileTransport struct {
	path string

	mu     sync.Mutex
	f      *os.File
	closed bool
}

// NewFileTransport returns a transport appending to path. The file and its
// directory are created on the first event.
func NewFileTransport(path string) *FileTransport { return &FileTransport{path: path} }

// Path returns the file's path.
func (t *FileTransport) Path() string { return t.path }

// Emit implements Transport.
func (t *FileTransport) Emit(_ context.Context, event []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrTransportClosed
	}
	if t.f == nil {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
			return fmt.Errorf("lineage: events file: %w", err)
		}
		f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("lineage: events file: %w", err)
		}
		t.f = f
	}
	line := make([]byte, 0, len(event)+1)
	line = append(append(line, event...), '\n')
	if _, err := t.f.Write(line); err != nil {
		return fmt.Errorf("lineage: append to %s: %w", t.path, err)
	}
	return nil
}

// Close implements Transport: it syncs and closes the file.
func (t *FileTransport) Close(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.f == nil {
		return nil
	}
	err := errors.Join(t.f.Sync(), t.f.Close())
	t.f = nil
	if err != nil {
		return fmt.Errorf("lineage: close %s: %w", t.path, err)
	}
	return nil
}

// HTTPConfig configures an HTTPTransport.
type HTTPConfig struct {
	// URL receives each event as a POST with a JSON body, e.g. Marquez's
	// http://localhost:5000/api/v1/lineage.
	URL string
	// Header holds extra request headers (e.g. Authorization).
	Header http.Header
	// Client sends the requests (default: a client with a 10 s timeout).
	Client *http.Client
	// Attempts is the maximum number of tries per event (default 5).
	Attempts int
	// Backoff is the first wait between tries, doubling up to MaxBackoff
	// (defaults 200 ms and 10 s); a Retry-After header is honored.
	Backoff time.Duration
	// MaxBackoff caps one wait.
	MaxBackoff time.Duration
	// Budget caps the total wait per event (default 1 minute).
	Budget time.Duration
	// Queue is how many events may wait to be sent (default 1024); when it
	// is full, events are dropped (they stay in the events file).
	Queue int
	// Logger receives delivery failures (default slog.Default()).
	Logger *slog.Logger
}

// HTTPStats counts what an HTTPTransport did with its events.
type HTTPStats struct {
	// Sent events were accepted by the server (2xx).
	Sent int64
	// Failed events were given up after retries or refused (4xx).
	Failed int64
	// Dropped events found the queue full or the transport closing.
	Dropped int64
}

// HTTPTransport posts events to an OpenLineage HTTP endpoint from a
// background goroutine, in order, retrying server errors (5xx, 408, 429)
// and connection failures with exponential backoff. While the endpoint is
// down (an event ran out of retries), later events get one try each until
// one gets through, so an outage does not build an ever-growing backlog.
// Emit never blocks.
type HTTPTransport struct {
	cfg    HTTPConfig
	policy retry.Policy
	log    *slog.Logger
	queue  chan []byte
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool

	down                  atomic.Bool
	sent, failed, dropped atomic.Int64
}

// NewHTTPTransport starts a transport posting to cfg.URL.
func NewHTTPTransport(cfg HTTPConfig) (*HTTPTransport, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("lineage: OpenLineage URL %q: want http(s)://host/path", cfg.URL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &HTTPTransport{
		cfg:    cfg,
		policy: retry.Policy{Attempts: cfg.Attempts, Initial: cfg.Backoff, Max: cfg.MaxBackoff, Budget: cfg.Budget},
		log:    cfg.Logger,
		queue:  make(chan []byte, cfg.Queue),
		done:   make(chan struct{}),
		ctx:    ctx, cancel: cancel,
	}
	go t.run()
	return t, nil
}

// Emit implements Transport: it queues the event.
func (t *HTTPTransport) Emit(_ context.Context, event []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		t.dropped.Add(1)
		return ErrTransportClosed
	}
	select {
	case t.queue <- bytes.Clone(event):
		return nil
	default:
		t.dropped.Add(1)
		return fmt.Errorf("lineage: OpenLineage HTTP queue full (%d events): event dropped", cap(t.queue))
	}
}

// Close implements Transport: it stops accepting events and waits until the
// queued ones are sent or given up, or ctx is done (then the rest are
// dropped).
func (t *HTTPTransport) Close(ctx context.Context) error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.queue)
	}
	t.mu.Unlock()
	select {
	case <-t.done:
		t.cancel()
		return nil
	case <-ctx.Done():
		t.cancel()
		<-t.done
		return fmt.Errorf("lineage: OpenLineage HTTP transport closed with events unsent: %w", ctx.Err())
	}
}

// Stats returns the transport's counters.
func (t *HTTPTransport) Stats() HTTPStats {
	return HTTPStats{Sent: t.sent.Load(), Failed: t.failed.Load(), Dropped: t.dropped.Load()}
}

func (t *HTTPTransport) run() {
	defer close(t.done)
	for ev := range t.queue {
		if t.ctx.Err() != nil {
			t.dropped.Add(1)
			continue
		}
		p := t.policy
		if t.down.Load() {
			p.Attempts = 1
		}
		err := retry.Do(t.ctx, p, func(ctx context.Context) error { return t.post(ctx, ev) })
		if err != nil {
			t.failed.Add(1)
			if !t.down.Swap(true) {
				t.log.Warn("openlineage: HTTP endpoint unavailable; events stay in the events file", "url", t.cfg.URL, "err", err)
			}
			continue
		}
		t.sent.Add(1)
		if t.down.Swap(false) {
			t.log.Info("openlineage: HTTP endpoint back", "url", t.cfg.URL)
		}
	}
}

func (t *HTTPTransport) post(ctx context.Context, ev []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.URL, bytes.NewReader(ev))
	if err != nil {
		return err
	}
	for k, vs := range t.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return retry.Mark(fmt.Errorf("post %s: %w", t.cfg.URL, err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("post %s: %s: %s", t.cfg.URL, resp.Status, bytes.TrimSpace(body))
	switch {
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return retry.MarkAfter(err, retryAfter(resp.Header.Get("Retry-After")))
	}
	return err
}

// retryAfter parses a Retry-After header given in seconds (dates are
// ignored: a plain backoff is as good).
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

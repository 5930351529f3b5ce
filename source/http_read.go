package source

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/jsonarrow"
)

// httpBatchRows is how many rows go into one record batch.
const httpBatchRows = 64 * 1024

// httpState is the checkpoint an HTTP partition stores in its manifest.
type httpState struct {
	// From is the mark sent for this partition (Since), Mark the one left
	// for the next.
	From string `json:"from,omitempty"`
	Mark string `json:"mark,omitempty"`
	// Pages is the number of pages fetched, Records the rows landed.
	Pages   int   `json:"pages"`
	Records int64 `json:"records"`
	// LastPage is the URL of the last page fetched.
	LastPage string `json:"last_page,omitempty"`
}

// Read implements kiln.Source: it fetches the partition's pages (see HTTP).
func (s *HTTPSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	if s.err != nil {
		return nil, s.err
	}
	f, err := s.newFetcher()
	if err != nil {
		return nil, err
	}
	tbl, err := s.read(ctx, f)
	return tbl, f.scrub(err)
}

func (s *HTTPSource) read(ctx *kiln.Context, f *httpFetcher) (arrow.Table, error) {
	if s.cfg.Since == nil {
		tbl, _, err := s.fetchAll(ctx, f, "", nil)
		return tbl, err
	}
	var st, prevSt, nextSt httpState
	// Recomputing a committed partition: its stored mark range.
	own, err := ctx.Manifest(ctx.Node(), ctx.Partition())
	if err != nil {
		return nil, err
	}
	if ok, err := landStateOf(own, &st); err != nil {
		return nil, err
	} else if ok {
		if s.cfg.Since.Token != "" {
			ctx.Logger().Warn("refetching a committed incremental partition from its stored token: the API may return records that later partitions hold", "from", st.From)
		}
		upper := st.Mark
		tbl, _, err := s.fetchAll(ctx, f, st.From, &upper)
		return tbl, err
	}

	// Landing for the first time, after the previous partition committed
	// (the source is sequential): from its mark.
	from := s.cfg.Since.Initial
	prev, err := ctx.Previous()
	if err != nil {
		return nil, err
	}
	if ok, err := landStateOf(prev, &prevSt); err != nil {
		return nil, err
	} else if ok {
		from = prevSt.Mark
	}
	next, err := ctx.Next()
	if err != nil {
		return nil, err
	}
	if ok, err := landStateOf(next, &nextSt); err != nil {
		return nil, err
	} else if ok {
		// A later partition was landed first: it holds everything after
		// our mark.
		if nextSt.From != from {
			return nil, fmt.Errorf("since: the committed partition %s starts at mark %q, not at %q where %s would: the landed marks are inconsistent", next.Partition, nextSt.From, from, ctx.Partition())
		}
		if err := ctx.SetState(httpState{From: from, Mark: from}); err != nil {
			return nil, err
		}
		return arrowx.EmptyTable(s.schema), nil
	}
	tbl, _, err := s.fetchAll(ctx, f, from, nil)
	return tbl, err
}

// fetchAll walks the pages from the first and builds the table. from is the
// Since mark sent (or ""); upper, when set, drops records past a stored
// mark.
func (s *HTTPSource) fetchAll(ctx *kiln.Context, f *httpFetcher, from string, upper *string) (tbl arrow.Table, st httpState, err error) {
	dec, err := jsonarrow.NewDecoder(ctx.Allocator(), s.cols)
	if err != nil {
		return nil, st, err
	}
	defer dec.Release()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	q, u, err := s.firstPage(ctx, from)
	if err != nil {
		return nil, st, err
	}
	st.From = from
	maxPages := s.cfg.MaxPages
	if maxPages <= 0 {
		maxPages = 100000
	}
	pg := s.cfg.Paging
	pageNo, offset := pg.First, 0
	if pg.Style == HTTPPageNumber && pg.First == 0 {
		pageNo = 1
	}
	var token string
	var last []byte
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, st, fmt.Errorf("more than %d pages (MaxPages): is the API paging in a loop? last page %s", maxPages, u)
		}
		body, hdr, err := f.get(ctx, u, page)
		if err != nil {
			return nil, st, err
		}
		st.Pages, st.LastPage, last = page, u.String(), body
		n, err := s.pageRecords(ctx, dec, body, page, u, &batches)
		if err != nil {
			return nil, st, err
		}
		ctx.Logger().Debug("http page", "page", page, "url", u.String(), "records", n)

		// The next page, or the end.
		switch pg.Style {
		case HTTPPageNumber:
			if n == 0 || (pg.Size > 0 && n < pg.Size) {
				return s.finish(ctx, dec, &batches, st, from, upper, last)
			}
			pageNo++
			q.Set(pg.Param, strconv.Itoa(pageNo))
		case HTTPOffsetLimit:
			if n < pg.Size {
				return s.finish(ctx, dec, &batches, st, from, upper, last)
			}
			offset += n
			q.Set(pg.Param, strconv.Itoa(offset))
		case HTTPCursor:
			next, ok, err := httpText(body, pg.Next)
			if err != nil {
				return nil, st, fmt.Errorf("page %d (GET %s): cursor at %q: %w", page, u, pg.Next, err)
			}
			if !ok || next == "" {
				return s.finish(ctx, dec, &batches, st, from, upper, last)
			}
			if next == token {
				return nil, st, fmt.Errorf("page %d (GET %s): the cursor at %q repeats %q: the API is paging in a loop", page, u, pg.Next, next)
			}
			token = next
			q.Set(pg.Param, token)
		case HTTPLinkHeader:
			next := httpLinkNext(hdr.Values("Link"))
			if next == "" {
				return s.finish(ctx, dec, &batches, st, from, upper, last)
			}
			ref, err := url.Parse(next)
			if err != nil {
				return nil, st, fmt.Errorf("page %d (GET %s): Link rel=next %q: %w", page, u, next, err)
			}
			u = u.ResolveReference(ref)
			continue
		default:
			return s.finish(ctx, dec, &batches, st, from, upper, last)
		}
		u.RawQuery = q.Encode()
	}
}

// firstPage builds the first request's URL and its query (which later pages
// update).
func (s *HTTPSource) firstPage(ctx *kiln.Context, from string) (url.Values, *url.URL, error) {
	u := *s.base
	q := u.Query()
	for _, k := range httpSortedKeys(s.cfg.Query) {
		q.Set(k, s.cfg.Query[k])
	}
	if w := s.cfg.Window; w != nil {
		p := ctx.Partition()
		if p.Grain().Duration() == 0 {
			return nil, nil, fmt.Errorf("window: partition %s has no time range (use day or hour partitions)", p)
		}
		layout := w.Layout
		if layout == "" {
			layout = time.RFC3339
		}
		q.Set(w.StartParam, p.Start().Format(layout))
		if w.EndParam != "" {
			q.Set(w.EndParam, p.End().Format(layout))
		}
	}
	if sn := s.cfg.Since; sn != nil && from != "" {
		q.Set(sn.Param, from)
	}
	pg := s.cfg.Paging
	switch pg.Style {
	case HTTPPageNumber:
		first := pg.First
		if first == 0 {
			first = 1
		}
		q.Set(pg.Param, strconv.Itoa(first))
	case HTTPOffsetLimit:
		q.Set(pg.Param, "0")
	}
	if pg.SizeParam != "" {
		q.Set(pg.SizeParam, strconv.Itoa(pg.Size))
	}
	u.RawQuery = q.Encode()
	return q, &u, nil
}

// pageRecords decodes the records of one page, returning how many items it
// held (bad ones included).
func (s *HTTPSource) pageRecords(ctx *kiln.Context, dec *jsonarrow.Decoder, body []byte, page int, u *url.URL, batches *[]arrow.RecordBatch) (int, error) {
	if err := jsonarrow.Validate(body); err != nil {
		return 0, fmt.Errorf("page %d (GET %s): %w", page, u, err)
	}
	at := jsonarrow.Root(body)
	if s.cfg.Records != "" {
		var ok bool
		var err error
		if at, ok, err = jsonarrow.Lookup(body, at, landPath(s.cfg.Records)); err != nil {
			return 0, fmt.Errorf("page %d (GET %s): %w", page, u, err)
		} else if !ok {
			return 0, nil
		}
	}
	n, itemErr := 0, false
	err := jsonarrow.Elements(body, at, func(i int, el jsonarrow.Span) error {
		n++
		item := body[el.Start:el.End]
		if err := dec.Append(item); err != nil {
			where := fmt.Sprintf("page %d item %d (GET %s)", page, i, u)
			if !s.cfg.RejectBad {
				itemErr = true
				return fmt.Errorf("%s: %w", where, err)
			}
			ctx.Reject(landRejected(where, err, item))
			return nil
		}
		if dec.Len() >= httpBatchRows {
			*batches = append(*batches, dec.NewRecordBatch())
		}
		return nil
	})
	if err != nil && !itemErr {
		err = fmt.Errorf("page %d (GET %s): records at %q: %w", page, u, s.cfg.Records, err)
	}
	return n, err
}

// finish builds the table, applies the Since range and records the state.
func (s *HTTPSource) finish(ctx *kiln.Context, dec *jsonarrow.Decoder, batches *[]arrow.RecordBatch, st httpState, from string, upper *string, last []byte) (arrow.Table, httpState, error) {
	if dec.Len() > 0 {
		*batches = append(*batches, dec.NewRecordBatch())
	}
	st.Mark = from
	if sn := s.cfg.Since; sn != nil {
		if sn.Column != "" {
			kept, mark, err := httpSinceFilter(ctx, *batches, s.schema.FieldIndices(sn.Column)[0], from, upper)
			if err != nil {
				return nil, st, fmt.Errorf("since column %q: %w", sn.Column, err)
			}
			for _, b := range *batches {
				b.Release()
			}
			*batches, st.Mark = kept, mark
		} else if tok, ok, err := httpText(last, sn.Token); err != nil {
			return nil, st, fmt.Errorf("since token at %q of the last page: %w", sn.Token, err)
		} else if ok && tok != "" {
			st.Mark = tok
		}
	}
	for _, b := range *batches {
		st.Records += b.NumRows()
	}
	if err := ctx.SetState(st); err != nil {
		return nil, st, err
	}
	if len(*batches) == 0 {
		return arrowx.EmptyTable(s.schema), st, nil
	}
	return array.NewTableFromRecords(s.schema, *batches), st, nil
}

// httpText reads the scalar at a dotted path of a (validated) page.
func httpText(body []byte, path string) (string, bool, error) {
	at, ok, err := jsonarrow.Lookup(body, jsonarrow.Root(body), landPath(path))
	if err != nil || !ok {
		return "", false, err
	}
	return jsonarrow.Text(body, at)
}

package source

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/kiln-data/kiln/internal/blobfs"
)

// IPC returns a source reading Arrow IPC files: the random-access file
// format (Feather v2, starting with "ARROW1") and the streaming format,
// told apart by their first bytes, with LZ4 or zstd compressed buffers. The
// location is a file, a directory (its *.arrow, *.arrows, *.ipc and
// *.feather files) or a pattern; see FileSource.
//
// Without WithSchema the schema is the newest file's (the last in key
// order). Each file's columns are matched to it by name: a missing nullable
// column is null, and an extra column or a column of another type fails the
// run (unless declared with WithMapping). Record batches keep their order.
func IPC(location string, opts ...FileOption) *FileSource {
	return newFileSource("ipc", ipcFormat{}, location, opts)
}

type ipcFormat struct{}

func (ipcFormat) exts() []string { return []string{".arrow", ".arrows", ".ipc", ".feather"} }

var ipcMagic = []byte("ARROW1")

func (ipcFormat) infer(ctx context.Context, s *FileSource, fsys *blobfs.FS, f fileRef) (*arrow.Schema, any, error) {
	r, err := openFile(ctx, fsys, f.key)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	br := bufio.NewReader(r)
	if head, _ := br.Peek(8); bytes.HasPrefix(head, ipcMagic) {
		br.Discard(8) // the file format embeds a stream after its 8-byte magic
	}
	var schema *arrow.Schema
	err = safeRead(func() error {
		rd, err := ipc.NewReader(br)
		if err != nil {
			return err
		}
		defer rd.Release()
		schema = rd.Schema()
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: arrow ipc schema: %w", fsys.Path(f.key), err)
	}
	return schema, nil, nil
}

func (ipcFormat) read(ctx context.Context, j *readJob) (arrow.Table, []badRecord, error) {
	r, err := openFile(ctx, j.fsys, j.file.key)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	var schema *arrow.Schema
	var recs []arrow.RecordBatch
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	if head, _ := br.Peek(6); bytes.Equal(head, ipcMagic) {
		b, err := io.ReadAll(br)
		if err != nil {
			return nil, nil, err
		}
		fr, err := ipc.NewFileReader(bytes.NewReader(b), ipc.WithAllocator(j.mem))
		if err != nil {
			return nil, nil, fmt.Errorf("arrow ipc file: %w", err)
		}
		defer fr.Close()
		schema = fr.Schema()
		for i := range fr.NumRecords() {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			rec, err := fr.RecordBatchAt(i)
			if err != nil {
				return nil, nil, fmt.Errorf("arrow ipc file: record batch %d: %w", i, err)
			}
			recs = append(recs, rec)
		}
	} else {
		rd, err := ipc.NewReader(br, ipc.WithAllocator(j.mem))
		if err != nil {
			return nil, nil, fmt.Errorf("arrow ipc stream: %w", err)
		}
		defer rd.Release()
		schema = rd.Schema()
		for rd.Next() {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			rec := rd.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := rd.Err(); err != nil {
			return nil, nil, fmt.Errorf("arrow ipc stream: record batch %d: %w", len(recs), err)
		}
	}
	tbl := array.NewTableFromRecords(schema, recs)
	defer tbl.Release()
	out, err := fitTable(j.name(), tbl, j.full, j.out, j.opts.mapping())
	return out, nil, err
}

package kiln

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// quarantineSuffix names a node's quarantine dataset: rows that failed a
// quarantine-severity check of "silver.events" go to
// "silver.events_quarantine", with the columns _kiln_check and _kiln_reason.
const quarantineSuffix = "_quarantine"

// rejectedSuffix names a source's rejected-records dataset.
const rejectedSuffix = "_rejected"

// RejectedDataset returns the name of the dataset where a source node's
// rejected input records are committed (see Context.Reject).
func RejectedDataset(node string) string { return node + rejectedSuffix }

// QuarantineDataset returns the name of the dataset where a node's
// quarantined rows are committed.
func QuarantineDataset(node string) string { return node + quarantineSuffix }

// applyChecks evaluates the node's checks on out. It returns the rows that go
// on and, when the node has quarantine checks, the quarantined rows (possibly
// none). An error-severity failure fails the node with ErrCheckFailed.
func (t *task) applyChecks(c *Context, out arrow.Table) (passed, quarantine arrow.Table, err error) {
	checks := t.node.node.checks
	if len(checks) == 0 {
		return out, nil, nil
	}
	results := make([]CheckResult, len(checks))
	hasQuarantine := false
	for i, chk := range checks {
		var res CheckResult
		err := safeCall(func() (err error) { res, err = chk.Evaluate(c, out); return err })
		if err != nil {
			return nil, nil, fmt.Errorf("check %s: %w", t.node.Checks[i].Name, err)
		}
		if res.Check == "" {
			res.Check = t.node.Checks[i].Name
		}
		if res.Severity == "" {
			res.Severity = SeverityError
		}
		if res.Severity == SeverityQuarantine {
			hasQuarantine = true
		}
		results[i] = res
	}
	t.checks = results

	var failed []string
	for _, res := range results {
		if !res.Success && res.Severity == SeverityError {
			failed = append(failed, describeFailure(res))
		}
	}
	if len(failed) > 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrCheckFailed, strings.Join(failed, "; "))
	}
	for _, res := range results {
		if !res.Success && res.Severity == SeverityWarn {
			c.Logger().Warn("quality check failed (warn)", "check", res.Check, "column", res.Column, "unexpected", res.UnexpectedCount, "message", res.Message)
		}
	}
	if !hasQuarantine {
		return out, nil, nil
	}
	return t.quarantine(c, out, results)
}

func describeFailure(r CheckResult) string {
	var b strings.Builder
	b.WriteString(r.Check)
	if r.Column != "" {
		fmt.Fprintf(&b, " on column %q", r.Column)
	} else if len(r.Columns) > 0 {
		fmt.Fprintf(&b, " on columns %q", r.Columns)
	}
	if r.UnexpectedCount > 0 {
		fmt.Fprintf(&b, ": %d unexpected of %d (%.4g%%)", r.UnexpectedCount, r.ElementCount, r.UnexpectedPercent)
	}
	if r.Observed != nil {
		fmt.Fprintf(&b, ", observed %v", r.Observed)
	}
	if r.Expected != "" {
		fmt.Fprintf(&b, ", expected %s", r.Expected)
	}
	if r.Message != "" {
		b.WriteString(": ")
		b.WriteString(r.Message)
	}
	return b.String()
}

// quarantine splits out into the rows no quarantine check flagged and the
// flagged rows, which get the first flagging check's name and reason. Both
// keep input row order, and together they hold every input row once.
func (t *task) quarantine(c *Context, out arrow.Table, results []CheckResult) (arrow.Table, arrow.Table, error) {
	n := out.NumRows()
	reason := make([]int, n) // 1 + index of the first check that flagged the row
	for i := range results {
		res := &results[i]
		if res.Success || res.Severity != SeverityQuarantine {
			continue
		}
		var cnt int64
		for _, row := range res.FailedRows {
			if row < 0 || row >= n {
				return nil, nil, fmt.Errorf("check %s: failed row %d out of range [0, %d)", res.Check, row, n)
			}
			if reason[row] == 0 {
				reason[row] = i + 1
				cnt++
			}
		}
		res.Quarantined = cnt
		t.quarantined += cnt
	}
	mem := c.Allocator()
	keepB := array.NewBooleanBuilder(mem)
	defer keepB.Release()
	dropB := array.NewBooleanBuilder(mem)
	defer dropB.Release()
	checkB := array.NewStringBuilder(mem)
	defer checkB.Release()
	reasonB := array.NewStringBuilder(mem)
	defer reasonB.Release()
	keepB.Reserve(int(n))
	dropB.Reserve(int(n))
	for row := range n {
		k := reason[row] == 0
		keepB.UnsafeAppend(k)
		dropB.UnsafeAppend(!k)
		if !k {
			res := results[reason[row]-1]
			checkB.Append(res.Check)
			reasonB.Append(describeFailure(res))
		}
	}
	keep, drop := keepB.NewBooleanArray(), dropB.NewBooleanArray()
	defer keep.Release()
	defer drop.Release()
	passed, err := compute.FilterTable(c, out, compute.NewDatum(keep), compute.DefaultFilterOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("quarantine: %w", err)
	}
	bad, err := compute.FilterTable(c, out, compute.NewDatum(drop), compute.DefaultFilterOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("quarantine: %w", err)
	}
	checkArr, reasonArr := checkB.NewArray(), reasonB.NewArray()
	defer checkArr.Release()
	defer reasonArr.Release()
	fields := append(slices.Clone(out.Schema().Fields()),
		arrow.Field{Name: "_kiln_check", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "_kiln_reason", Type: arrow.BinaryTypes.String})
	schema := arrow.NewSchema(fields, nil)
	cols := make([]arrow.Column, 0, len(fields))
	for i := range bad.NumCols() {
		cols = append(cols, *bad.Column(int(i)))
	}
	for i, a := range []arrow.Array{checkArr, reasonArr} {
		ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
		cols = append(cols, *arrow.NewColumn(fields[len(fields)-2+i], ch))
		ch.Release()
	}
	qt := array.NewTable(schema, cols, bad.NumRows())
	return passed, qt, nil
}

// commitQuarantine commits the quarantined rows of the task's partition
// (possibly none, so a rerun replaces an earlier quarantine).
func (t *task) commitQuarantine(ctx context.Context, q arrow.Table) error {
	name := QuarantineDataset(t.node.Name)
	content, err := digest.Table(q)
	if err != nil {
		return fmt.Errorf("quarantine content hash: %w", err)
	}
	m := &Manifest{
		Format:      lineage.ManifestFormat,
		Pipeline:    t.r.p.name,
		Dataset:     name,
		Partition:   t.part.String(),
		Kind:        "quarantine",
		Fingerprint: digest.NewBuilder("kiln.quarantine.v1").Sum("node", t.fp).Digest(),
		ContentHash: content,
		Rows:        q.NumRows(),
		Schema:      schemaFields(q.Schema()),
		Inputs:      []lineage.Input{{Dataset: t.node.Name, Partition: t.part.String(), Mapping: "same", ContentHash: t.content}},
		Operation:   lineage.Operation{Name: "kiln.quarantine", Version: "1"},
		CheckSpecs:  t.node.checkOps,
		Build:       lineage.CurrentBuild(),
	}
	if err := t.r.commit(ctx, name, t.part, q, m); err != nil {
		return fmt.Errorf("commit quarantine %s: %w", name, err)
	}
	return nil
}

var rejectedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "_kiln_where", Type: arrow.BinaryTypes.String},
	{Name: "_kiln_reason", Type: arrow.BinaryTypes.String},
	{Name: "_kiln_raw", Type: arrow.BinaryTypes.String},
}, nil)

// commitRejected commits a source's rejected records for the partition. It
// commits an empty partition when there are none but an earlier run left
// some, so a fixed input clears them.
func (t *task) commitRejected(ctx context.Context, rejects []Rejected) error {
	name := RejectedDataset(t.node.Name)
	if len(rejects) == 0 {
		m, err := t.r.readManifest(name, t.part)
		if err != nil || m == nil {
			return err
		}
	}
	mem := memory.DefaultAllocator
	bs := []*array.StringBuilder{array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)}
	for _, r := range rejects {
		bs[0].Append(r.Where)
		bs[1].Append(r.Reason)
		bs[2].Append(r.Raw)
	}
	cols := make([]arrow.Array, 3)
	for i, b := range bs {
		cols[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(rejectedSchema, cols, int64(len(rejects)))
	tbl := array.NewTableFromRecords(rejectedSchema, []arrow.RecordBatch{rec})
	content, err := digest.Table(tbl)
	if err != nil {
		return err
	}
	m := &Manifest{
		Format: lineage.ManifestFormat, Pipeline: t.r.p.name, Dataset: name, Partition: t.part.String(),
		Kind: "rejected", Fingerprint: digest.NewBuilder("kiln.rejected.v1").Sum("content", content).String("node", t.node.Name).String("partition", t.part.String()).Digest(),
		ContentHash: content, Rows: tbl.NumRows(), Schema: schemaFields(rejectedSchema),
		Operation: t.node.op, Build: lineage.CurrentBuild(),
	}
	if err := t.r.commit(ctx, name, t.part, tbl, m); err != nil {
		return fmt.Errorf("commit rejected records %s: %w", name, err)
	}
	t.rejected = int64(len(rejects))
	return nil
}

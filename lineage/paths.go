package lineage

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-data/kiln/internal/lake"
)

// PartitionAll is the partition path of an unpartitioned dataset, whose
// files sit in the dataset directory itself.
const PartitionAll = "all"

// DatasetDir returns where a dataset lives in a lake: "silver.events" is
// <lake>/silver/events. It does not check the name; see CheckDataset.
func DatasetDir(lakeRoot, dataset string) string {
	return filepath.Join(lakeRoot, filepath.FromSlash(strings.ReplaceAll(dataset, ".", "/")))
}

// PartitionDir returns the directory of a dataset partition: the dataset
// directory for "all", else the partition path below it.
func PartitionDir(lakeRoot, dataset, partition string) string {
	dir := DatasetDir(lakeRoot, dataset)
	if partition == PartitionAll || partition == "" {
		return dir
	}
	return filepath.Join(dir, filepath.FromSlash(partition))
}

// CheckDataset reports whether name can be a dataset name: dot-separated
// segments of letters, digits, '_' and '-', none starting with '.', '_' or
// '-'. Queries check names they are given before touching the file system.
func CheckDataset(name string) error {
	if name == "" {
		return errors.New("lineage: empty dataset name")
	}
	for seg := range strings.SplitSeq(name, ".") {
		if seg == "" || seg[0] == '_' || seg[0] == '-' {
			return fmt.Errorf("lineage: dataset name %q: empty segment or segment starting with '_' or '-'", name)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return fmt.Errorf("lineage: dataset name %q: character %q not allowed", name, r)
			}
		}
	}
	return nil
}

// CheckPartition reports whether p can be a partition path: "all", or
// key=value elements separated by '/', with no empty, "." or ".." parts.
func CheckPartition(p string) error {
	if p == PartitionAll {
		return nil
	}
	if p == "" {
		return errors.New("lineage: empty partition")
	}
	for el := range strings.SplitSeq(p, "/") {
		k, v, ok := strings.Cut(el, "=")
		if !ok || k == "" || v == "" || k == ".." || v == ".." || k == "." || v == "." || strings.ContainsAny(el, "\\\x00") || strings.Contains(v, "=") {
			return fmt.Errorf("lineage: partition %q: want all, dt=YYYY-MM-DD, dt=YYYY-MM-DD/hour=HH or key=value", p)
		}
	}
	return nil
}

// ReadManifest reads the committed manifest of a dataset partition in a
// lake. The error satisfies errors.Is(err, fs.ErrNotExist) when the
// partition is not committed.
func ReadManifest(lakeRoot, dataset, partition string) (*Manifest, error) {
	if err := CheckDataset(dataset); err != nil {
		return nil, err
	}
	if err := CheckPartition(partition); err != nil {
		return nil, err
	}
	dir := PartitionDir(lakeRoot, dataset, partition)
	b, err := lake.ReadManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("lineage: %s partition %s: %w", dataset, partition, err)
	}
	m, err := UnmarshalManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lake.ManifestPath(dir), err)
	}
	return m, nil
}

// partitionWindow returns the time span of a daily or hourly partition path;
// ok is false for "all" and static partitions.
func partitionWindow(p string) (start, end time.Time, ok bool) {
	date, hour, hasHour := strings.Cut(p, "/")
	d, isDate := strings.CutPrefix(date, "dt=")
	if !isDate {
		return time.Time{}, time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	if !hasHour {
		return t, t.AddDate(0, 0, 1), true
	}
	h, isHour := strings.CutPrefix(hour, "hour=")
	n, err := strconv.Atoi(h)
	if !isHour || err != nil || n < 0 || n > 23 {
		return time.Time{}, time.Time{}, false
	}
	t = t.Add(time.Duration(n) * time.Hour)
	return t, t.Add(time.Hour), true
}

// partitionDims splits a partition path into its key=value dimensions, in
// path order; "all" has none.
func partitionDims(p string) [][2]string {
	if p == PartitionAll || p == "" {
		return nil
	}
	var out [][2]string
	for el := range strings.SplitSeq(p, "/") {
		k, v, _ := strings.Cut(el, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

// listPartitions returns the committed partitions of a dataset, sorted:
// "all" when the dataset directory itself holds a manifest, else the
// partition paths below it.
func listPartitions(lakeRoot, dataset string) ([]string, error) {
	dir := DatasetDir(lakeRoot, dataset)
	if _, err := lake.ReadManifest(dir); err == nil {
		return []string{PartitionAll}, nil
	}
	parts, err := lake.ListPartitions(dir)
	if err != nil {
		return nil, fmt.Errorf("lineage: %w", err)
	}
	return parts, nil
}

package kiln

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// dateRE is a bare date, accepted wherever a daily partition is.
var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parsePartitionArg parses a partition given on the command line: its
// String form ("dt=2024-01-30", "dt=2024-01-30/hour=13", "region=eu",
// "all") or a bare date for a daily partition.
func parsePartitionArg(what, s string) (Partition, error) {
	if s == "" {
		return Partition{}, usagef("%s is required (e.g. dt=2024-01-30)", what)
	}
	if dateRE.MatchString(s) {
		s = "dt=" + s
	}
	p, err := ParsePartition(s)
	if err != nil {
		return Partition{}, usagef("%s: %v", what, err)
	}
	return p, nil
}

// partitionRange parses --from and --to into the partitions between them,
// inclusive.
func partitionRange(from, to string) ([]Partition, error) {
	a, err := parsePartitionArg("--from", from)
	if err != nil {
		return nil, err
	}
	b, err := parsePartitionArg("--to", to)
	if err != nil {
		return nil, err
	}
	parts, err := Range(a, b)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return parts, nil
}

// partitionsArg returns the partitions a command is asked for: --partition,
// or --from and --to.
func partitionsArg(part, from, to string) ([]Partition, error) {
	switch {
	case part != "" && (from != "" || to != ""):
		return nil, usagef("give --partition or --from and --to, not both")
	case part != "":
		p, err := parsePartitionArg("--partition", part)
		if err != nil {
			return nil, err
		}
		return []Partition{p}, nil
	case from != "" || to != "":
		return partitionRange(from, to)
	}
	return nil, usagef("--partition (or --from and --to) is required")
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// runFlags are the flags of the commands that run the pipeline.
type runFlags struct {
	force    bool
	parallel int
	targets  listFlag
	report   bool
	format   string
}

func (o *runFlags) register(fs *flag.FlagSet, withReport bool) {
	fs.IntVar(&o.parallel, "parallel", 0, "how many node partitions may compute at once (default GOMAXPROCS)")
	fs.Var(&o.targets, "target", "run only this `node` and what it reads (repeatable, or comma-separated)")
	if withReport {
		fs.BoolVar(&o.force, "force", false, "recompute every node even when its committed partition is current")
		fs.BoolVar(&o.report, "report", false, "write a run report to <lake>/_lineage/reports/<run id>.html")
		fs.StringVar(&o.format, "report-format", "html", "run report `format`: html or md")
	}
}

func (o *runFlags) options() ([]RunOption, error) {
	if o.parallel < 0 {
		return nil, usagef("--parallel must be positive, got %d", o.parallel)
	}
	if o.format != "" && o.format != "html" && o.format != "md" {
		return nil, usagef("--report-format %q: want html or md", o.format)
	}
	var opts []RunOption
	if o.force {
		opts = append(opts, Force())
	}
	if o.parallel > 0 {
		opts = append(opts, Parallel(o.parallel))
	}
	if len(o.targets) > 0 {
		opts = append(opts, Targets(o.targets...))
	}
	return opts, nil
}

// humanDuration formats d for tables: "850ms", "12.3s", "4m05s", "3h12m",
// "2d04h".
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Second:
		s = fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		s = fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		s = fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	if neg {
		return "-" + s
	}
	return s
}

// humanCount formats n with thin grouping: 1234567 -> "1,234,567".
func humanCount(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + humanCount(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// humanRate formats a per-second rate: "850/s", "12.3k/s", "4.1M/s".
func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.0f/s", r)
}

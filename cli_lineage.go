package kiln

import (
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/kiln-data/kiln/lineage"
)

var traceCommand = &command{
	name:    "trace",
	args:    "DATASET PARTITION [--format text|json]",
	summary: "where a committed partition came from, down to the source partitions",
	help: `
Follows the partition's manifest back through every input partition (with
how it was read: same, lookback, whole) to the source partitions, with
content hashes, row counts and the runs that committed them. Exit code 1
when the partition is not committed.`,
	minArgs: 2, maxArgs: 2,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := formatFlag(fs)
		return func(c *cli, args []string) error {
			if err := textOrJSON(*format); err != nil {
				return err
			}
			part, err := parsePartitionArg("PARTITION", args[1])
			if err != nil {
				return err
			}
			tr, err := lineage.NewCatalog(c.p.lake, nil).Trace(c.ctx, args[0], part.String())
			if err != nil {
				return err
			}
			return c.emit(*format, tr, tr.WriteText)
		}
	},
}

var impactCommand = &command{
	name:    "impact",
	args:    "DATASET [PARTITION] [--format text|json]",
	summary: "what is downstream of a dataset (and which partitions were built from a partition)",
	help: `
Lists every dataset that reads DATASET, directly or through others, across
the pipelines whose runs are recorded in the lake, by depth. With a
PARTITION, also lists the committed partitions of each built from it: what
a change to it would make stale.`,
	minArgs: 1, maxArgs: 2,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := formatFlag(fs)
		return func(c *cli, args []string) error {
			if err := textOrJSON(*format); err != nil {
				return err
			}
			part := ""
			if len(args) == 2 {
				p, err := parsePartitionArg("PARTITION", args[1])
				if err != nil {
					return err
				}
				part = p.String()
			}
			im, err := lineage.NewCatalog(c.p.lake, nil).Impact(c.ctx, args[0], part)
			if err != nil {
				return err
			}
			return c.emit(*format, im, im.WriteText)
		}
	},
}

var qualityCommand = &command{
	name:    "quality",
	args:    "DATASET PARTITION [--format text|json]",
	summary: "the quality check report of a committed partition",
	help: `
Prints the check results stored in the partition's manifest: one row per
check (column, observed value, expectation, unexpected share, status) and a
summary with the pass rate. Exit code 1 when the partition is not
committed.`,
	minArgs: 2, maxArgs: 2,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := formatFlag(fs)
		return func(c *cli, args []string) error {
			if err := textOrJSON(*format); err != nil {
				return err
			}
			if err := lineage.CheckDataset(args[0]); err != nil {
				return usagef("%v", err)
			}
			part, err := parsePartitionArg("PARTITION", args[1])
			if err != nil {
				return err
			}
			m, err := ReadManifest(c.p.lake, args[0], part)
			if errors.Is(err, iofs.ErrNotExist) {
				return fmt.Errorf("%s partition %s is not committed in %s", args[0], part, c.p.lake)
			}
			if err != nil {
				return err
			}
			rep := lineage.ManifestQualityReport(m)
			if *format == "json" {
				b, err := rep.JSON()
				if err != nil {
					return err
				}
				_, err = c.stdout.Write(b)
				return err
			}
			return rep.WriteText(c.stdout)
		}
	},
}

var reportCommand = &command{
	name:    "report",
	args:    "RUN_ID [--format html|md] [--out FILE]",
	summary: "write a run's report: DAG, nodes, hashes, quality, recent partitions",
	help: `
Renders the report of a recorded run (a run id, or a unique prefix of at
least 8 characters) as self-contained HTML (inline CSS and SVG) or Markdown
(with a Mermaid DAG), and writes it to <lake>/_lineage/reports/<run id>.html
(or .md), or to --out ('-' for standard output). Prints the path.`,
	minArgs: 1, maxArgs: 1,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := fs.String("format", "html", "report `format`: html or md")
		out := fs.String("out", "", "write the report to `file` ('-' for standard output) instead of the lake")
		return func(c *cli, args []string) error {
			f := ReportFormat(*format)
			if f != ReportHTML && f != ReportMarkdown {
				return usagef("--format %q: want html or md", *format)
			}
			rep, err := LoadRunReport(c.ctx, c.p.lake, args[0])
			if err != nil {
				return err
			}
			switch *out {
			case "-":
				return rep.Write(c.stdout, f)
			case "":
				path, err := rep.Save(c.p.lake, f)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, path)
				return nil
			}
			if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
				return err
			}
			file, err := os.Create(*out)
			if err != nil {
				return err
			}
			werr := rep.Write(file, f)
			if err := errors.Join(werr, file.Close()); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, *out)
			return nil
		}
	},
}

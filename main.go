package kiln

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/kiln-data/kiln/lineage"
)

// Exit codes of Main and MainArgs.
const (
	// ExitOK: the command did what was asked.
	ExitOK = 0
	// ExitFailed: the command ran and failed: a run or a partition of a
	// backfill failed, verify found a difference, a query found nothing.
	ExitFailed = 1
	// ExitUsage: the command line was wrong (unknown command or flag, a
	// missing or malformed argument).
	ExitUsage = 2
)

// Main turns a program's main function into a command-line tool for the
// pipeline p, and exits with its exit code:
//
//	func main() {
//		p := kiln.New("shop", kiln.WithLake("lake"))
//		// ... declare sources, transforms, checks, sinks ...
//		kiln.Main(p)
//	}
//
// The program then understands these commands (each with --help):
//
//	run --partition dt=2024-01-30     compute one partition
//	backfill --from D --to D          compute a range of partitions
//	verify --partition P | --from/--to  recompute without the cache and compare hashes
//	plan [--format text|mermaid|dot]  print the DAG
//	status                            latest partition, freshness and last run per dataset
//	trace DATASET PARTITION           where a partition came from
//	impact DATASET [PARTITION]        what is downstream of a dataset
//	quality DATASET PARTITION         the check report of a committed partition
//	report RUN_ID                     write a run's HTML or Markdown report
//
// Flags valid with every command: --lake (overrides WithLake), --log-level,
// --log-format text|json, --metrics-addr (serve Prometheus /metrics while
// the command runs), --progress auto|live|plain|off. Exit codes: ExitOK,
// ExitFailed, ExitUsage. SIGINT and SIGTERM cancel a run cleanly: nothing
// more is committed and the committed partitions stay as they were.
func Main(p *Pipeline) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := MainArgs(ctx, p, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// MainArgs is Main without the process: it runs the command line args
// (without the program name) against p, writes results to stdout and
// diagnostics (logs, progress, usage errors) to stderr, and returns the exit
// code. It does not modify p: the lake, logger and listeners the flags ask
// for apply to a copy.
func MainArgs(ctx context.Context, p *Pipeline, args []string, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, base: p, stdout: stdout, stderr: stderr, name: p.Name()}
	c.g = globalFlags{lake: p.Lake(), logLevel: "info", logFormat: "text", progress: "auto"}
	root := c.flagSet("")
	if err := root.Parse(args); err != nil {
		return c.usageResult(err, nil)
	}
	rest := root.Args()
	if len(rest) == 0 {
		c.printUsage(stderr)
		return ExitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return c.help(rest)
	}
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", c.name, name)
		c.printUsage(stderr)
		return ExitUsage
	}
	fs := c.flagSet(cmd.name)
	run := cmd.setup(fs)
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		return c.usageResult(err, cmd)
	}
	if len(pos) < cmd.minArgs || len(pos) > cmd.maxArgs {
		return c.usageResult(fmt.Errorf("%s takes %s", cmd.name, argsWanted(cmd)), cmd)
	}
	if err := c.configure(cmd); err != nil {
		return c.usageResult(err, cmd)
	}
	defer c.close()
	err = run(c, pos)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return c.usageResult(err, cmd)
	}
	fmt.Fprintf(stderr, "%s %s: %v\n", c.name, cmd.name, err)
	return ExitFailed
}

// command is one subcommand of the CLI.
type command struct {
	name    string
	args    string // synopsis of the positional arguments and main flags
	summary string
	help    string
	minArgs int
	maxArgs int
	// setup registers the command's flags and returns the function that
	// runs it with their parsed values.
	setup func(fs *flag.FlagSet) func(c *cli, args []string) error
	// running marks commands that run the pipeline: they get progress,
	// the metrics server and the run listeners.
	running bool
}

// commands are the subcommands in the order usage lists them.
var commands = []*command{
	runCommand, backfillCommand, verifyCommand, planCommand, statusCommand,
	traceCommand, impactCommand, qualityCommand, reportCommand,
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func argsWanted(cmd *command) string {
	switch {
	case cmd.maxArgs == 0:
		return "no arguments"
	case cmd.minArgs == cmd.maxArgs:
		return fmt.Sprintf("%d arguments: %s", cmd.minArgs, cmd.args)
	}
	return fmt.Sprintf("%d to %d arguments: %s", cmd.minArgs, cmd.maxArgs, cmd.args)
}

// usageError is an error in the command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// globalFlags are accepted before the command and after it.
type globalFlags struct {
	lake        string
	logLevel    string
	logFormat   string
	metricsAddr string
	progress    string
}

// cli is one invocation of MainArgs.
type cli struct {
	ctx            context.Context
	base           *Pipeline // the user's pipeline, never modified
	p              *Pipeline // the copy commands run
	stdout, stderr io.Writer
	name           string
	g              globalFlags
	log            *slog.Logger
	progress       *Progress
	metrics        *Metrics
	closers        []func()
}

// flagSet returns a flag set for the command (the root one for ""), with
// the global flags registered.
func (c *cli) flagSet(cmd string) *flag.FlagSet {
	fs := c.bareFlagSet(cmd)
	c.globalFlags(fs)
	return fs
}

// bareFlagSet returns a flag set without flags that prints nothing itself.
func (c *cli) bareFlagSet(cmd string) *flag.FlagSet {
	name := c.name
	if cmd != "" {
		name += " " + cmd
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed by usageResult
	fs.Usage = func() {}
	return fs
}

// globalFlags registers the flags every command accepts. Their defaults
// are the values parsed so far, so flags given before the command stand.
func (c *cli) globalFlags(fs *flag.FlagSet) {
	g := &c.g
	fs.StringVar(&g.lake, "lake", g.lake, "lake `directory` (overrides the pipeline's WithLake)")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log `level`: debug, info, warn or error")
	fs.StringVar(&g.logFormat, "log-format", g.logFormat, "log `format`: text or json")
	fs.StringVar(&g.metricsAddr, "metrics-addr", g.metricsAddr, "serve Prometheus metrics on `host:port`/metrics while the command runs")
	fs.StringVar(&g.progress, "progress", g.progress, "progress `mode`: auto (live on a terminal, else log lines), live, plain or off")
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional arguments in order.
// Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// usageResult reports a command-line error (or prints the help asked for)
// and returns the exit code.
func (c *cli) usageResult(err error, cmd *command) int {
	if errors.Is(err, flag.ErrHelp) {
		if cmd == nil {
			c.printUsage(c.stdout)
		} else {
			c.printCommandUsage(c.stdout, cmd)
		}
		return ExitOK
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", c.name, err)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "Run '%s --help' for usage.\n", c.name)
	} else {
		fmt.Fprintf(c.stderr, "Run '%s %s --help' for usage.\n", c.name, cmd.name)
	}
	return ExitUsage
}

func (c *cli) help(args []string) int {
	if len(args) == 0 {
		c.printUsage(c.stdout)
		return ExitOK
	}
	cmd := findCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(c.stderr, "%s: unknown command %q\n", c.name, args[0])
		return ExitUsage
	}
	c.printCommandUsage(c.stdout, cmd)
	return ExitOK
}

func (c *cli) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [flags] COMMAND [flags] [args]\n\n", c.name)
	fmt.Fprintf(w, "%s runs the kiln pipeline %q.\n\nCommands:\n", c.name, c.base.Name())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, cmd := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", cmd.name, cmd.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nFlags (accepted before or after the command):\n")
	fs := c.flagSet("")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", c.name)
	fmt.Fprintf(w, "Exit codes: 0 ok, 1 the command failed, 2 usage error.\n")
}

func (c *cli) printCommandUsage(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "Usage: %s %s %s\n\n%s\n", c.name, cmd.name, cmd.args, cmd.summary)
	if cmd.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.help))
	}
	fs := c.bareFlagSet(cmd.name)
	cmd.setup(fs)
	fmt.Fprintf(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nGlobal flags (see '%s --help'): -lake, -log-level, -log-format, -metrics-addr, -progress.\n", c.name)
}

// configure sets up logging, progress and metrics from the global flags,
// and the pipeline copy the command runs.
func (c *cli) configure(cmd *command) error {
	if c.g.lake == "" {
		return usagef("--lake must not be empty")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.g.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", c.g.logLevel)
	}
	if c.g.logFormat != "text" && c.g.logFormat != "json" {
		return usagef("--log-format %q: want text or json", c.g.logFormat)
	}
	mode, on, err := progressMode(c.g.progress)
	if err != nil {
		return err
	}
	logOut := c.stderr
	if cmd.running && on {
		c.progress = NewProgress(c.stderr, ProgressOptions{Mode: mode})
		logOut = c.progress.LogWriter()
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(logOut, opts)
	if c.g.logFormat == "json" {
		h = slog.NewJSONHandler(logOut, opts)
	}
	plainLog := slog.New(h)
	if c.progress != nil {
		h = &progressFilter{h: h, dropFailed: !c.progress.Live()}
		if !c.progress.Live() {
			c.progress.opts.Logger = plainLog
		}
		c.closers = append(c.closers, func() { c.progress.Close() })
	}
	c.log = slog.New(h)

	var listeners []lineage.Listener
	if c.progress != nil {
		listeners = append(listeners, c.progress)
	}
	if cmd.running && c.g.metricsAddr != "" {
		m, err := c.serveMetrics()
		if err != nil {
			return err
		}
		listeners = append(listeners, m)
	}
	c.p = c.base.withCLI(c.g.lake, c.log, listeners)
	return nil
}

func (c *cli) close() {
	for _, f := range slices.Backward(c.closers) {
		f()
	}
}

func progressMode(s string) (mode ProgressMode, on bool, err error) {
	switch s {
	case "auto":
		return ProgressAuto, true, nil
	case "live":
		return ProgressLive, true, nil
	case "plain":
		return ProgressPlain, true, nil
	case "off":
		return ProgressAuto, false, nil
	}
	return 0, false, usagef("--progress %q: want auto, live, plain or off", s)
}

// withCLI returns a copy of p that commits to lake, logs to log and also
// notifies listeners. p itself is unchanged, and so are its nodes (which
// the engine reads, never writes). The copy has its own sequential-node
// locks: the CLI is the only runner in its process.
func (p *Pipeline) withCLI(lake string, log *slog.Logger, listeners []lineage.Listener) *Pipeline {
	return &Pipeline{
		name: p.name, lake: lake, logger: log, gcPercent: p.gcPercent, nodes: p.nodes, byName: p.byName, errs: p.errs,
		listeners: append(slices.Clone(p.listeners), listeners...),
	}
}

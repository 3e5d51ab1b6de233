// Package cli is handlergen's command line: subcommands, flags, output
// formats and exit codes. Main takes the arguments and the streams, so the
// whole tool runs in-process in tests; only cmd/handlergen touches os.Args
// and os.Exit.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/module"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/registry"
)

// Exit statuses.
const (
	ExitOK    = 0 // success, warnings allowed
	ExitError = 1 // a coded error was found
	ExitUsage = 2 // bad flags or arguments, or an internal failure
)

const usage = `usage:
  handlergen [generate] [flags] [INPUT ...]   write the registry file
  handlergen check      [flags] [INPUT ...]   validate and compare with the file on disk; writes nothing
  handlergen list       [flags] [INPUT ...]   print the handlers the contracts declare
  handlergen schema                           print the contract JSON Schema
  handlergen version
  handlergen new [-interface PATH.Name] [-type TYPE] DIR/NAME
                                              write a new handler package, its contract and a go:generate line

INPUT is a contract file, a directory (searched recursively for
handler_contract.yaml and contract.yaml) or a glob (** allowed); default ".".
Run "handlergen generate -h" for the flags.
`

// Main runs handlergen with args (without the program name) and returns
// the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "generate"
	if len(args) > 0 {
		switch args[0] {
		case "generate", "check", "list", "schema", "version", "new":
			cmd, args = args[0], args[1:]
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return ExitOK
		}
	}
	switch cmd {
	case "new":
		return runNew(args, stdout, stderr)
	case "schema":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "handlergen schema: unexpected arguments %q\n", args)
			return ExitUsage
		}
		stdout.Write(contracts.Schema())
		return ExitOK
	case "version":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "handlergen version: unexpected arguments %q\n", args)
			return ExitUsage
		}
		fmt.Fprintf(stdout, "handlergen %s\n", Version())
		return ExitOK
	}
	r := &run{cmd: cmd, stdout: stdout, stderr: stderr, rawArgs: args}
	if err := r.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(stderr, "handlergen %s: %v\n", cmd, err)
		return ExitUsage
	}
	return r.exec()
}

// Version is the module version handlergen was built at, or "(devel)".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/handlergen/handlergen" && bi.Main.Version != "" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/handlergen/handlergen" {
				return d.Version
			}
		}
	}
	return "(devel)"
}

type run struct {
	cmd            string
	stdout, stderr io.Writer
	rawArgs        []string

	cfg           gen.Config
	format        diag.Format
	diff, verbose bool
	dir           string
	correlationID uuid.UUID
	logFormat     string
	setFlags      []string // flags given that shape the output (not report-only)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (r *run) parse(args []string) error {
	fs := flag.NewFlagSet("handlergen "+r.cmd, flag.ContinueOnError)
	fs.SetOutput(r.stderr)
	fs.Usage = func() {
		fmt.Fprintf(r.stderr, "usage: handlergen %s [flags] [INPUT ...]\n\nflags:\n", r.cmd)
		fs.PrintDefaults()
	}
	var allow stringList
	format := fs.String("format", "", "diagnostics format: text, json, github or sarif (default text, or github when GITHUB_ACTIONS=true)")
	corr := fs.String("correlation-id", "", "`UUID` tagging this run's logs and JSON report (default: a new UUIDv4)")
	fs.StringVar(&r.cfg.Output, "o", "registry_gen.go", "output `file`")
	fs.StringVar(&r.cfg.Package, "package", "", "package `name` of the output (default $GOPACKAGE, else the package in the output's directory, else its name)")
	fs.StringVar(&r.cfg.Interface, "interface", gen.DefaultInterface, "interface every handler must implement, as `IMPORT/PATH.Name`")
	fs.StringVar(&r.cfg.Var, "var", "Registry", "`name` of the generated registry variable")
	fs.Var(&allow, "allow", "also allow handler_class under `PREFIX`: its import path is PREFIX or continues it past a '/' (repeatable; adds to the default, the main module or every go.work module)")
	fs.BoolVar(&r.cfg.AllowAny, "allow-any", false, "allow handler_class in any package")
	fs.IntVar(&r.cfg.MaxHandlers, "max-handlers", 0, "keep the first `N` contracts, sorted by path (0, the default: no limit)")
	fs.Int64Var(&r.cfg.MaxSize, "max-contract-size", contracts.DefaultMaxSize, "refuse contract files over `BYTES`")
	fs.BoolVar(&r.cfg.ForbidInit, "forbid-init", false, "make func init() in a handler package an error, not a warning")
	fs.BoolVar(&r.diff, "diff", false, "with check: print a unified diff of a stale file")
	fs.StringVar(&r.dir, "C", "", "change to `DIR` before doing anything")
	fs.BoolVar(&r.verbose, "v", false, "print a summary and timings on stderr")
	fs.StringVar(&r.logFormat, "log-format", "text", "format of -v logs: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if _, ok := reportOnly[f.Name]; !ok {
			r.setFlags = append(r.setFlags, f.Name)
		}
	})
	if *format == "" {
		*format = string(diag.Text)
		if os.Getenv("GITHUB_ACTIONS") == "true" {
			*format = string(diag.GitHub)
		}
	}
	f, err := diag.ParseFormat(*format)
	if err != nil {
		return err
	}
	r.format = f
	if r.logFormat != "text" && r.logFormat != "json" {
		return fmt.Errorf("-log-format %q: want text or json", r.logFormat)
	}
	if r.diff && r.cmd != "check" {
		return fmt.Errorf("-diff is only for check")
	}
	if r.cfg.MaxHandlers < 0 {
		return fmt.Errorf("-max-handlers must not be negative")
	}
	if r.cfg.MaxSize <= 0 {
		return fmt.Errorf("-max-contract-size must be positive")
	}
	ifacePath, _, ok := gen.SplitQualified(r.cfg.Interface)
	if !ok {
		return fmt.Errorf("-interface %q: want IMPORT/PATH.Name", r.cfg.Interface)
	}
	if err := module.CheckImportPath(ifacePath); err != nil {
		return fmt.Errorf("-interface %q: %v", r.cfg.Interface, err)
	}
	switch v := r.cfg.Var; {
	case !isIdent(v):
		return fmt.Errorf("-var %q is not a Go identifier", v)
	case types.Universe.Lookup(v) != nil:
		return fmt.Errorf("-var %q would shadow the predeclared identifier %s in the whole package", v, v)
	case v == "init":
		return fmt.Errorf("-var %q: init is reserved for package initialisation functions", v)
	}
	if r.cfg.Package != "" && !isIdent(r.cfg.Package) {
		return fmt.Errorf("-package %q is not a Go identifier", r.cfg.Package)
	}
	if allow != nil {
		for _, a := range allow {
			if strings.TrimSpace(a) == "" {
				return fmt.Errorf("-allow needs a non-empty prefix")
			}
		}
		r.cfg.Allow = allow
	}
	r.correlationID = uuid.New()
	if *corr != "" {
		id, err := uuid.Parse(*corr)
		if err != nil {
			return fmt.Errorf("-correlation-id %q: %v", *corr, err)
		}
		r.correlationID = id
	}
	r.cfg.Inputs = fs.Args()
	if !slices.Contains(args[:len(args)-fs.NArg()], "--") {
		for _, in := range r.cfg.Inputs {
			if len(in) > 1 && in[0] == '-' {
				// The flag package stops at the first input; a flag after
				// one would otherwise be searched for as a contract file.
				return fmt.Errorf("flag %s after the inputs: flags go before INPUT (use -- before an input that starts with -)", in)
			}
		}
	}
	return nil
}

// isIdent reports whether s can name a Go package or variable: an
// identifier that is not a keyword or the blank identifier.
func isIdent(s string) bool { return s != "_" && token.IsIdentifier(s) }

// reportOnly lists the flags that affect only how a run reports, not what
// it generates, and whether each takes a value. They are left out of the
// header, so check, generate and go generate record the same arguments,
// and they are the only flags allowed with package patterns.
var reportOnly = map[string]bool{"v": false, "diff": false, "format": true, "correlation-id": true, "log-format": true, "C": true}

// headerArgs are the arguments recorded in the generated file's header:
// the command line minus report-only flags, with absolute paths made
// relative to dir so that no machine's layout reaches the file.
func headerArgs(args []string, dir string) []string {
	var out []string
	rel := func(v string) string {
		if filepath.IsAbs(v) {
			if r, err := filepath.Rel(dir, v); err == nil {
				return filepath.ToSlash(r)
			}
			return filepath.Base(v)
		}
		return v
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, rest := range args[i:] {
				out = append(out, rel(rest))
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, rel(a))
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if takesValue, ok := reportOnly[name]; ok {
			if takesValue && !hasValue {
				i++
			}
			continue
		}
		if hasValue {
			a = a[:len(a)-len(value)] + rel(value)
		}
		out = append(out, a)
	}
	return out
}

func (r *run) exec() int {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(r.stderr, "handlergen: %v\n", err)
		return ExitUsage
	}
	if r.dir != "" {
		if !filepath.IsAbs(r.dir) {
			r.dir = filepath.Join(dir, r.dir)
		}
		fi, err := os.Stat(r.dir)
		if err != nil || !fi.IsDir() {
			fmt.Fprintf(r.stderr, "handlergen: -C %s: not a directory\n", filepath.Base(r.dir))
			return ExitUsage
		}
		dir = r.dir
	}
	r.cfg.Dir = dir
	r.cfg.Args = headerArgs(r.rawArgs, dir)
	if r.cfg.Package == "" && r.dir == "" {
		// go generate runs in the package's directory and names the
		// package in $GOPACKAGE; it applies to an output in that directory.
		out := r.cfg.Output
		if !filepath.IsAbs(out) {
			out = filepath.Join(dir, out)
		}
		if p := os.Getenv("GOPACKAGE"); p != "" && filepath.Dir(filepath.Clean(out)) == dir {
			r.cfg.Package = p
		}
	}
	log := r.logger()
	mode := map[string]gen.Mode{"generate": gen.Generate, "check": gen.Check, "list": gen.List}[r.cmd]

	b := &batch{dir: dir, stderr: r.stderr}
	if mixed(r.cfg.Inputs) {
		fmt.Fprintf(r.stderr, "handlergen %s: package patterns (./...) cannot be mixed with contract inputs\n", r.cmd)
		return ExitUsage
	}
	if patternMode(r.cfg.Inputs) {
		if len(r.setFlags) > 0 {
			where := "each registry's flags come from its go:generate line or header"
			if f := r.setFlags[0]; f == "allow" || f == "allow-any" {
				// The allowlist is part of how a registry is made, so it
				// lives with the registry, where go generate reads it too.
				where = fmt.Sprintf("a registry's allowlist belongs to that registry: add -%s to its //go:generate handlergen line (a registry without one records its flags in its header: regenerate it once with them)", f)
			}
			fmt.Fprintf(r.stderr, "handlergen %s: -%s cannot be combined with package patterns: %s\n", r.cmd, r.setFlags[0], where)
			return ExitUsage
		}
		if err := b.runPatterns(r.cfg.Inputs, mode); err != nil {
			fmt.Fprintf(r.stderr, "handlergen: %v\n", err)
			return ExitUsage
		}
	} else {
		if r.cfg.AllowAny {
			fmt.Fprintln(r.stderr, "handlergen: -allow-any: contracts may name a type in any package")
		}
		res, err := gen.Run(context.Background(), r.cfg, mode)
		if err != nil {
			fmt.Fprintf(r.stderr, "handlergen: %v\n", err)
			return ExitUsage
		}
		b.add(res, dir)
	}
	if r.cmd == "generate" {
		b.commit()
	}
	r.report(b)
	if r.verbose {
		r.summary(log, b)
	}
	if b.diags.HasErrors() {
		return ExitError
	}
	return ExitOK
}

// patternMode reports whether the inputs are package patterns (./...):
// then handlergen works on every registry it finds there.
func patternMode(inputs []string) bool {
	if len(inputs) == 0 {
		return false
	}
	for _, in := range inputs {
		if !gen.IsPattern(in) {
			return false
		}
	}
	return true
}

func mixed(inputs []string) bool {
	n := 0
	for _, in := range inputs {
		if gen.IsPattern(in) {
			n++
		}
	}
	return n > 0 && n < len(inputs)
}

// batch is the outcome of a run over one or more registries, with every
// path rebased onto the working directory.
type batch struct {
	dir     string
	stderr  io.Writer
	results []*gen.Result
	outputs []string // each result's output, relative to dir
	written []bool   // each result's file was written by commit
	froms   []string // each result's working directory
	diags   diag.List
}

func (b *batch) add(res *gen.Result, from string) {
	b.results = append(b.results, res)
	b.froms = append(b.froms, from)
	b.outputs = append(b.outputs, res.Output)
	b.written = append(b.written, false)
	b.diags = append(b.diags, res.Diags...)
}

// rebase turns a path relative to from into one relative to dir.
func rebase(dir, from, p string) string {
	if p == "" || from == dir {
		return p
	}
	rel, err := filepath.Rel(dir, filepath.Join(from, filepath.FromSlash(p)))
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// runPatterns finds every registry under the patterns and runs them
// together: one packages.Load for all their handler packages.
func (b *batch) runPatterns(patterns []string, mode gen.Mode) error {
	found, ds := gen.FindRegistries(b.dir, patterns)
	b.diags.Append(ds...)
	var cfgs []gen.Config
	for _, f := range found {
		out := relTo(b.dir, f.Output)
		cfg, err := configFromArgs(f.Args, f.Dir)
		if err != nil {
			b.diags.Errorf(registry.StaleOutput, diag.Position{File: out}, "cannot use the recorded handlergen arguments %q: %v", f.Args, err)
			continue
		}
		cfg.Base = b.dir
		if cfg.Package == "" && f.Directive != "" && cfg.Dir == f.Dir && filepath.Dir(f.Output) == f.Dir {
			// What go generate would pass as $GOPACKAGE (see run.exec):
			// the directive file's package, which for a test file may be
			// the external test package.
			cfg.Package = f.Package
		}
		if cfg.AllowAny {
			fmt.Fprintf(b.stderr, "handlergen: %s: -allow-any: contracts may name a type in any package\n", out)
		}
		if f.Header && f.Directive == "" {
			files, _ := contracts.Discover(cfg.Inputs, contracts.Options{Dir: cfg.Dir})
			if len(files) == 0 {
				b.diags.Errorf(registry.OrphanedOutput, diag.Position{File: out, Line: 1}, "orphaned registry: its contracts (%s) are gone and no go:generate directive makes it; delete it or restore them", strings.Join(cfg.Inputs, " "))
				continue
			}
		}
		cfgs = append(cfgs, cfg)
	}
	if len(found) == 0 && len(ds) == 0 {
		b.diags.Errorf(registry.FileNotFound, diag.Position{}, "no handlergen registries (generated files or go:generate directives) in %s", strings.Join(patterns, " "))
	}
	if len(cfgs) == 0 {
		return nil
	}
	rs, err := gen.RunAll(context.Background(), cfgs, mode)
	if err != nil {
		return err
	}
	for i, res := range rs {
		b.add(res, cfgs[i].Dir)
	}
	b.diags.Sort()
	return nil
}

func relTo(dir, p string) string {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return filepath.Base(p)
	}
	return filepath.ToSlash(rel)
}

// configFromArgs reads a registry's recorded generate arguments with the
// same flags as the command line, for a run in dir (a -C among them moves
// it, as it would for go generate).
func configFromArgs(args []string, dir string) (gen.Config, error) {
	r := &run{cmd: "generate", stdout: io.Discard, stderr: io.Discard, rawArgs: args}
	if err := r.parse(args); err != nil {
		return gen.Config{}, err
	}
	if patternMode(r.cfg.Inputs) || mixed(r.cfg.Inputs) {
		return gen.Config{}, fmt.Errorf("recorded inputs are package patterns")
	}
	r.cfg.Dir = dir
	if r.dir != "" {
		r.cfg.Dir = filepath.Join(dir, r.dir)
		if filepath.IsAbs(r.dir) {
			r.cfg.Dir = r.dir
		}
	}
	r.cfg.Args = headerArgs(args, r.cfg.Dir)
	return r.cfg, nil
}

func (r *run) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(r.stderr, opts)
	if r.logFormat == "json" {
		h = slog.NewJSONHandler(r.stderr, opts)
	}
	return slog.New(h).With("correlation_id", r.correlationID.String())
}

// summary logs the run in the Python loader's shape, so log queries written
// for it keep matching.
func (r *run) summary(log *slog.Logger, b *batch) {
	nerr, nwarn := b.diags.Count()
	// As in the Python loader, a failure is a file (a contract, or the
	// output) with its first error code, however many errors it has; an
	// error that belongs to no file (a bad -interface) is one too.
	var failed []string
	failedFile := map[string]bool{}
	for _, d := range b.diags {
		if d.Severity != diag.Error || d.Pos.File != "" && failedFile[d.Pos.File] {
			continue
		}
		failedFile[d.Pos.File] = d.Pos.File != ""
		failed = append(failed, fmt.Sprintf("%s [%s]", orRun(d.Pos.File), d.Code))
	}
	var names, classes []string
	loaded := 0
	discovered := map[string]bool{} // registries may share contract files
	var tm gen.Timings
	for i, res := range b.results {
		for _, h := range res.Handlers {
			names = append(names, h.Contract.Name)
			classes = append(classes, h.Contract.Class)
		}
		loaded += len(res.Handlers)
		if r.cmd == "list" {
			for _, c := range res.Contracts {
				// Diagnostics are relative to b.dir, contracts to their run's directory.
				if !failedFile[rebase(b.dir, b.froms[i], c.Path)] {
					names = append(names, c.Name)
					classes = append(classes, c.Class)
					loaded++
				}
			}
		}
		for _, f := range res.Files {
			discovered[f] = true // relative to b.dir, as diagnostics are
		}
		tm.Contracts += res.Timings.Contracts
		tm.Load = max(tm.Load, res.Timings.Load) // shared by the batch
		tm.Verify += res.Timings.Verify
		tm.Emit += res.Timings.Emit
		tm.Total = max(tm.Total, res.Timings.Total)
	}
	attrs := []any{
		"operation", r.cmd, "source", strings.Join(r.cfg.Inputs, ", "),
		"registries", len(b.results), "total_discovered", len(discovered), "total_loaded", loaded, "total_failed", len(failed), "warnings", nwarn,
		"duration_seconds", tm.Total.Seconds(), "handler_names", capList(names, 50), "handler_classes", capList(classes, 50),
		"timings", fmt.Sprintf("contracts=%s load=%s verify=%s emit=%s", ms(tm.Contracts), ms(tm.Load), ms(tm.Verify), ms(tm.Emit)),
	}
	if nerr == 0 {
		log.Info(fmt.Sprintf("Handler load complete successfully: %d handlers loaded in %s", loaded, duration(tm.Total)), attrs...)
		return
	}
	log.Warn(fmt.Sprintf("Handler load complete with failures: %d handlers loaded in %s (%d failed)", loaded, duration(tm.Total), len(failed)),
		append(attrs, "failed_paths", failed)...)
}

func orRun(file string) string {
	if file == "" {
		return "(run)"
	}
	return file
}

// capList keeps a log attribute readable for large registries.
func capList(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("… %d more", len(xs)-n))
}

func ms(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

// duration formats like the Python loader: us below 1ms, ms below 1s, else s.
func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fus", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

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
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/pathx"
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
  handlergen action     -config FILE          one registry from declared inputs only (build-farm action)
  handlergen schema                           print the contract JSON Schema
  handlergen version
  handlergen new [-interface PATH.Name] [-type TYPE] DIR/NAME
                                              write a new handler package, its contract and a go:generate line

INPUT is a contract file, a directory (searched recursively for
handler_contract.yaml and contract.yaml) or a glob (** allowed); default ".".
Run "handlergen generate -h" for the flags.
`

// helpOnly reports whether args ask for help alone, as -h does for every
// subcommand with flags (which the flag package answers).
func helpOnly(args []string) bool {
	return len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

// Main runs handlergen with args (without the program name) and returns
// the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runIn(env{}, args, stdin, stdout, stderr)
}

// env is what a run takes from its process: the working directory and the
// variables the CLI reads itself ($GITHUB_ACTIONS, $GOPACKAGE, $GOFILE).
// Main runs in the process's; a test passes its own, so it can run in
// parallel with others instead of calling t.Chdir or t.Setenv. (The
// generator, and the go command it runs, still read the process's
// environment for the go command's settings and handlergen's cache.)
type env struct {
	dir  string            // absolute; "" is the process's working directory
	vars map[string]string // nil is the process's environment
}

func (e env) getwd() (string, error) {
	if e.dir != "" {
		return e.dir, nil
	}
	return os.Getwd()
}

func (e env) getenv(name string) string {
	if e.vars != nil {
		return e.vars[name]
	}
	return os.Getenv(name)
}

// runIn is Main in e.
func runIn(e env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "generate"
	if len(args) > 0 {
		switch args[0] {
		case "generate", "check", "list", "schema", "version", "new", "action":
			cmd, args = args[0], args[1:]
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return ExitOK
		}
	}
	switch cmd {
	case "new":
		return runNew(e, args, stdout, stderr)
	case "action":
		return runAction(e, args, stdout, stderr)
	case "schema":
		if helpOnly(args) {
			fmt.Fprint(stderr, "usage: handlergen schema\n\nPrints the JSON Schema (draft 2020-12) of handler contracts on stdout.\n")
			return ExitOK
		}
		if len(args) > 0 {
			say(stderr, "handlergen schema: unexpected arguments %q", args)
			return ExitUsage
		}
		stdout.Write(contracts.Schema())
		return ExitOK
	case "version":
		if helpOnly(args) {
			fmt.Fprint(stderr, "usage: handlergen version\n\nPrints handlergen's version on stdout.\n")
			return ExitOK
		}
		if len(args) > 0 {
			say(stderr, "handlergen version: unexpected arguments %q", args)
			return ExitUsage
		}
		fmt.Fprintf(stdout, "handlergen %s\n", Version())
		return ExitOK
	}
	r := &run{cmd: cmd, env: e, stdout: stdout, stderr: stderr}
	if err := r.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		say(stderr, "handlergen %s: %v", cmd, err)
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
	mode           gen.Mode // what the run does: a check-mode action is cmd "action"
	env            env
	stdout, stderr io.Writer

	flags         *cmdline.Flags
	cfg           gen.Config
	format        diag.Format
	correlationID uuid.UUID
}

// parse reads the command line with cmdline's flag set and settles what
// only the CLI decides: the report format and the correlation ID.
func (r *run) parse(args []string) error {
	f, err := cmdline.Parse(r.cmd, args, r.stderr)
	if err != nil {
		return err
	}
	r.flags = f
	format := f.Format
	if format == "" {
		format = string(diag.Text)
		if r.env.getenv("GITHUB_ACTIONS") == "true" {
			format = string(diag.GitHub)
		}
	}
	if r.format, err = diag.ParseFormat(format); err != nil {
		return err
	}
	r.correlationID = uuid.New()
	if f.CorrelationID != "" {
		if r.correlationID, err = uuid.Parse(f.CorrelationID); err != nil {
			return fmt.Errorf("-correlation-id %q: %v", f.CorrelationID, err)
		}
	}
	return nil
}

// ConfigOf is the generator's configuration for a command line, typed or
// recorded, run in dir (-C already applied). gen's case tests make their
// runs with it, so that a case's arguments mean what they mean to
// handlergen generate.
func ConfigOf(f *cmdline.Flags, dir string) gen.Config {
	return gen.Config{
		Dir: dir, Inputs: f.Inputs, Output: f.Output, Package: f.Package, Interface: f.Interface, Var: f.Var,
		Allow: f.Allow, AllowAny: f.AllowAny, Only: f.Only, MaxHandlers: f.MaxHandlers, MaxSize: f.MaxSize, ForbidInit: f.ForbidInit,
		Args: f.Header(dir),
	}
}

func (r *run) exec() int {
	dir, err := r.env.getwd()
	if err != nil {
		say(r.stderr, "handlergen: %v", err)
		return ExitUsage
	}
	if r.flags.Dir != "" {
		dir = r.flags.RunDir(dir)
		// The value as typed: the user's own argument, where its last
		// element alone would name another directory.
		fi, err := os.Stat(dir)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			say(r.stderr, "handlergen %s: -C %q: no such directory", r.cmd, r.flags.Dir)
			return ExitUsage
		case err != nil:
			say(r.stderr, "handlergen %s: -C %q: %v", r.cmd, r.flags.Dir, pathx.Pathless(err))
			return ExitUsage
		case !fi.IsDir():
			say(r.stderr, "handlergen %s: -C %q: not a directory", r.cmd, r.flags.Dir)
			return ExitUsage
		}
	}
	r.cfg = ConfigOf(r.flags, dir)
	if r.flags.UsesGOPACKAGE(dir) {
		// go generate runs in the package's directory and names the
		// package in $GOPACKAGE; it applies to an output in that directory.
		// It is data from the environment: like -package, an identifier.
		if p := r.env.getenv("GOPACKAGE"); p != "" {
			if !cmdline.IsIdent(p) {
				say(r.stderr, "handlergen %s: $GOPACKAGE %q is not a Go identifier", r.cmd, p)
				return ExitUsage
			}
			r.cfg.Package = p
		}
	}
	log := r.logger()
	r.mode = map[string]gen.Mode{"generate": gen.Generate, "check": gen.Check, "list": gen.List}[r.cmd]
	mode := r.mode

	b := &batch{dir: dir, stderr: r.stderr}
	var found []cmdline.Found
	var tree cmdline.Tree
	var ds diag.List
	if r.bare() {
		// No INPUT: what this directory's package records, as ./...
		// would run it, so that a bare check agrees with go generate.
		found, ds = cmdline.FindRegistries(dir, []string{"."})
		if len(found) == 0 && !ds.HasErrors() && r.cmd == "generate" && modtree.ModuleRoot(dir) == "" {
			b.say("handlergen: no go.mod here or above, and no registry recorded here: a bare handlergen writes only inside a module (at a go.work root, run handlergen generate ./...)")
			return ExitUsage
		}
	}
	if cmdline.Patterns(r.cfg.Inputs) || len(found) > 0 || ds.HasErrors() {
		if len(found) == 0 && !ds.HasErrors() {
			found, tree, ds = cmdline.Search(dir, r.cfg.Inputs)
		}
		if err := b.runFound(found, tree, ds, r.cfg.Inputs, mode); err != nil {
			b.say("handlergen: %v", err)
			return ExitUsage
		}
	} else {
		if r.cfg.AllowAny {
			fmt.Fprintln(r.stderr, "handlergen: -allow-any: contracts may name a type in any package")
		}
		res, err := gen.Run(context.Background(), r.cfg, mode)
		if err != nil {
			say(r.stderr, "handlergen: %v", err)
			return ExitUsage
		}
		b.add(res, dir)
	}
	if r.cmd == "generate" {
		b.commit()
	}
	r.report(b)
	if r.flags.Verbose {
		r.summary(log, b)
	}
	if b.diags.HasErrors() {
		return ExitError
	}
	return ExitOK
}

// maxReported bounds the diagnostics a run prints (bound). Only what is
// printed is bounded: -v's counts and the exit status are the whole run's.
const maxReported = 1000

// bound keeps the first n diagnostics of l (n > 0) and counts the rest in
// one more, an error when any of them is one, at the position and with the
// code of the first it stands for. A run over thousands of bad files would
// otherwise print hundreds of thousands of lines that help nobody; the
// exit status is the same either way.
func bound(l diag.List, n int) diag.List {
	if len(l) <= n {
		return l
	}
	rest := l[n:]
	errs, warns := rest.Count()
	sum := diag.Diagnostic{Code: rest[0].Code, Severity: diag.Warning, Pos: rest[0].Pos,
		Message: fmt.Sprintf("and %d more diagnostics (%d errors, %d warnings) not shown: handlergen reports at most %d in a run; fix these and run again", len(rest), errs, warns, n)}
	if errs > 0 {
		sum.Severity = diag.Error
	}
	return append(slices.Clip(l[:n]), sum)
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

	// shown rewrites text to show go:generate directives' words as
	// written (cmdline.Unexpander); nil: nothing to rewrite.
	shown func(string) string
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

// bare reports whether the command line names nothing to make: no INPUT
// and no flag that shapes the output, outside go generate (whose own
// directive, bare or not, is what runs).
func (r *run) bare() bool {
	return len(r.flags.Inputs) == 0 && len(r.flags.Shaping) == 0 && r.env.getenv("GOFILE") == ""
}

// runFound runs the registries found under the patterns together: one
// packages.Load for all their handler packages. patterns is empty for a
// bare command, which ran on the working directory's package alone; tree
// is what the search of the patterns met.
func (b *batch) runFound(found []cmdline.Found, tree cmdline.Tree, ds diag.List, patterns []string, mode gen.Mode) error {
	b.shown = cmdline.Unexpander(found)
	b.diags.Append(ds...)
	nested := make([]string, len(tree.Nested))
	for i, n := range tree.Nested {
		nested[i] = pathx.Rel(b.dir, n)
	}
	b.unsearched(nested)
	var cfgs []gen.Config
	var bounds []string // each registry's module directory, resolved
	for _, f := range found {
		out := pathx.Rel(b.dir, f.Output)
		cfg := ConfigOf(f.Flags, f.Dir)
		cfg.Base = b.dir
		if f.Directive != "" && f.Flags.UsesGOPACKAGE(f.Dir) {
			// What go generate would pass as $GOPACKAGE (see run.exec):
			// the directive file's package, which for a test file may be
			// the external test package. Like $GOPACKAGE, an identifier.
			if f.Package != "" && !cmdline.IsIdent(f.Package) {
				file, _, _ := strings.Cut(f.Directive, ":")
				b.diags.Errorf(registry.OutputWriteError, diag.Position{File: file}, "$GOPACKAGE %q (the directive file's package) is not a Go identifier; give the directive -package", f.Package)
				continue
			}
			cfg.Package = f.Package
		}
		if cfg.AllowAny {
			b.say("handlergen: %s: -allow-any: contracts may name a type in any package", out)
		}
		if f.Header && f.Directive == "" {
			files, _ := contracts.Discover(cfg.Inputs, contracts.Options{Dir: cfg.Dir})
			if len(files) == 0 {
				b.diags.Errorf(registry.OrphanedOutput, diag.Position{File: out, Line: 1}, "orphaned registry: its contracts (%s) are gone and no go:generate directive makes it; delete it or restore them", strings.Join(cfg.Inputs, " "))
				continue
			}
		}
		cfgs = append(cfgs, cfg)
		bounds = append(bounds, f.Bound)
	}
	if len(found) == 0 && len(ds) == 0 {
		msg := fmt.Sprintf("no handlergen registries (generated files or go:generate directives) in %s", strings.Join(patterns, " "))
		if len(nested) > 0 {
			// ./... stops at nested modules, as it does for the go
			// command; only at a go.work root outside every module does
			// it walk each workspace module instead.
			msg += fmt.Sprintf("; nested modules are not searched: %s (run handlergen in each, or from the root of a go.work that uses them)", strings.Join(nested, ", "))
		}
		b.diags.Errorf(registry.FileNotFound, diag.Position{}, "%s", msg)
	}
	if len(cfgs) == 0 {
		return nil
	}
	rs, err := gen.RunAll(context.Background(), cfgs, mode)
	if err != nil {
		return err
	}
	for i, res := range rs {
		// The path gen resolved, once, for reading the output and for
		// writing it must still lie in the module: a link swapped since
		// discovery does not lead the write out.
		if bounds[i] != "" && res.Path != "" && !modtree.Within(bounds[i], res.Path) {
			res.Diags.Errorf(registry.OutputWriteError, diag.Position{File: res.Output}, "the output leads outside the module; recorded arguments may not reach outside the module that holds them")
		}
		b.add(res, cfgs[i].Dir)
	}
	b.unread(tree.Contracts, rs)
	b.diags.Sort()
	b.diags = b.diags.Compact()
	return nil
}

// unread warns of each contract file the search met, walking as ./...
// walks, that none of the registries read: a handler that no build
// registers, however valid its contract, and which check would otherwise
// pass in silence.
func (b *batch) unread(met []string, rs []*gen.Result) {
	read := map[string]bool{}
	for _, res := range rs {
		for _, f := range res.Files {
			p := filepath.Join(b.dir, filepath.FromSlash(f))
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			read[p] = true
		}
	}
	seen := map[string]bool{}
	for _, p := range met {
		real, err := filepath.EvalSymlinks(p)
		if err != nil || read[real] || seen[real] {
			continue
		}
		seen[real] = true
		b.diags.Warnf(registry.UnreadContract, diag.Position{File: pathx.Rel(b.dir, p)}, "no registry reads this contract, so no build registers its handler: add its directory to the inputs of a registry's //go:generate line, or delete it")
	}
}

// selfModule is handlergen's own module path.
const selfModule = "github.com/handlergen/handlergen"

// unsearched warns of each nested module the search did not enter
// (relative to the working directory) that the build compiles or works in,
// as the go command leaves it out of ./...: a registry there is checked
// only by a run in it.
func (b *batch) unsearched(nested []string) {
	if len(nested) == 0 {
		return
	}
	used := modtree.Used(b.dir, goenv.ModFile())
	for _, n := range nested {
		abs := filepath.Join(b.dir, filepath.FromSlash(n))
		why, ok := used[abs]
		// A copy of handlergen kept in the repository for go tool
		// handlergen (third_party/handlergen and a replace, before a
		// release) is the tool, not registries of this build.
		if !ok || modtree.ModulePath(filepath.Join(abs, "go.mod")) == selfModule {
			continue
		}
		b.diags.Warnf(registry.UnsearchedModule, diag.Position{File: n}, "nested module %s is part of this build (%s), but ./... does not search nested modules, as go generate ./... does not: check its registries with handlergen check ./... in %s", n, why, n)
	}
}

func (r *run) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: escapeAttr}
	var h slog.Handler = slog.NewTextHandler(r.stderr, opts)
	if r.flags.LogFormat == "json" {
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
		if r.mode == gen.List {
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

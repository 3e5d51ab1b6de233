// Package gen is handlergen as a library: it takes validated contracts from
// package contracts, checks every handler_class against the allowlist,
// lists all of their packages with one golang.org/x/tools/go/packages load
// (never the output package), reads their types from the compiler's export
// data in one go/types universe (or answers from the verification cache,
// keyed by that export data), proves with go/types that each type
// implements the handler interface, and emits the registry file with
// jennifer. The same Run serves generate and check: it computes each
// registry's bytes and reads the file on disk (through internal/output, so
// that the path it resolves is the one a commit writes), and never writes:
// the caller commits, with Commit, all or nothing, as wire's Generate
// leaves the write to its result's Commit. Nothing here prints or exits:
// results and diagnostics go back to the caller.
//
// jennifer renders only the registry file's skeleton: header, package
// clause, declarations and comments, which go/format then formats. The
// import block and the parts that grow with the registry (entries, index
// rows, interface guards) are written already formatted in place of one
// placeholder line each (emit). jennifer could render all of it, and
// emitRef in a test does: TestEmitMatchesJennifer checks over randomized
// registries that both give the same bytes. But it took over ten times as
// long at 100, 1,000 and 10,000 handlers (BenchmarkEmit; over a second
// more at 10,000), most of it go/format laying out the entries. Letting
// jennifer qualify names too costs more still (its import bookkeeping
// checks each new name against every earlier one), and its import block,
// one sorted group, is not the goimports grouping the file has.
package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// Mode says what a run is for.
type Mode int

const (
	Generate Mode = iota // compute the file that is to be written (see Result.Path)
	Check                // also report a missing or stale file on disk (042)
	List                 // read the contracts and check the allowlist; never runs the go command
)

// Config is one handlergen run.
type Config struct {
	Dir         string   // working directory, absolute; "" = os.Getwd()
	Base        string   // directory that paths in diagnostics and Result.Output are relative to; "" = Dir
	Inputs      []string // contract files, directories, globs; relative to Dir
	Output      string   // output file, relative to Dir (default registry_gen.go)
	Package     string   // package clause; "" = derived (see packageName)
	Interface   string   // IMPORT/PATH.Name of the handler interface
	Var         string   // registry variable name (default Registry)
	Allow       []string // allowlist prefixes added to the default, the main module(s)
	AllowAny    bool
	Only        []string // when not empty, every class must also lie under one of these (-only)
	MaxHandlers int
	MaxSize     int64
	ForbidInit  bool     // init() in a handler package is an error, not a warning
	Args        []string // command-line arguments recorded in the header
	// Action, when set, makes the run a build-farm action (RunAction):
	// what the run would learn from the go command and the tree, it takes
	// from here.
	Action *Action
}

// Handler is a contract resolved to a Go type.
type Handler struct {
	Contract *contracts.Contract
	PkgName  string // the handler package's name
	Pointer  bool   // *T implements the interface, T does not
	Struct   bool   // T's underlying type is a struct, so T{} is a value
	Ctor     *Constructor
	GoPos    diag.Position // where the type is declared
}

// Constructor describes a usable New<Type> function.
type Constructor struct {
	Name    string
	Context bool // takes a context.Context
	Error   bool // returns an error
}

// Result is what a run found and produced.
type Result struct {
	Contracts []*contracts.Contract
	// Files are the contract files found, valid or not (a directory
	// holding both contract names counts once), sorted, with paths as diagnostics
	// give them: registries of one run may share contracts, and a summary
	// counts each file once.
	Files    []string
	Handlers []*Handler // sorted by name; empty when errors prevented resolution
	Output   string     // output path relative to Base (or Dir), slash-separated
	// Path is where the output is, absolute, with symbolic links resolved
	// once: the file OnDisk was read from and the one to replace.
	Path    string
	Source  []byte      // generated bytes (nil in List mode or on error)
	OnDisk  []byte      // the existing file's bytes, nil when absent
	Exists  bool        // the output file existed
	Perm    fs.FileMode // the existing file's permissions (0644 for a new one), for the commit
	Diags   diag.List
	Timings Timings
}

// Timings breaks a run down by stage, for -v.
type Timings struct {
	Contracts, Load, Verify, Emit, Total time.Duration
}

// Stale reports whether the file on disk differs from what would be generated.
func (r *Result) Stale() bool { return r.Source != nil && string(r.Source) != string(r.OnDisk) }

func (c *Config) defaults() error {
	if c.Dir == "" {
		d, err := os.Getwd()
		if err != nil {
			return err
		}
		c.Dir = d
	}
	if !filepath.IsAbs(c.Dir) {
		d, err := filepath.Abs(c.Dir)
		if err != nil {
			return err
		}
		c.Dir = d
	}
	if c.Output == "" {
		c.Output = cmdline.DefaultOutput
	}
	if c.Interface == "" {
		c.Interface = cmdline.DefaultInterface
	}
	if c.Var == "" {
		c.Var = cmdline.DefaultVar
	}
	if len(c.Inputs) == 0 {
		c.Inputs = []string{"."}
	}
	return nil
}

// Run performs one run for one registry. Errors that concern the run
// itself (a bad configuration, a failure to invoke the go command) are
// returned as err; everything about the inputs is in Result.Diags.
func Run(ctx context.Context, cfg Config, mode Mode) (*Result, error) {
	rs, err := RunAll(ctx, []Config{cfg}, mode)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// job is one registry's share of a run.
type job struct {
	cfg    Config
	res    *Result
	r      *resolver
	todo   []*contracts.Contract
	outAbs string
	start  time.Time
}

// RunAll performs one run for several registries — handlergen generate
// ./... — with one packages.Load per module for the union of their handler
// packages. It writes nothing: the caller commits the results (Commit), and only
// when no registry has an error.
func RunAll(ctx context.Context, cfgs []Config, mode Mode) ([]*Result, error) {
	// No go command runs for a root whose module files would hang it
	// (preflight.go).
	var pre preflighted
	if mode != List {
		pre = preflight(cfgs)
	}
	// The load starts now, beside the contracts' parsing (prefetch.go).
	var pf *prefetcher
	if mode != List {
		pf = startPrefetch(ctx, cfgs, pre)
		defer pf.stop()
	}
	jobs := make([]*job, len(cfgs))
	byDir := map[string][]*job{}
	for i, cfg := range cfgs {
		j, err := prepare(cfg, mode)
		if err != nil {
			return nil, err
		}
		pre.report(j)
		jobs[i] = j
		byDir[j.r.out.dir] = append(byDir[j.r.out.dir], j)
	}
	// Registries of one package in one run declare their names for each
	// other, even before their files exist. (List writes no file.)
	for _, js := range byDir {
		for _, j := range js {
			for _, k := range js {
				if k != j {
					j.r.out.decls = append(j.r.out.decls, declaredNames(k.cfg.Var)...)
				}
			}
			if mode != List {
				j.checkNames()
			}
		}
	}
	if mode != List {
		if err := resolveAll(ctx, jobs, pf, pre); err != nil {
			return nil, err
		}
	}
	out := make([]*Result, len(jobs))
	for i, j := range jobs {
		if mode != List {
			if err := j.emit(mode); err != nil {
				return nil, err
			}
		}
		j.rebase()
		j.res.Diags.Sort()
		j.res.Timings.Total = time.Since(j.start)
		out[i] = j.res
	}
	return out, nil
}

// outputPath is the output file of cfg (after defaults), absolute, as the
// kernel resolves it: not Join, whose Clean would take a ".." lexically
// where the kernel takes it from wherever a linked directory leads.
func outputPath(cfg *Config) string {
	if filepath.IsAbs(cfg.Output) {
		return cfg.Output
	}
	return cfg.Dir + string(filepath.Separator) + cfg.Output
}

// prepare does everything that needs no type information: read and
// validate the contracts, find duplicates, check the allowlist.
func prepare(cfg Config, mode Mode) (*job, error) {
	j := &job{start: time.Now()}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ifacePath, ifaceName, ok := cmdline.SplitQualified(cfg.Interface)
	if !ok {
		return nil, fmt.Errorf("-interface %q: want IMPORT/PATH.Name", cfg.Interface)
	}
	j.outAbs = outputPath(&cfg)
	res := &Result{Output: pathx.Rel(cfg.Dir, filepath.Clean(j.outAbs))}
	// -allow adds to the default, so that allowing one more package never
	// shuts out the user's own handlers.
	allow := allowlist{Any: cfg.AllowAny, Only: cfg.Only}
	if !cfg.AllowAny {
		allow.Prefixes = cfg.Allow
		if cfg.Action != nil {
			allow.Modules = slices.Sorted(slices.Values(cfg.Action.Modules))
		} else {
			allow.Modules = findMainModules(cfg.Dir)
		}
	}

	t := time.Now()
	cs, ds := contracts.Load(cfg.Inputs, contracts.Options{Dir: cfg.Dir, MaxSize: cfg.MaxSize, MaxHandlers: cfg.MaxHandlers})
	res.Contracts = cs
	res.Files = invalidFiles(ds)
	for _, c := range cs {
		res.Files = append(res.Files, c.Path)
	}
	slices.Sort(res.Files)
	res.Diags.Append(ds...)
	res.Timings.Contracts = time.Since(t)
	if len(cs) == 0 && len(ds) == 0 {
		// Not an error (an empty registry is valid), but rarely meant.
		res.Diags.Warnf(registry.FileNotFound, diag.Position{}, "no contract files (handler_contract.yaml, contract.yaml) found in %s", strings.Join(cfg.Inputs, " "))
	}
	checkDuplicates(cs, &res.Diags, func(p string) string {
		if cfg.Base == "" {
			return p
		}
		return pathx.Rel(cfg.Base, filepath.Join(cfg.Dir, filepath.FromSlash(p)))
	})

	outFile := filepath.Clean(j.outAbs)
	outDir := filepath.Dir(outFile)
	var out outputPkg
	if a := cfg.Action; a != nil {
		names, err := a.packageFiles(outDir)
		if err != nil {
			return nil, err
		}
		out = outputPkg{dir: outDir, file: outFile, path: a.ImportPath}
		out.name, out.decls, out.imported = scanFiles(outDir, outFile, cfg.Package, names)
	} else {
		out = outputPkg{dir: outDir, file: outFile, path: modtree.ImportPath(outDir, cfg.Dir, goenv.ModFile())}
		out.name, out.decls, out.imported = scanOutput(outDir, outFile, cfg.Package)
	}
	if out.name == "main" && cfg.Var == "main" {
		return nil, fmt.Errorf("-var main: the output is in package main, where main is the program's function")
	}
	j.cfg = cfg
	j.res = res
	j.r = &resolver{cfg: &j.cfg, out: out, allow: allow, diags: &res.Diags, ifacePath: ifacePath, ifaceName: ifaceName}
	if cfg.Action != nil {
		j.r.names.root = cfg.Action.Root // no walk up the tree for a go.mod
	}
	if out.path != "" && ifacePath == out.path {
		// The output package is never loaded (a stale file must not block
		// its own regeneration), so the interface cannot live there.
		res.Diags.Errorf(registry.PackageNotImportable, diag.Position{}, "-interface: %s is in the output package %s; handlergen never loads the package it writes to: move the interface", cfg.Interface, out.path)
		j.r.ifaceUnloadable = true
	}
	j.todo = j.r.preflight(cs) // its diagnostics are due either way
	return j, nil
}

// resolveAll loads the packages of all jobs, one packages.Load per module
// root (normally one), and verifies every job's contracts. A root that
// preflight blocked is not loaded: its jobs have its diagnostics already.
func resolveAll(ctx context.Context, jobs []*job, pf *prefetcher, pre preflighted) error {
	type group struct {
		dir   string
		paths map[string]bool
		jobs  []*job
	}
	var groups []*group
	byRoot := map[string]*group{}
	for _, j := range jobs {
		root, dir := loadAt(&j.cfg)
		if pre.blocked(root) {
			continue
		}
		g := byRoot[root]
		if g == nil {
			g = &group{dir: dir, paths: map[string]bool{}}
			byRoot[root] = g
			groups = append(groups, g)
		}
		g.jobs = append(g.jobs, j)
		if !j.r.ifaceUnloadable {
			g.paths[j.r.ifacePath] = true // handler packages and the interface's, in one load
		}
		for _, c := range j.todo {
			g.paths[c.ImportPath] = true
		}
	}
	claimed := make([]*prefetch, len(groups))
	for i, g := range groups {
		claimed[i] = pf.claim(g.dir, g.paths)
	}
	pf.release()
	for i, g := range groups {
		t := time.Now()
		ld, ok := claimed[i].take()
		var err error
		if !ok {
			ld, err = loadPackages(ctx, g.dir, g.paths)
		}
		if err != nil {
			// The go command could not list anything (a broken go.mod,
			// inconsistent vendoring): every registry of the group fails
			// with its message, and the other diagnostics still count.
			file, line, col := loadErrPos(err.Error())
			for _, j := range g.jobs {
				var pos diag.Position
				if file != "" {
					// Named relative to where the go command ran; rebase
					// takes positions relative to the registry's directory.
					pos = diag.Position{File: pathx.Rel(j.cfg.Dir, filepath.Join(g.dir, filepath.FromSlash(file))), Line: line, Col: col}
				}
				j.res.Diags.Errorf(registry.ImportError, pos, "%v", err)
			}
			continue
		}
		load := time.Since(t)
		for _, j := range g.jobs {
			t := time.Now()
			j.res.Timings.Load = load
			j.res.Handlers = j.r.check(j.todo, ld)
			j.res.Timings.Verify = time.Since(t)
		}
		if ld.index != nil {
			ld.index.save()
		}
	}
	// The package graph (types, export data, go list's JSON) is garbage now
	// and is most of the heap. Collecting it before emission keeps a large
	// run's peak memory at the load's instead of the load's plus the
	// emitted file's (at 10,000 handlers, hundreds of MB).
	runtime.GC()
	return nil
}

// modFileLine is a line of the go command's message on a go.mod or go.work
// that names a place in it: "../b/go.mod:5: syntax error …".
var modFileLine = regexp.MustCompile(`(?m)^((?:[^\s:$][^\s:]*/)?go\.(?:mod|work)):(\d+)(?::(\d+))?: `)

// loadErrPos finds in a failed load's message the place in a go.mod or
// go.work it is about, relative to where the go command ran; "" when it
// names none.
func loadErrPos(msg string) (file string, line, col int) {
	m := modFileLine.FindStringSubmatch(msg)
	if m == nil {
		return "", 0, 0
	}
	line, _ = strconv.Atoi(m[2])
	col, _ = strconv.Atoi(m[3])
	return m[1], line, col
}

// loadAt returns the root of the module or workspace whose one load
// serves cfg's registry, by which preflight, startPrefetch and resolveAll
// group registries, and where the go command runs for it: the working
// directory of the run (cfg.Base) when it lies in the same tree, so that a
// failure of the whole load names the files it is about (a broken go.mod
// of another workspace module) as the user's shell does, else the
// registry's own directory.
func loadAt(cfg *Config) (root, dir string) {
	root = modtree.Root(cfg.Dir)
	if cfg.Base != "" && modtree.Root(cfg.Base) == root {
		return root, cfg.Base
	}
	return root, cfg.Dir
}

// rebase re-expresses the job's paths relative to cfg.Base, for runs over
// several registries that each run in their own directory. Names that are
// not paths in the tree (an import path and file, "-interface") are kept.
func (j *job) rebase() {
	base := j.cfg.Base
	if base == "" || base == j.cfg.Dir {
		return
	}
	move := func(p string) string {
		if p == "" || j.r.names.external[p] {
			return p
		}
		return pathx.Rel(base, filepath.Join(j.cfg.Dir, filepath.FromSlash(p)))
	}
	j.res.Output = move(j.res.Output)
	for i, f := range j.res.Files {
		j.res.Files[i] = move(f)
	}
	slices.Sort(j.res.Files)
	for i := range j.res.Diags {
		d := &j.res.Diags[i]
		d.Pos.File = move(d.Pos.File)
		for k := range d.Related {
			d.Related[k].Pos.File = move(d.Related[k].Pos.File)
		}
	}
}

// emit renders the job's file and compares it with the one on disk.
func (j *job) emit(mode Mode) error {
	res := j.res
	what := "refusing to overwrite"
	if mode == Check {
		what = "generate would refuse to overwrite"
	}
	var f output.File
	var err error
	switch a := j.cfg.Action; {
	case a == nil:
		f, err = output.Read(j.outAbs)
	case mode == Check:
		// The checked-in registry is an input of the action, wherever
		// the build system puts it; the output's own path is not read.
		f, err = output.Read(filepath.Join(a.Root, filepath.FromSlash(a.Check)))
	default:
		f = output.File{Perm: 0o644} // an action's output is always new
	}
	res.Path, res.OnDisk, res.Exists, res.Perm = f.Path, f.Data, f.Exists, f.Perm
	var notRegular *output.NotRegularError
	var tooLarge *output.TooLargeError
	switch {
	case errors.As(err, &notRegular), errors.As(err, &tooLarge):
		res.Diags.Errorf(registry.OutputWriteError, diag.Position{File: res.Output},
			"%s %s: %v; handlergen writes only its own regular files: choose another -o", what, res.Output, err)
	case err != nil:
		res.Diags.Errorf(registry.FileReadError, diag.Position{File: res.Output}, "cannot read the output file: %v", pathx.Pathless(err))
	case f.Exists && !ours(f.Data):
		res.Diags.Errorf(registry.OutputWriteError, diag.Position{File: res.Output, Line: 1},
			"%s %s: it is not a handlergen file (no %q line at its top); move it or choose another -o", what, res.Output, cmdline.HeaderHint)
	}
	if res.Diags.HasErrors() {
		return nil
	}
	t := time.Now()
	src, err := emit(emitConfig{
		Args: j.cfg.Args, Dir: j.cfg.Dir, Pkg: j.r.out, Var: j.cfg.Var,
		IfacePath: j.r.ifacePath, IfaceName: j.r.ifaceName, IfacePkg: j.r.ifacePkgName,
	}, res.Handlers)
	if err != nil {
		return fmt.Errorf("emitting %s: %w", res.Output, err)
	}
	res.Source = src
	res.Timings.Emit = time.Since(t)
	if mode == Check {
		if !res.Exists {
			res.Diags.Errorf(registry.StaleOutput, diag.Position{File: res.Output}, "generated file is missing; run %s to create it", regenerate(&j.cfg))
		} else if res.Stale() {
			res.Diags.Errorf(registry.StaleOutput, diag.Position{File: res.Output}, "generated file is stale (%s); run %s to update it", staleSummary(res.OnDisk, res.Source), regenerate(&j.cfg))
		}
	}
	return nil
}

// regenerate is the command a 042 tells the user to run. At the root of a
// go.work workspace outside every module the go command refuses ./...
// (go generate ./... fails there), while handlergen generate ./... walks
// each workspace module: that is the advice there.
func regenerate(cfg *Config) string {
	if cfg.Action != nil {
		return "handlergen (go generate)" // in the source tree; an action looks at no host
	}
	at := cfg.Base
	if at == "" {
		at = cfg.Dir
	}
	if modtree.ModuleRoot(at) == "" && modtree.WorkFile(at) != "" {
		return "handlergen generate ./..."
	}
	return "handlergen (go generate)"
}

// declaredNames are the package-level names a registry file declares.
func declaredNames(v string) []string {
	return []string{v, "handlergen" + v + "Entries", "handlergen" + v + "Index"}
}

// checkNames reports a registry whose names another file of its package
// already declares — as a package-level name, or as an import name, which
// Go does not allow beside a package-level one: two registries with the
// default -var in one package, say.
func (j *job) checkNames() {
	out := j.r.out
	for _, n := range declaredNames(j.cfg.Var) {
		if slices.Contains(out.decls, n) || slices.Contains(out.imported, n) {
			j.res.Diags.Errorf(registry.OutputWriteError, diag.Position{File: j.res.Output},
				"cannot declare %s in package %s: another file of the package (or another registry of this run) declares or imports that name; give this registry another -var", n, out.name)
			return
		}
	}
}

// ours reports whether an existing output file may be replaced: it is
// empty or a handlergen file. A -o that names a hand-written file must not
// destroy it.
func ours(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 || cmdline.HasHeader(b) }

// invalidFiles lists the contract files that contract diagnostics refuse:
// the files with an error, not the errors, and not inputs that are not
// there at all.
func invalidFiles(ds diag.List) []string {
	invalid := map[string]bool{}
	for _, d := range ds {
		switch d.Code {
		case registry.FileNotFound, registry.DirectoryNotFound, registry.NotADirectory, registry.PermissionDenied,
			registry.EmptyPatternsList, registry.InvalidGlobPattern:
			continue // nothing was found
		}
		if d.Severity == diag.Error && d.Pos.File != "" {
			invalid[d.Pos.File] = true
		}
	}
	return slices.Collect(maps.Keys(invalid))
}

// checkDuplicates reports handler names declared by more than one contract,
// at every later declaration, with the first as a related position.
// show renders a contract path for message text, which rebase does not
// reach.
func checkDuplicates(cs []*contracts.Contract, l *diag.List, show func(string) string) {
	first := make(map[string]*contracts.Contract, len(cs))
	for _, c := range cs {
		if f, ok := first[c.Name]; ok {
			d := l.Errorf(registry.DuplicateHandlerName, c.NamePos, "duplicate handler_name %q: also declared in %s", c.Name, show(f.Path))
			d.Related = append(d.Related, diag.Related{Pos: f.NamePos, Message: fmt.Sprintf("handler_name %q first declared here", c.Name)})
			continue
		}
		first[c.Name] = c
	}
}

package gen

import (
	"context"
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// Action is what a build-farm action (handlergen action) declares instead
// of what a run otherwise learns from the go command and the tree: the
// output package, the main modules, and the export data file of every
// package the run needs. Every path is relative to Root, the action's
// working directory (the execroot), and slash-separated; Root never
// appears in a result.
type Action struct {
	Root       string   // absolute
	ImportPath string   // the output package's import path
	Modules    []string // the main modules: the default allowlist
	// Packages maps an import path to its export data file: a compiler
	// archive (go tool compile -pack -o X.a) or a bare export file (X.x).
	Packages map[string]string
	// Stdlib, when set, is a directory of the standard library's export
	// data as rules_go's stdlib builds it: a standard package (its first
	// path element has no dot) that Packages does not name is Stdlib/PATH.a.
	Stdlib string
	// Sources maps an import path to its Go files, optionally: the init()
	// audit and the hint for an unexported type read them. A package
	// without them is not audited.
	Sources map[string][]string
	// PackageFiles are the output package's other Go files, whose
	// declarations the registry's import names must stay clear of, as
	// generate reads them from the directory.
	PackageFiles []string
	// Check is the checked-in registry that check mode compares with.
	Check string
}

// exportFile returns the export data file of path, relative to Root, and
// whether the action declares one.
func (a *Action) exportFile(path string) (string, bool) {
	if f, ok := a.Packages[path]; ok {
		return f, true
	}
	if a.Stdlib != "" && importdecl.IsStd(path) && path != "C" {
		return a.Stdlib + "/" + path + ".a", true
	}
	return "", false
}

// packageFiles returns the base names of a.PackageFiles, which must lie
// in outDir.
func (a *Action) packageFiles(outDir string) ([]string, error) {
	var names []string
	for _, f := range a.PackageFiles {
		abs := filepath.Join(a.Root, filepath.FromSlash(f))
		if filepath.Dir(abs) != outDir {
			return nil, fmt.Errorf("package file %s is not in the output's directory", f)
		}
		names = append(names, filepath.Base(abs))
	}
	slices.Sort(names)
	return names, nil
}

// RunAction performs one run for one registry from declared inputs only:
// cfg.Action names the export data of every package, so no go command
// runs, nothing is walked, no module file is read and no cache is used.
// It reads the contract files, the export files of the interface's and
// the handlers' packages, the sources and package files the Action
// names, and (Check) the checked-in registry; nothing else. The result is
// the one RunAll gives for the same tree, paths relative to cfg.Base.
func RunAction(ctx context.Context, cfg Config, mode Mode) (*Result, error) {
	if cfg.Action == nil || !filepath.IsAbs(cfg.Action.Root) || !filepath.IsAbs(cfg.Dir) {
		return nil, fmt.Errorf("an action needs an absolute root and directory")
	}
	j, err := prepare(cfg, mode)
	if err != nil {
		return nil, err
	}
	if mode != List {
		j.checkNames()
		t := time.Now()
		ld := j.actionLoad()
		j.res.Timings.Load = time.Since(t)
		t = time.Now()
		j.res.Handlers = j.r.check(j.todo, ld)
		j.res.Timings.Verify = time.Since(t)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := j.emit(mode); err != nil {
			return nil, err
		}
	}
	j.rebase()
	j.res.Diags.Sort()
	j.res.Timings.Total = time.Since(j.start)
	return j.res, nil
}

// actionLoad is the action's loadPackages: the interface's and the
// handlers' packages read from the export files the config names, in one
// universe. A package the config does not name, or one whose types refer
// to a package it does not name, is reported (strict deps) and dropped
// from j.todo.
func (j *job) actionLoad() *loaded {
	a, r := j.cfg.Action, j.r
	ld := &loaded{dir: a.Root, root: a.Root, byPath: map[string]*packages.Package{}, fset: token.NewFileSet(),
		imports: map[string]*types.Package{}, digests: map[*packages.Package]string{}}
	r.checking.ld = ld
	stub := func(path string) *packages.Package {
		if p := ld.byPath[path]; p != nil {
			return p
		}
		p := &packages.Package{ID: path, PkgPath: path}
		if f, ok := a.exportFile(path); ok {
			p.ExportFile = filepath.Join(a.Root, filepath.FromSlash(f))
		}
		for _, f := range a.Sources[path] {
			p.GoFiles = append(p.GoFiles, filepath.Join(a.Root, filepath.FromSlash(f)))
		}
		ld.byPath[path] = p
		return p
	}
	// read loads path's types, and returns "" or why it cannot be used.
	read := func(path string) string {
		if _, ok := a.exportFile(path); !ok {
			return fmt.Sprintf("package %s is not in the action's config (strict deps): add its export data to the config's packages", path)
		}
		p := stub(path)
		if p.Types == nil && len(p.Errors) == 0 {
			if err := ld.types(p); err == nil {
				p.Name = p.Types.Name()
			}
		}
		if len(p.Errors) > 0 {
			return fmt.Sprintf("package %s: %s", path, r.cleanMsg(p.Errors[0].Msg))
		}
		// Every package its types refer to must be declared too, as the
		// build system's strict deps require of a compile: the same graph,
		// whether or not its export data is read here.
		if missing := undeclared(p.Types, a); missing != "" {
			return fmt.Sprintf("package %s refers to types of package %s, which is not in the action's config (strict deps): add its export data to the config's packages", path, missing)
		}
		linkImports(p, stub)
		return ""
	}

	if !r.ifaceUnloadable {
		if why := read(r.ifacePath); why != "" {
			code := registry.ModuleNotFound
			if _, ok := a.exportFile(r.ifacePath); ok {
				code = registry.ImportError
			}
			r.diags.Errorf(code, diag.Position{}, "-interface: %s", why)
			r.ifaceUnloadable = true // reported: the handlers are still checked
		}
	}
	var todo []*contracts.Contract
	reported := map[string]*contracts.Contract{}
	for _, c := range j.todo {
		if first, ok := reported[c.ImportPath]; ok {
			if first != nil {
				d := r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s cannot be used", c.ImportPath)
				d.Related = append(d.Related, diag.Related{Pos: first.ClassPos, Message: "the package's problem is reported here"})
				continue
			}
		} else if why := read(c.ImportPath); why != "" {
			code := registry.ModuleNotFound
			if _, ok := a.exportFile(c.ImportPath); ok {
				code = registry.ImportError
			}
			r.diags.Errorf(code, c.ClassPos, "%s", why)
			reported[c.ImportPath] = c
			continue
		}
		reported[c.ImportPath] = nil
		todo = append(todo, c)
	}
	j.todo = todo
	return ld
}

// undeclared returns the first package (by path) that pkg's types refer
// to, directly or not, which the action does not declare; "" when there is
// none.
func undeclared(pkg *types.Package, a *Action) string {
	seen := map[*types.Package]bool{}
	var missing []string
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		for _, q := range p.Imports() {
			if seen[q] {
				continue
			}
			seen[q] = true
			if _, ok := a.exportFile(q.Path()); !ok && q.Path() != "unsafe" {
				missing = append(missing, q.Path())
			}
			walk(q)
		}
	}
	walk(pkg)
	if len(missing) == 0 {
		return ""
	}
	return slices.Min(missing)
}

// linkImports fills in p.Imports, and theirs, from the types read: the
// import graph that the cycle check and an alias's target walk, as
// go/packages gives it in a go-command run.
func linkImports(p *packages.Package, stub func(string) *packages.Package) {
	seen := map[*packages.Package]bool{}
	var link func(p *packages.Package, tp *types.Package)
	link = func(p *packages.Package, tp *types.Package) {
		if seen[p] || tp == nil {
			return
		}
		seen[p] = true
		if p.Name == "" {
			p.Name = tp.Name()
		}
		if p.Imports == nil {
			p.Imports = map[string]*packages.Package{}
		}
		for _, q := range tp.Imports() {
			if q.Path() == "unsafe" {
				continue
			}
			qp := stub(q.Path())
			p.Imports[q.Path()] = qp
			link(qp, q)
		}
	}
	link(p, p.Types)
}

// actionRel is pkgRel in an action. Export data compiled with
// -trimpath=$PWD (as rules_go, Buck2 and Please compile) names files
// relative to the root; they are named relative to the working directory,
// which rebase then takes relative to Base, as generate names files of
// its tree. Any other name ($GOROOT/src/..., a file outside the root) is
// import path and base name, as generate names files outside its tree.
func (r *resolver) actionRel(p *packages.Package, file string) string {
	a := r.cfg.Action
	name := filepath.FromSlash(file)
	if filepath.IsAbs(name) {
		if rel, ok := inTree(a.Root, name); ok {
			name = rel
		} else {
			name = ""
		}
	}
	if name != "" && filepath.IsLocal(name) && !strings.HasPrefix(name, "$") {
		return pathx.Rel(r.cfg.Dir, filepath.Join(a.Root, name))
	}
	ext := p.PkgPath + "/" + filepath.Base(name)
	if name == "" {
		ext = p.PkgPath + "/" + filepath.Base(file)
	}
	if r.names.external == nil {
		r.names.external = map[string]bool{}
	}
	r.names.external[ext] = true
	return ext
}

package gen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/suggest"
	"github.com/handlergen/handlergen/registry"
)

// loadMode asks go/packages only to list: names, files, the import graph
// and the export data files the go command builds (and caches). Types are
// then read from those files as verification needs them (loaded.types),
// which is what NeedTypes would do, without its costs: go list -compiled, a
// second go command for the type sizes, and reading every export file one
// after another under one lock, cached verifications or not. NeedImports costs nothing extra — go list runs with -deps for
// export data anyway — and gives the import graph for the cycle check;
// NeedFiles tells a missing package from a broken one and lists the files
// the init() audit reads.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedExportFile | packages.NeedModule

type outputPkg struct {
	dir, file string
	path      string // import path, "" when outside any module
	name      string
	decls     []string // package-level names the package's other files declare
	imported  []string // names the other files' imports declare in those files
}

type resolver struct {
	cfg                  *Config
	out                  outputPkg
	allow                Allowlist
	diags                *diag.List
	ifacePath, ifaceName string
	mainPkgs             []string // see mainPackages
	ifacePkgName         string
	ifaceUnloadable      bool            // -interface is in the output package, which is never loaded
	external             map[string]bool // display names of files outside the tree
	cycles               *reacher        // which packages import the output package
	audited              map[string]bool // packages whose init() has been audited
	root                 string          // module or workspace root of cfg.Dir, once known
	ld                   *loaded         // the packages, during check
	iface                *types.Interface
	srcHash              map[string]string // import path → digest of its files, from auditInit
}

// preflight checks what can be checked without loading anything: the class
// is qualified, allowed, a valid import path, and not the output package.
// It returns the contracts that passed.
func (r *resolver) preflight(cs []*contracts.Contract) (todo []*contracts.Contract) {
	for _, c := range cs {
		if c.ImportPath == "" {
			r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "invalid class path %q: must be fully qualified as IMPORT/PATH.TypeName", c.Class)
			continue
		}
		// A path no package can have is refused first, so that 013's
		// hint always names an -allow the command line accepts.
		if err := module.CheckImportPath(c.ImportPath); err != nil {
			r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "invalid import path %q: %v", c.ImportPath, err)
			continue
		}
		if why := r.allow.refusal(c.Class); why != "" {
			r.diags.Errorf(registry.NamespaceNotAllowed, c.ClassPos, "handler namespace not allowed: %s%s", why, r.allowHint(c.Class, c.ImportPath))
			continue
		}
		if r.out.path != "" && c.ImportPath == r.out.path {
			// Loading the output package would let a stale or broken
			// generated file block its own regeneration.
			r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "handler %s is in the output package %s; handlergen never loads the package it writes to: move the handler or the output", c.Class, r.out.path)
			continue
		}
		todo = append(todo, c)
	}
	return todo
}

// packagesConfig is the configuration of every packages.Load of a run:
// from dir, in the go command's environment as goenv.Packages hands it
// over (a -modfile in GOFLAGS moved to the build flags).
func packagesConfig(ctx context.Context, mode packages.LoadMode, dir string) *packages.Config {
	env, flags := goenv.Packages()
	return &packages.Config{Context: ctx, Mode: mode, Dir: dir, Env: env, BuildFlags: flags}
}

// loadPackages is the run's one packages.Load: every handler package of
// every registry in the run, plus the interface packages, from dir.
func loadPackages(ctx context.Context, dir string, paths map[string]bool) (*loaded, error) {
	patterns := make([]string, 0, len(paths))
	for p := range paths {
		patterns = append(patterns, p)
	}
	slices.Sort(patterns)
	pcfg := packagesConfig(ctx, loadMode, dir)
	compact := compactPatterns(dir, patterns)
	pkgs, err := packages.Load(pcfg, compact...)
	if err != nil {
		return nil, fmt.Errorf("loading packages: %s", strings.TrimSpace(cleanMsg(dir, err.Error())))
	}
	if len(pkgs) == 0 && len(patterns) > 0 {
		// go list failed as a whole. With NeedTypes, go/packages asked
		// the go command for the type sizes too, and that failure (such as
		// inconsistent vendoring) was the load's error; asked again here,
		// only on this path, it is reported as before. Other failures
		// (a go.mod that needs updating) leave the packages missing, and
		// explainMissing reports them.
		if _, err := packages.Load(packagesConfig(ctx, packages.NeedTypesSizes, dir), "unsafe"); err != nil {
			return nil, fmt.Errorf("loading packages: %s", strings.TrimSpace(cleanMsg(dir, err.Error())))
		}
	}
	byPath := make(map[string]*packages.Package, len(pkgs))
	add := func(pkgs []*packages.Package) {
		for _, p := range pkgs {
			if p.PkgPath == "" {
				byPath[p.ID] = p
			} else if byPath[p.PkgPath] == nil {
				byPath[p.PkgPath] = p
			}
		}
	}
	add(pkgs)
	if !slices.Equal(compact, patterns) {
		// Abbreviated patterns are only a way to keep the go command
		// line short: a wanted package the load did not return as a root
		// (as happened to a main-module -interface beside hundreds of
		// handlers) is loaded again by its exact path, so the outcome
		// never depends on how the patterns were spelled.
		var again []string
		for _, p := range patterns {
			if byPath[p] == nil {
				again = append(again, p)
			}
		}
		if len(again) > 0 {
			if more, err := packages.Load(pcfg, again...); err == nil {
				add(more)
			}
		}
	}
	explainMissing(ctx, dir, patterns, byPath)
	if err := loadFromSource(ctx, dir, patterns, byPath); err != nil {
		return nil, err
	}
	root := modtree.Root(dir)
	c := openCache()
	var index *exportIndex
	if c != nil {
		index = c.exportIndex(root)
	}
	return &loaded{dir: dir, root: root, byPath: byPath, fset: token.NewFileSet(), imports: map[string]*types.Package{}, digests: map[*packages.Package]string{}, cache: c, index: index}, nil
}

// loaded is what loadPackages found: the listed packages and the one
// universe (FileSet and packages by path) their types are read into, on
// demand, so that types two packages share are the same objects for
// types.Implements.
type loaded struct {
	dir     string // where the go command ran
	root    string // the module or workspace root of dir, which export data is digested relative to
	byPath  map[string]*packages.Package
	fset    *token.FileSet
	imports map[string]*types.Package
	digests map[*packages.Package]string // see digest
	cache   *cache                       // nil when disabled
	index   *exportIndex                 // memo of exportDigest; nil when the cache is
}

// hasTypes reports whether p's types are known or can be read.
func hasTypes(p *packages.Package) bool { return p.Types != nil || p.ExportFile != "" }

// types reads p's types from its export data, once. A failure is one of
// p's errors, reported as go/packages reported it.
func (ld *loaded) types(p *packages.Package) error {
	if p.Types != nil {
		return nil
	}
	tp, err := readExport(ld.fset, ld.imports, p.PkgPath, p.ExportFile)
	if err != nil {
		p.ExportFile = ""
		e := packages.Error{Msg: fmt.Sprintf("could not load export data: %v", err), Kind: packages.UnknownError}
		p.Errors = append(p.Errors, e)
		return err
	}
	p.Types, p.Fset = tp, ld.fset
	return nil
}

// digest identifies p's types: its export data by content (exportID), and
// the digests of everything it imports (export data names the types of
// other packages without describing them). "" when some package of the
// graph has no export data, or it cannot be read.
func (ld *loaded) digest(p *packages.Package) string {
	if d, ok := ld.digests[p]; ok {
		return d
	}
	ld.digests[p] = "" // an import cycle is not valid Go; this only guards bad input
	var id string
	if p.ExportFile != "" {
		if id = ld.exportID(p); id == "" {
			return ""
		}
	} else if p.PkgPath != "unsafe" {
		return ""
	}
	k := (&keyer{}).add(p.PkgPath, p.Name, id)
	for _, path := range slices.Sorted(maps.Keys(p.Imports)) {
		d := ld.digest(p.Imports[path])
		if d == "" {
			return ""
		}
		k.add(path, d)
	}
	sum := k.sum()
	ld.digests[p] = string(sum[:])
	return ld.digests[p]
}

// loadFromSource loads the wanted packages that have no export data (the
// go command did not build them: it reported why, or the package is part
// of an import cycle) as go/packages does with NeedTypes: type-checked from
// source, with their errors.
func loadFromSource(ctx context.Context, dir string, wanted []string, byPath map[string]*packages.Package) error {
	var fromSource []string
	for _, path := range wanted {
		p := byPath[path]
		if p == nil || p.ExportFile != "" || p.PkgPath == "" || len(p.GoFiles) == 0 {
			continue
		}
		if len(p.Errors) == 0 {
			if e, ok := depError(dir, p); ok {
				// An import the go command could not resolve (a module
				// missing from go.mod, a package that does not exist or
				// builds no files): its message, with the go command's
				// advice, says what to do; type-checking from source
				// would only say the import has no package name.
				p.Errors = append(p.Errors, e)
				continue
			}
		}
		fromSource = append(fromSource, path)
	}
	if len(fromSource) == 0 {
		return ctx.Err()
	}
	pkgs, err := packages.Load(packagesConfig(ctx, loadMode|packages.NeedTypes, dir), fromSource...)
	if err != nil {
		return ctx.Err() // the packages keep what the first load said about them
	}
	for _, p := range pkgs {
		if slices.Contains(fromSource, p.PkgPath) {
			byPath[p.PkgPath] = p
		}
	}
	return nil
}

// depError finds the first package among p's imports, direct or not, that
// the go command could not list, and returns its error, positioned at the
// import in the importing file.
func depError(dir string, p *packages.Package) (packages.Error, bool) {
	seen := map[*packages.Package]bool{}
	var walk func(q *packages.Package) (packages.Error, bool)
	walk = func(q *packages.Package) (packages.Error, bool) {
		for _, path := range slices.Sorted(maps.Keys(q.Imports)) {
			d := q.Imports[path]
			if d == nil || seen[d] {
				continue
			}
			seen[d] = true
			for _, e := range d.Errors {
				if e.Kind == packages.ListError {
					// go list names the importing file relative to the
					// directory it ran in.
					if e.Pos != "" && e.Pos != "-" && !filepath.IsAbs(e.Pos) {
						e.Pos = filepath.Join(dir, e.Pos)
					}
					if m := p.Module; m != nil && m.Main && (d.PkgPath == m.Path || strings.HasPrefix(d.PkgPath, m.Path+"/")) {
						// "to add it: go get …" is wrong advice for a
						// package that should be in the main module.
						if msg, _, cut := strings.Cut(e.Msg, "; to add it:"); cut {
							e.Msg = msg
						}
					}
					return e, true
				}
			}
			if e, ok := walk(d); ok {
				return e, true
			}
		}
		return packages.Error{}, false
	}
	return walk(p)
}

// readExport reads one package from the export data in file: the export
// data section of a compiler archive, which is what go list -export names up
// to Go 1.27, or a cmd/export file, which gcexportdata.Read takes as it is.
func readExport(fset *token.FileSet, imports map[string]*types.Package, path, file string) (*types.Package, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if head, _ := r.(*bufio.Reader).Peek(1); len(head) == 1 && head[0] == 'i' {
		return gcexportdata.Read(r, fset, imports, path)
	}
	//lint:ignore SA1019 go list -export names compiler archives until Go 1.28, and only NewReader finds their export data.
	r, err = gcexportdata.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", filepath.Base(file), err)
	}
	return gcexportdata.Read(r, fset, imports, path)
}

// check verifies the contracts that passed preflight against the loaded
// packages and returns the handlers, sorted by name. Types are read only
// for the verifications the cache does not answer.
func (r *resolver) check(todo []*contracts.Contract, ld *loaded) []*Handler {
	byPath := ld.byPath
	r.ld = ld
	var iface *types.Interface
	ifaceOK := false
	if !r.ifaceUnloadable {
		if ifaceOK = r.lookupInterface(byPath[r.ifacePath]); !ifaceOK {
			return nil
		}
	}

	firstUse := map[string]*contracts.Contract{} // import path → first contract naming it
	usable := map[string]bool{}
	var hs []*Handler
	for _, c := range todo {
		p := byPath[c.ImportPath]
		if first, seen := firstUse[c.ImportPath]; seen {
			if !usable[c.ImportPath] {
				// Every contract naming a broken package is reported,
				// pointing at the one that carries the details.
				d := r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s cannot be used", c.ImportPath)
				d.Related = append(d.Related, diag.Related{Pos: first.ClassPos, Message: "the package's problem is reported here"})
				continue
			}
		} else {
			firstUse[c.ImportPath] = c
			usable[c.ImportPath] = r.checkPackage(c, p)
			if !usable[c.ImportPath] {
				continue
			}
			r.auditInit(p)
		}
		if !ifaceOK {
			continue // reported already; the packages are still checked
		}
		key, cacheable := r.verifyKey(c, p)
		if cacheable {
			var v verdict
			if ld.cache.get(key, &v) {
				noteTest("cache hit")
				if h := r.replay(c, &v); h != nil {
					hs = append(hs, h)
				}
				continue
			}
			noteTest("cache miss")
		}
		if iface == nil {
			if iface = r.interfaceType(byPath[r.ifacePath]); iface == nil {
				return nil
			}
		}
		if err := ld.types(p); err != nil {
			// As checkPackage reports a package whose export data
			// go/packages could not read.
			_, msg := r.compilerError(p, p.Errors[len(p.Errors)-1])
			r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s has errors: %s", c.ImportPath, msg)
			usable[c.ImportPath] = false
			continue
		}
		n, hadAudit := len(*r.diags), len(r.audited)
		h := r.verify(c, p, iface)
		if cacheable && len(r.audited) == hadAudit && !r.aliasElsewhere(c, p) {
			// An alias of a type in another package is verified at
			// that package too (aliasTarget), whose sources the key does
			// not cover: it is never cached.
			ld.cache.put(key, r.record(h, (*r.diags)[n:]))
		}
		if h != nil {
			hs = append(hs, h)
		}
	}
	slices.SortFunc(hs, func(a, b *Handler) int { return strings.Compare(a.Contract.Name, b.Contract.Name) })
	return hs
}

// aliasElsewhere reports whether c's class is an alias whose type is made
// of a type declared in another package (its target, or a type argument).
func (r *resolver) aliasElsewhere(c *contracts.Contract, p *packages.Package) bool {
	tn, ok := p.Types.Scope().Lookup(c.TypeName).(*types.TypeName)
	if !ok {
		return false
	}
	for _, obj := range typeNames(tn.Type()) {
		if obj.Pkg() != nil && obj.Pkg().Path() != p.PkgPath {
			return true
		}
	}
	return false
}

// verdict is a cached verification: the handler verify made (OK) and the
// diagnostics it reported, with the files among their positions that are
// named by import path (see pkgRel).
type verdict struct {
	OK       bool
	PkgName  string
	Pointer  bool
	Struct   bool
	Ctor     *Constructor
	GoPos    diag.Position
	Diags    []cachedDiag
	External []string
}

// cachedDiag is a diag.Diagnostic as the cache stores it: the code and
// severity as numbers (their JSON is for people, and is not read back).
type cachedDiag struct {
	Code     uint16
	Severity uint8
	Pos      diag.Position
	Message  string
	Related  []diag.Related
}

// verifyKey is the cache key of verifying c in p: everything verify reads.
// The package's and the interface's types (by digest), the package's source
// files (verify parses them to explain an unexported type), the contract and
// where it is, the interface, where the working directory that positions
// are made relative to lies in the module or workspace (whose root decides
// which positions are: pkgRel), the output package, the allowlist and this
// binary. Nothing in it says where the tree or the binary is: a tree moved
// or checked out elsewhere, with the working directory at the same place
// in it, gives the same keys, and the same positions (relative to it).
func (r *resolver) verifyKey(c *contracts.Contract, p *packages.Package) ([32]byte, bool) {
	if r.ld.cache == nil {
		return [32]byte{}, false
	}
	// Export data and source files are digested relative to the root of
	// the load, which pkgRel must share: it is the root of every registry
	// of the load (resolveAll), so this only guards.
	if r.treeRoot() != r.ld.root {
		return [32]byte{}, false
	}
	pd, id := r.ld.digest(p), r.ld.digest(r.ld.byPath[r.ifacePath])
	src, ok := r.srcHash[p.PkgPath]
	if pd == "" || id == "" || !ok {
		return [32]byte{}, false
	}
	// The root decides whether a position is named relative to the
	// working directory or by import path (pkgRel): a go.work added above
	// the module moves it without changing the digests of its files
	// (fileKey) and so this. A working directory outside its root (GOWORK
	// names a go.work elsewhere) is named as it is, with the root.
	where := []string{"in tree"}
	if rel, ok := inTree(r.root, r.cfg.Dir); ok {
		where = append(where, rel)
	} else {
		where = []string{"outside", r.root, r.cfg.Dir}
	}
	k := (&keyer{}).add(cacheFormat, r.ld.cache.self, pd, id, src, r.ifacePath, r.ifaceName, r.ifacePkgName,
		c.Class, c.ImportPath, c.TypeName, c.ClassPos.String(), string(c.Digest[:]),
		r.out.path, r.allow.String(), strconv.FormatBool(r.cfg.ForbidInit))
	k.add(where...)
	return k.sum(), true
}

// record makes a verdict of verify's result and diagnostics.
func (r *resolver) record(h *Handler, ds diag.List) verdict {
	var v verdict
	for _, d := range ds {
		v.Diags = append(v.Diags, cachedDiag{uint16(d.Code), uint8(d.Severity), d.Pos, d.Message, slices.Clone(d.Related)})
	}
	if h != nil {
		v.OK, v.PkgName, v.Pointer, v.Struct, v.Ctor, v.GoPos = true, h.PkgName, h.Pointer, h.Struct, h.Ctor, h.GoPos
	}
	files := []string{v.GoPos.File}
	for _, d := range ds {
		files = append(files, d.Pos.File)
		for _, rel := range d.Related {
			files = append(files, rel.Pos.File)
		}
	}
	for _, f := range files {
		if r.external[f] && !slices.Contains(v.External, f) {
			v.External = append(v.External, f)
		}
	}
	return v
}

// replay reports a cached verdict as verify would have.
func (r *resolver) replay(c *contracts.Contract, v *verdict) *Handler {
	for _, d := range v.Diags {
		r.diags.Append(diag.Diagnostic{Code: registry.Code(d.Code), Severity: diag.Severity(d.Severity), Pos: d.Pos, Message: d.Message, Related: d.Related})
	}
	for _, f := range v.External {
		if r.external == nil {
			r.external = map[string]bool{}
		}
		r.external[f] = true
	}
	if !v.OK {
		return nil
	}
	return &Handler{Contract: c, PkgName: v.PkgName, Pointer: v.Pointer, Struct: v.Struct, Ctor: v.Ctor, GoPos: v.GoPos}
}

// explainMissing fills in packages that the export-data load dropped
// without a word: when go list fails as a whole (go.mod needs updating, a
// module is missing from go.sum), go/packages returns no packages and no
// error. A second, light load without export data reports the go
// command's message, which is what the user needs to see. It runs only on
// this failure path.
func explainMissing(ctx context.Context, dir string, patterns []string, byPath map[string]*packages.Package) {
	var missing []string
	for _, p := range patterns {
		if byPath[p] == nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	pkgs, err := packages.Load(packagesConfig(ctx, packages.NeedName|packages.NeedFiles, dir), missing...)
	for _, p := range pkgs {
		if byPath[p.PkgPath] == nil && p.PkgPath != "" {
			byPath[p.PkgPath] = p
		}
	}
	for _, m := range missing {
		if byPath[m] != nil {
			continue
		}
		msg := "go list returned nothing for it"
		if err != nil {
			msg = cleanMsg(dir, strings.TrimSpace(err.Error()))
		}
		byPath[m] = &packages.Package{ID: m, PkgPath: m, Errors: []packages.Error{{Msg: msg, Kind: packages.ListError}}}
	}
}

// lookupInterface resolves -interface. Its diagnostics have no file: they
// are about the command line.
func (r *resolver) lookupInterface(p *packages.Package) bool {
	var pos diag.Position
	if p == nil || len(p.Errors) == 0 && !hasTypes(p) || len(p.GoFiles) == 0 && len(p.Errors) > 0 {
		msg := ""
		if p != nil && len(p.Errors) > 0 {
			_, m := r.compilerError(p, p.Errors[0])
			msg = ": " + m
		}
		r.diags.Errorf(registry.ModuleNotFound, pos, "-interface: package %s not found%s", r.ifacePath, msg)
		return false
	}
	if len(p.Errors) > 0 {
		epos, msg := r.compilerError(p, p.Errors[0])
		d := r.diags.Errorf(registry.ImportError, pos, "-interface: package %s has errors: %s", r.ifacePath, msg)
		if epos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: epos, Message: msg})
		}
		return false
	}
	if why := r.unimportable(p); why != "" {
		r.diags.Errorf(registry.PackageNotImportable, pos, "-interface: %s", why)
		return false
	}
	r.ifacePkgName = p.Name
	// What remains needs the interface's types: it is cached as one
	// verdict, so a run whose handlers all hit reads no export data.
	var key [32]byte
	if r.ld.cache == nil {
		// No digest either: it reads export data of the whole graph.
	} else if d := r.ld.digest(p); d != "" {
		key = (&keyer{}).add(cacheFormat, "interface", r.ld.cache.self, d, r.ifacePath, r.ifaceName).sum()
		var v verdict
		if r.ld.cache.get(key, &v) && v.OK && len(v.Diags) == 0 {
			return true
		}
	}
	n := len(*r.diags)
	ok := r.interfaceType(p) != nil
	if key != ([32]byte{}) && ok && len(*r.diags) == n {
		r.ld.cache.put(key, verdict{OK: true})
	}
	return ok
}

// interfaceType reads the interface's types and checks that it names a
// usable interface; nil when it does not (reported).
func (r *resolver) interfaceType(p *packages.Package) *types.Interface {
	var pos diag.Position
	if r.iface != nil {
		return r.iface
	}
	if err := r.ld.types(p); err != nil {
		epos, msg := r.compilerError(p, p.Errors[len(p.Errors)-1])
		d := r.diags.Errorf(registry.ImportError, pos, "-interface: package %s has errors: %s", r.ifacePath, msg)
		if epos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: epos, Message: msg})
		}
		return nil
	}
	obj := p.Types.Scope().Lookup(r.ifaceName)
	if obj == nil {
		r.diags.Errorf(registry.ClassNotFound, pos, "-interface: %s not found in package %s", r.ifaceName, r.ifacePath)
		return nil
	}
	iface, ok := obj.Type().Underlying().(*types.Interface)
	if _, isType := obj.(*types.TypeName); !ok || !isType {
		r.diags.Errorf(registry.ClassNotFound, pos, "-interface: %s.%s is not an interface type", r.ifacePath, r.ifaceName)
		return nil
	}
	if generic(obj) {
		r.diags.Errorf(registry.TypeNotInstantiable, pos, "-interface: %s.%s is generic; give an interface without type parameters", r.ifacePath, r.ifaceName)
		return nil
	}
	if !iface.IsMethodSet() {
		r.diags.Errorf(registry.TypeNotInstantiable, pos, "-interface: %s.%s is a constraint (it lists types, not only methods), which no handler value can have", r.ifacePath, r.ifaceName)
		return nil
	}
	if !obj.Exported() {
		r.diags.Errorf(registry.TypeNotInstantiable, pos, "-interface: %s.%s is not exported", r.ifacePath, r.ifaceName)
		return nil
	}
	r.iface = iface
	return iface
}

// checkPackage reports a missing (010), broken (012) or unimportable (015)
// package once, at the first contract that names it.
func (r *resolver) checkPackage(c *contracts.Contract, p *packages.Package) bool {
	if p == nil || len(p.GoFiles) == 0 && len(p.CompiledGoFiles) == 0 && (len(p.Errors) > 0 || !hasTypes(p)) {
		msg := "module not found: no package " + c.ImportPath
		mine := r.inMainModule(c.ImportPath)
		if mine {
			// The module is there; the package is not.
			msg = "package not found: no package " + c.ImportPath + " in the main module"
		}
		if p != nil && len(p.Errors) > 0 {
			m := r.cleanMsg(p.Errors[0].Msg)
			if mine {
				// "to add it: go get …" is wrong advice for a package
				// that should be in the main module; for one of a module
				// go.mod does not require (or replaces without
				// requiring) it is what to do.
				m, _, _ = strings.Cut(m, "; to add it:")
			}
			msg += ": " + m
		}
		if mine {
			if near := suggest.Closest(c.ImportPath, r.mainPackages(), 1); len(near) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", near[0])
			}
		}
		r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "%s", msg)
		return false
	}
	if len(p.Errors) > 0 || !hasTypes(p) {
		// A package that imports the output package fails with whatever
		// the output package lacks (the registry module not yet required,
		// say); the cycle is what to fix.
		if why := r.cycle(p); why != "" {
			r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s", why)
			return false
		}
		pos, msg := r.compilerError(p, p.Errors[0])
		d := r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s has errors: %s", c.ImportPath, msg)
		if pos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: msg})
		}
		return false
	}
	if why := r.unimportable(p); why != "" {
		r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s", why)
		return false
	}
	return true
}

// mainPackages lists the import paths of the main modules' packages, as
// ./... in each finds them, once per resolver: the candidates of a
// did-you-mean for a mistyped package of the user's own module.
func (r *resolver) mainPackages() []string {
	if r.mainPkgs == nil && r.cfg.Action != nil {
		r.mainPkgs = slices.Sorted(maps.Keys(r.cfg.Action.Packages)) // what there is, in an action
	}
	if r.mainPkgs == nil {
		r.mainPkgs = []string{}
		for mod, dir := range modtree.MainModules(r.cfg.Dir) {
			r.mainPkgs = append(r.mainPkgs, packagesUnder(dir, mod)...)
		}
		slices.Sort(r.mainPkgs)
	}
	return r.mainPkgs
}

// inMainModule reports whether path lies in a main module (of the
// workspace) of the working directory.
func (r *resolver) inMainModule(path string) bool {
	mains := maps.Keys(modtree.MainModules(r.cfg.Dir))
	if a := r.cfg.Action; a != nil {
		mains = slices.Values(a.Modules) // no walk up the tree
	}
	for mp := range mains {
		if path == mp || strings.HasPrefix(path, mp+"/") {
			return true
		}
	}
	return false
}

// unimportable says why the output package cannot import p, or "": p is a
// program, an internal package of another tree, or imports the output
// package itself. Caught here, each gets handlergen's message instead of
// the compiler's on the generated file.
func (r *resolver) unimportable(p *packages.Package) string {
	if !importdecl.Importable(p.PkgPath, r.out.path) {
		return fmt.Sprintf("package %s is internal and cannot be imported from the output package %s", p.PkgPath, orUnknown(r.out.path))
	}
	return r.unusable(p)
}

// unusable is unimportable without Go's internal rule, for the package of
// an alias's target, which the registry never imports: it names the alias
// in the alias's package, which passed that rule.
func (r *resolver) unusable(p *packages.Package) string {
	if p.Name == "main" {
		return fmt.Sprintf("package %s is a main package (a program), which cannot be imported", p.PkgPath)
	}
	return r.cycle(p)
}

// cycle says how p imports the output package, or "".
func (r *resolver) cycle(p *packages.Package) string {
	if r.out.path == "" {
		return ""
	}
	if r.cycles == nil {
		r.cycles = &reacher{target: r.out.path, memo: map[*packages.Package]bool{}}
	}
	if chain := r.cycles.chain(p); chain != nil {
		return fmt.Sprintf("import cycle: %s imports the output package (%s)", p.PkgPath, strings.Join(chain, " -> "))
	}
	return ""
}

// compilerError extracts the first compiler message and its position from
// a package error. Errors from building export data arrive as the go
// command prints them: "# pkg" then "file:line:col: message" lines.
func (r *resolver) compilerError(p *packages.Package, e packages.Error) (diag.Position, string) {
	pos, msg := r.goPos(p, e.Pos), r.cleanMsg(e.Msg)
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		if m := compilerLine.FindStringSubmatch(line); m != nil {
			if pos.File == "" {
				pos = r.goPos(p, m[1])
			}
			return pos, m[2]
		}
		return pos, line
	}
	return pos, msg
}

// compilerLine is "file.go:line:col: message" or "file.go:line: message".
var compilerLine = regexp.MustCompile(`^(\S+\.go:\d+(?::\d+)?): (.*)$`)

func orUnknown(s string) string {
	if s == "" {
		return "(outside any module)"
	}
	return s
}

// reacher answers "does this package import target, directly or not?" for
// every handler package of a run, remembering the answer per package: the
// handlers of a large registry share most of their dependency graph, and
// walking it afresh for each was a tenth of a 1,000-handler run.
type reacher struct {
	target string
	memo   map[*packages.Package]bool
}

func (rc *reacher) reaches(p *packages.Package) bool {
	if v, ok := rc.memo[p]; ok {
		return v
	}
	rc.memo[p] = false // the import graph is acyclic; this only guards bad input
	v := p.PkgPath == rc.target
	for _, q := range p.Imports {
		if v {
			break
		}
		v = rc.reaches(q)
	}
	rc.memo[p] = v
	return v
}

// chain returns the import path chain from p to the target, or nil,
// choosing the first import (by path) at each step for a stable message.
func (rc *reacher) chain(p *packages.Package) []string {
	if !rc.reaches(p) {
		return nil
	}
	out := []string{p.PkgPath}
	for p.PkgPath != rc.target {
		keys := slices.Sorted(maps.Keys(p.Imports))
		for _, k := range keys {
			if q := p.Imports[k]; rc.reaches(q) {
				p = q
				break
			}
		}
		out = append(out, p.PkgPath)
	}
	return out
}

// verify resolves one contract's type and decides how to make an instance.
func (r *resolver) verify(c *contracts.Contract, p *packages.Package, iface *types.Interface) *Handler {
	scope := p.Types.Scope()
	obj := scope.Lookup(c.TypeName)
	if obj == nil {
		// Export data holds only what the package exports (and what that
		// reaches), so an unexported type is found in the source instead.
		if pos, ok := r.declaredType(p, c.TypeName); ok {
			d := r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is not exported, so the generated registry cannot refer to it", c.Class)
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: fmt.Sprintf("%s declared here", c.TypeName)})
			return nil
		}
		msg := fmt.Sprintf("class %q not found in package %s", c.TypeName, c.ImportPath)
		if near := suggest.Closest(c.TypeName, exportedTypes(scope), 1); len(near) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", near[0])
		}
		r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s", msg)
		return nil
	}
	goPos := r.tokenPos(p, p.Fset.Position(obj.Pos()))
	related := func(d *diag.Diagnostic) {
		if goPos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: goPos, Message: fmt.Sprintf("%s declared here", c.TypeName)})
		}
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%q is not a class: %s.%s is a %s, not a type", c.Class, c.ImportPath, c.TypeName, objKind(obj)))
		return nil
	}
	if _, isIface := tn.Type().Underlying().(*types.Interface); isIface {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s is an interface type; handler_class must name a concrete type", c.Class))
		return nil
	}
	if !tn.Exported() {
		related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is not exported, so the generated registry cannot refer to it", c.Class))
		return nil
	}
	named, ok := types.Unalias(tn.Type()).(*types.Named)
	if !ok {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s is an alias of %s, not a named type", c.Class, types.Unalias(tn.Type())))
		return nil
	}
	if generic(tn) {
		related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is generic; handlergen cannot choose its type arguments: register an instantiation (type X = %s[...])", c.Class, c.TypeName))
		return nil
	}
	if tn.IsAlias() && !r.aliasTarget(c, p, named, related) {
		return nil
	}
	h := &Handler{Contract: c, PkgName: p.Name, GoPos: goPos}
	valueOK := types.Implements(named, iface)
	ptr := types.NewPointer(named)
	if !valueOK && !types.Implements(ptr, iface) {
		probs := methodProblems(ptr, iface, p.Types)
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.msg
		}
		d := r.diags.Errorf(registry.ProtocolNotImplemented, c.ClassPos, "handler class %s does not implement %s: %s", c.Class, r.ifacePkgName+"."+r.ifaceName, strings.Join(msgs, "; "))
		// Like every diagnostic here, 006 is at the contract that names
		// the class; the Go side goes in related positions: each method
		// (or field) with the wrong signature where it is declared, then
		// the type, which is where a missing method goes.
		for _, pr := range probs {
			// A method promoted from an embedded type of another package
			// is named by that package when its file is outside the module.
			declaring := p
			if pr.pkg != "" && pr.pkg != p.PkgPath {
				declaring = &packages.Package{PkgPath: pr.pkg}
			}
			if pos := r.tokenPos(declaring, p.Fset.Position(pr.pos)); pr.pos.IsValid() && pos.File != "" {
				d.Related = append(d.Related, diag.Related{Pos: pos, Message: pr.name + " declared here"})
			}
		}
		related(d)
		return nil
	}
	h.Pointer = !valueOK
	h.Ctor = r.constructor(c, p, named, iface)
	_, h.Struct = named.Underlying().(*types.Struct)
	if h.Ctor == nil {
		if !h.Struct {
			related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is a %s, not a struct, and its package has no New%s constructor: handlergen cannot make an instance", c.Class, kindOf(named.Underlying()), c.TypeName))
			return nil
		}
	}
	return h
}

// allowHint is advice that works when followed: -allow adds to the
// default, so allowing the class's package keeps everything else allowed;
// a class that -only shuts out needs its package added there.
func (r *resolver) allowHint(class, importPath string) string {
	arg := importPath
	if strings.ContainsAny(arg, " \t'\"\\$`") {
		arg = strconv.Quote(arg)
	}
	flag := "-allow"
	if r.allow.admits(class) {
		flag = "-only"
	}
	return fmt.Sprintf(" (to allow it, add %s %s to the handlergen command, on its //go:generate line if it has one)", flag, arg)
}

// aliasTarget checks a handler_class that names an alias (type H =
// other.H, or type H = g.Box[evil.T]) at every package its type is made
// of: the target's and, recursively, those of its type arguments. Each is
// compiled in and its init runs, so the allowlist (013), the init audit
// (016) and the rules on main packages and cycles (015) apply to it as to
// the class's own package; Go's internal rule does not, since the registry
// never imports those packages.
func (r *resolver) aliasTarget(c *contracts.Contract, p *packages.Package, named *types.Named, related func(*diag.Diagnostic)) bool {
	target := named.Obj()
	targetName := qualifiedName(target)
	for _, obj := range typeNames(named) {
		if obj.Pkg() == nil || obj.Pkg().Path() == p.PkgPath {
			continue
		}
		path := obj.Pkg().Path()
		name := path + "." + obj.Name()
		what := fmt.Sprintf("handler class %s is an alias of %s", c.Class, targetName)
		if obj != target {
			what += fmt.Sprintf(", with type argument %s", name)
		}
		at := func(d *diag.Diagnostic) {
			related(d)
			// Named by its own package: a position outside the module is
			// written by import path, and p's would be the wrong one.
			if tpos := r.tokenPos(&packages.Package{PkgPath: path}, p.Fset.Position(obj.Pos())); tpos.File != "" {
				d.Related = append(d.Related, diag.Related{Pos: tpos, Message: fmt.Sprintf("%s declared here", name)})
			}
		}
		if why := r.allow.refusal(name); why != "" {
			at(r.diags.Errorf(registry.NamespaceNotAllowed, c.ClassPos, "%s, and that namespace is not allowed: %s%s", what, why, r.allowHint(name, path)))
			return false
		}
		// A public alias of an internal type is how a module exports it:
		// the registry imports the alias's package, so the internal rule
		// is not the target's to pass.
		tp := findPackage(p, path)
		why := ""
		if tp != nil {
			why = r.unusable(tp)
		}
		if why != "" {
			at(r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s: %s", what, why))
			return false
		}
		if tp != nil {
			r.auditInit(tp)
		}
	}
	return true
}

// qualifiedName is IMPORT/PATH.Name of a type name.
func qualifiedName(obj *types.TypeName) string {
	if obj.Pkg() == nil {
		return obj.Name()
	}
	return obj.Pkg().Path() + "." + obj.Name()
}

// typeNames lists the named types a type is made of, once each, in the
// order met: a named type and, recursively, its type arguments, through
// pointers, slices, arrays, maps, channels, functions and structs.
func typeNames(t types.Type) []*types.TypeName {
	var out []*types.TypeName
	seen := map[*types.TypeName]bool{}
	var walk func(types.Type)
	walk = func(t types.Type) {
		switch t := types.Unalias(t).(type) {
		case *types.Named:
			if !seen[t.Obj()] {
				seen[t.Obj()] = true
				out = append(out, t.Obj())
			}
			for i := range t.TypeArgs().Len() {
				walk(t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Signature:
			for i := range t.Params().Len() {
				walk(t.Params().At(i).Type())
			}
			for i := range t.Results().Len() {
				walk(t.Results().At(i).Type())
			}
		case *types.Struct:
			for i := range t.NumFields() {
				walk(t.Field(i).Type())
			}
		}
	}
	walk(t)
	return out
}

// findPackage finds the package path among p's imports, direct or not: an
// alias's target may lie several aliases away.
func findPackage(p *packages.Package, path string) *packages.Package {
	seen := map[*packages.Package]bool{}
	var walk func(q *packages.Package) *packages.Package
	walk = func(q *packages.Package) *packages.Package {
		if q == nil || seen[q] {
			return nil
		}
		seen[q] = true
		if q.PkgPath == path {
			return q
		}
		for _, k := range slices.Sorted(maps.Keys(q.Imports)) {
			if f := walk(q.Imports[k]); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(p)
}

// generic reports whether the type obj names needs type arguments: G, or a
// generic alias A[T] = G[T], but not G[int] or A = G[int] (whose
// TypeParams are their origin's).
func generic(obj types.Object) bool {
	if a, ok := obj.Type().(*types.Alias); ok && a.TypeParams().Len() > 0 {
		return true
	}
	t, ok := types.Unalias(obj.Type()).(*types.Named)
	if !ok || t.TypeParams().Len() == 0 {
		return false
	}
	if t.TypeArgs().Len() == 0 {
		return true
	}
	for i := range t.TypeArgs().Len() {
		if _, isParam := t.TypeArgs().At(i).(*types.TypeParam); isParam {
			return true
		}
	}
	return false
}

// constructor finds New<Type> and checks its shape: no parameters or one
// context.Context; results T or *T, optionally followed by error; the
// result must implement the interface. A function of that name with another
// shape is reported as a warning and not used.
func (r *resolver) constructor(c *contracts.Contract, p *packages.Package, named *types.Named, iface *types.Interface) *Constructor {
	name := "New" + c.TypeName
	fn, ok := p.Types.Scope().Lookup(name).(*types.Func)
	if !ok {
		return nil
	}
	sig := fn.Type().(*types.Signature)
	warn := func(why string) *Constructor {
		d := r.diags.Warnf(registry.TypeNotInstantiable, c.ClassPos, "%s.%s is not used as the constructor: %s; using the zero value", c.ImportPath, name, why)
		if pos := r.tokenPos(p, p.Fset.Position(fn.Pos())); pos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: name + " declared here"})
		}
		return nil
	}
	if sig.TypeParams().Len() > 0 {
		return warn("it is generic")
	}
	ctor := &Constructor{Name: name}
	switch params := sig.Params(); {
	case params.Len() == 0:
	case params.Len() == 1 && isContext(params.At(0).Type()) && !sig.Variadic():
		ctor.Context = true
	default:
		return warn("want no parameters or one context.Context")
	}
	res := sig.Results()
	switch {
	case res.Len() == 1:
	case res.Len() == 2 && isError(res.At(1).Type()):
		ctor.Error = true
	default:
		return warn("want results T, *T, (T, error) or (*T, error)")
	}
	rt := res.At(0).Type()
	if !types.Identical(rt, named) && !types.Identical(rt, types.NewPointer(named)) {
		return warn(fmt.Sprintf("it returns %s, not %s or *%s", rt, c.TypeName, c.TypeName))
	}
	if !types.Implements(rt, iface) {
		return warn(fmt.Sprintf("its result %s does not implement the interface", rt))
	}
	return ctor
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

// methodProblem is one way T fails an interface method: its message and,
// for a method or field T has with the wrong type, that member's name and
// declaration (token.NoPos for a missing method).
type methodProblem struct {
	msg, name string
	pos       token.Pos
	pkg       string // import path of the package declaring the member
}

func pkgPath(obj types.Object) string {
	if obj.Pkg() == nil {
		return ""
	}
	return obj.Pkg().Path()
}

// methodProblems names every method of iface that T's method set lacks or
// has with another signature, with have/want, as the compiler would.
func methodProblems(t types.Type, iface *types.Interface, from *types.Package) []methodProblem {
	// Name packages as Go source does (registry.Descriptor), not by path.
	qual := func(p *types.Package) string {
		if p == from {
			return ""
		}
		return p.Name()
	}
	var out []methodProblem
	for i := 0; i < iface.NumMethods(); i++ {
		m := iface.Method(i)
		want := m.Name() + types.TypeString(m.Type(), qual)[len("func"):]
		obj, _, _ := types.LookupFieldOrMethod(t, false, m.Pkg(), m.Name())
		have, ok := obj.(*types.Func)
		switch {
		case obj == nil:
			out = append(out, methodProblem{msg: "missing method " + want})
		case !ok:
			out = append(out, methodProblem{msg: fmt.Sprintf("%s is a field, not a method (want %s)", m.Name(), want), name: m.Name(), pos: obj.Pos(), pkg: pkgPath(obj)})
		case !types.Identical(have.Type(), m.Type()):
			out = append(out, methodProblem{msg: fmt.Sprintf("wrong signature for %s: have %s, want %s", m.Name(), m.Name()+types.TypeString(have.Type(), qual)[len("func"):], want), name: m.Name(), pos: have.Pos(), pkg: pkgPath(have)})
		}
	}
	if len(out) == 0 {
		out = append(out, methodProblem{msg: "the method set does not match"})
	}
	return out
}

func exportedTypes(scope *types.Scope) []string {
	var out []string
	for _, n := range scope.Names() {
		if tn, ok := scope.Lookup(n).(*types.TypeName); ok && tn.Exported() {
			out = append(out, n)
		}
	}
	return out
}

func objKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Func:
		return "func"
	case *types.Var:
		return "var"
	case *types.Const:
		return "const"
	}
	return "non-type"
}

func kindOf(t types.Type) string {
	switch t := t.(type) {
	case *types.Basic:
		return t.Name()
	case *types.Map:
		return "map"
	case *types.Slice:
		return "slice"
	case *types.Signature:
		return "func"
	case *types.Chan:
		return "chan"
	case *types.Pointer:
		return "pointer"
	case *types.Array:
		return "array"
	}
	return t.String()
}

// auditInit reports each func init() in the handler package's own files.
// Importing a package runs its init functions before main: the Go form of
// the Python loader's "imports run module-level side effects". Only
// declarations are needed, so files without "init" are not parsed.
func (r *resolver) auditInit(p *packages.Package) {
	if r.audited[p.PkgPath] {
		return // a handler package and an alias's target, say
	}
	if r.audited == nil {
		r.audited = map[string]bool{}
	}
	r.audited[p.PkgPath] = true
	// The files' digest, for verifyKey: each by content and by what
	// pkgRel makes of its name (fileKey), so that it is the same wherever
	// the tree lies. A file that cannot be read leaves the package without
	// one, and its verifications uncached: verify parses the files anew.
	fset := token.NewFileSet()
	h := sha256.New()
	readAll := true
	defer func() {
		if !readAll {
			return
		}
		if r.srcHash == nil {
			r.srcHash = map[string]string{}
		}
		r.srcHash[p.PkgPath] = string(h.Sum(nil))
	}()
	for _, file := range p.GoFiles {
		src, err := output.ReadFile(file) // bounded, never blocks
		name := fileKey(r.treeRoot(), file)
		fmt.Fprintf(h, "%d:%s %d\n", len(name), name, len(src))
		h.Write(src)
		if err != nil {
			readAll = false
		}
		if err != nil || !bytes.Contains(src, []byte("init")) {
			continue
		}
		f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != "init" {
				continue
			}
			dp := r.tokenPos(p, fset.Position(fd.Pos()))
			if r.cfg.ForbidInit {
				r.diags.Errorf(registry.InitSideEffect, dp, "handler package %s declares func init(), which runs when the registry imports it (-forbid-init)", p.PkgPath)
			} else {
				r.diags.Warnf(registry.InitSideEffect, dp, "handler package %s declares func init(), which runs when the registry imports it", p.PkgPath)
			}
		}
	}
}

// declaredType looks for a type declaration named name in the package's
// files. It is only used to explain a failed lookup.
func (r *resolver) declaredType(p *packages.Package, name string) (diag.Position, bool) {
	fset := token.NewFileSet()
	for _, file := range p.GoFiles {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				if ts := spec.(*ast.TypeSpec); ts.Name.Name == name {
					return r.tokenPos(p, fset.Position(ts.Name.Pos())), true
				}
			}
		}
	}
	return diag.Position{}, false
}

// tokenPos is a go/token position of a file of p as a diag.Position.
func (r *resolver) tokenPos(p *packages.Package, pos token.Position) diag.Position {
	if !pos.IsValid() {
		return diag.Position{}
	}
	return diag.Position{File: r.pkgRel(p, pos.Filename), Line: pos.Line, Col: pos.Column}
}

// goPos turns a go/packages position string (absolute file:line:col) into
// a relative diag.Position.
func (r *resolver) goPos(p *packages.Package, s string) diag.Position {
	if s == "" || s == "-" {
		return diag.Position{}
	}
	file, line, col := s, 0, 0
	if i := strings.LastIndex(file, ":"); i > 0 {
		if n, err := strconv.Atoi(file[i+1:]); err == nil {
			file, col = file[:i], n
			if j := strings.LastIndex(file, ":"); j > 0 {
				if n, err := strconv.Atoi(file[j+1:]); err == nil {
					file, line = file[:j], n
				} else {
					line, col = col, 0
				}
			} else {
				line, col = col, 0
			}
		}
	}
	if !filepath.IsAbs(file) && r.ld != nil {
		// The go command names files relative to the directory it ran
		// in, which is one registry's of all that share the load.
		file = filepath.Join(r.ld.dir, file)
	}
	return diag.Position{File: r.pkgRel(p, file), Line: line, Col: col}
}

// pkgRel names a file of package p: relative to the working directory when
// it lies in the working directory's module or workspace (so an editor or
// code-scanning upload finds it), else — GOROOT, the module cache — as
// import path and base name ("net/http/server.go"), which is the same on
// every machine.
//
// What it makes of a name depends on the name only as fileKey tells, given
// where the working directory lies in the tree (verifyKey).
func (r *resolver) pkgRel(p *packages.Package, file string) string {
	if r.cfg.Action != nil {
		return r.actionRel(p, file)
	}
	if !filepath.IsAbs(file) {
		return filepath.ToSlash(file)
	}
	if _, ok := inTree(r.treeRoot(), file); ok {
		if rel, err := filepath.Rel(r.cfg.Dir, file); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	name := p.PkgPath + "/" + filepath.Base(file)
	if r.external == nil {
		r.external = map[string]bool{}
	}
	r.external[name] = true
	return name
}

// treeRoot is the module or workspace root of the working directory.
func (r *resolver) treeRoot() string {
	if r.root == "" {
		r.root = modtree.Root(r.cfg.Dir)
	}
	return r.root
}

// inTree reports whether file lies in the tree at root, and where: its
// path relative to root, without "..".
func inTree(root, file string) (string, bool) {
	rel, err := filepath.Rel(root, file)
	return rel, err == nil && filepath.IsLocal(rel)
}

// fileKey is what pkgRel makes of a file name, independent of where the
// tree at root lies: a relative name as it is, a file in the tree by its
// path there, and any other by its base name, which is all pkgRel keeps
// of it. Two names with the same fileKey get the same name from pkgRel.
func fileKey(root, file string) string {
	if !filepath.IsAbs(file) {
		return "name " + file
	}
	if rel, ok := inTree(root, file); ok {
		return "tree " + rel
	}
	return "other " + filepath.Base(file)
}

// cleanMsg makes a go command message fit a diagnostic: see cleanMsg.
func (r *resolver) cleanMsg(msg string) string {
	if a := r.cfg.Action; a != nil {
		// No go command ran: the messages are handlergen's, and name
		// the action's files under its root.
		return strings.ReplaceAll(msg, a.Root+string(filepath.Separator), "")
	}
	return cleanMsg(r.cfg.Dir, msg)
}

// cleanMsg makes a go command message fit a diagnostic. Paths in the
// module (or workspace) of dir become relative to dir — also those outside
// dir itself, as when go generate runs in a subdirectory on ../handlers —
// and files in GOROOT and the module cache are named from there, so no
// message shows an absolute path. go/packages' wrapping of a failed go
// command goes, and the go command's "to add it:" advice joins its line.
func cleanMsg(dir, msg string) string {
	root := modtree.Root(dir)
	if root == "" {
		root = dir
	}
	// The module cache and GOROOT first: either may lie inside the tree (a
	// CI cache directory), and their files are named from there anyway.
	for _, e := range [...]struct{ name, dir string }{{"$GOMODCACHE", goModCache()}, {"$GOROOT", build.Default.GOROOT}} {
		if e.dir != "" {
			msg = strings.ReplaceAll(msg, e.dir+string(filepath.Separator), e.name+"/")
		}
	}
	msg = relativize(msg, root, dir)
	msg = goCmdNoise.ReplaceAllString(msg, "")
	return goCmdAdvice.ReplaceAllString(msg, "$1: ")
}

func goModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := filepath.SplitList(build.Default.GOPATH); len(gp) > 0 {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	return ""
}

// pathEnd are the characters that end a path the go command prints bare.
const pathEnd = " \t\r\n:;,'\"()"

// relativize rewrites every path at or below root in msg relative to dir.
func relativize(msg, root, dir string) string {
	sep, rest := regexp.QuoteMeta(string(filepath.Separator)), `[^`+regexp.QuoteMeta(pathEnd)+`]*`
	expr := regexp.QuoteMeta(root) + `(?:` + sep + rest + `)?`
	if strings.HasSuffix(root, string(filepath.Separator)) { // the file system's root
		expr = regexp.QuoteMeta(root) + rest
	}
	re := regexp.MustCompile(expr)
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(msg, -1) {
		if m[0] > 0 && !strings.ContainsRune(pathEnd, rune(msg[m[0]-1])) ||
			m[1] < len(msg) && !strings.ContainsRune(pathEnd, rune(msg[m[1]])) {
			continue // part of a longer name that merely contains root
		}
		rel, err := filepath.Rel(dir, msg[m[0]:m[1]])
		if err != nil {
			continue
		}
		b.WriteString(msg[last:m[0]])
		b.WriteString(filepath.ToSlash(rel))
		last = m[1]
	}
	b.WriteString(msg[last:])
	return b.String()
}

var (
	// goCmdNoise is how go/packages wraps a failed go command's stderr.
	goCmdNoise = regexp.MustCompile(`err: exit status \d+: stderr: `)
	// goCmdAdvice is the go command's "...; to add it:" (or "; to add:") followed by the
	// command on an indented line of its own.
	goCmdAdvice = regexp.MustCompile(`(to \w+(?: it)?):\s*\n\s+`)
)

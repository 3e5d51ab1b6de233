package gen

import (
	"bufio"
	"context"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
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

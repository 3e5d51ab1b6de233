package gen

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
)

// Module facts come from modtree, handlergen's one owner of them.

// findMainModules returns the main module's path, or under a workspace the
// path of every module it uses.
func findMainModules(dir string) []string {
	return slices.Sorted(maps.Keys(modtree.MainModules(dir, goenv.ModFile())))
}

// scanOutput reads the other Go files of the output directory. name is the
// package clause for the output file: the one given, else the package of
// the first non-test file the build would use that is not a handlergen
// registry, else the directory's name made into an identifier. ($GOPACKAGE
// is the CLI's business: it belongs to the directory go generate runs in.)
// decls are the names the files of that package, its tests included,
// declare at package level: the generated file's import names must stay
// clear of them, or it would not compile ("x already declared through
// import"). They are read from every file, whatever its build constraints,
// so that the output is the same on every GOOS and builds on each.
// imported are the names those files' imports declare (not other
// registries', which give way when regenerated): the registry's own
// package-level names must not take them.
func scanOutput(outDir, outFile, given string) (name string, decls, imported []string) {
	entries, _ := os.ReadDir(outDir)
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return scanFiles(outDir, outFile, given, names)
}

// scanFiles is scanOutput on the files names of outDir, in order: those of
// the directory, or, in an action, the ones its config declares.
func scanFiles(outDir, outFile, given string, names []string) (name string, decls, imported []string) {
	name = given
	var files []*ast.File
	regenerable := map[*ast.File]bool{}             // other handlergen registries
	fileDirs := map[*ast.File][]cmdline.Directive{} // their go:generate handlergen lines
	paths := map[*ast.File]string{}
	for _, n := range names {
		if !strings.HasSuffix(n, ".go") || filepath.Join(outDir, n) == outFile {
			continue
		}
		src, err := output.ReadFile(filepath.Join(outDir, n))
		if err != nil {
			continue
		}
		// A file that does not parse still yields what precedes the error.
		f, _ := parser.ParseFile(token.NewFileSet(), n, src, parser.SkipObjectResolution)
		if f == nil || f.Name == nil {
			continue
		}
		generated := cmdline.HasHeader(src)
		regenerable[f] = generated
		fileDirs[f] = cmdline.Directives(src, filepath.Join(outDir, n), f.Name.Name)
		paths[f] = filepath.Join(outDir, n)
		if name == "" && !generated && !strings.HasSuffix(n, "_test.go") {
			if ok, err := build.Default.MatchFile(outDir, n); err == nil && ok { // not //go:build ignore
				name = f.Name.Name
			}
		}
		files = append(files, f)
	}
	if name == "" {
		name = cmdline.DirPackage(outDir)
	}
	// The package's other registries, as its directives make them: their
	// names count even before their files exist (go generate runs one
	// directive at a time), and their files' names, which may be stale,
	// do not.
	made := map[string]bool{}
	for _, f := range files {
		if f.Name.Name != name {
			continue
		}
		for _, d := range fileDirs[f] {
			if d.Err != nil {
				continue
			}
			if o := filepath.Clean(d.Flags.OutputPath(outDir)); filepath.Dir(o) == outDir && o != filepath.Clean(outFile) {
				made[o] = true
				decls = append(decls, declaredNames(d.Flags.Var)...)
			}
		}
	}
	for _, f := range files {
		if f.Name.Name != name || regenerable[f] && made[paths[f]] {
			continue // another package (name_test), or a registry whose directive speaks for it
		}
		for _, imp := range f.Imports {
			// Another registry's import names step aside for ours when it
			// is regenerated (check reports it stale until then).
			if n := importName(imp); n != "" && !regenerable[f] {
				imported = append(imported, n)
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					decls = append(decls, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						decls = append(decls, spec.Name.Name)
					case *ast.ValueSpec:
						for _, id := range spec.Names {
							decls = append(decls, id.Name)
						}
					}
				}
			}
		}
	}
	decls = slices.DeleteFunc(decls, func(d string) bool { return d == "_" }) // never in conflict
	slices.Sort(decls)
	slices.Sort(imported)
	return name, slices.Compact(decls), slices.Compact(imported)
}

// importName is the name an import declares in its file: its alias, else
// the name the package is assumed to have, as goimports assumes it: the
// last path element without a major-version element, a "go-" prefix or
// anything from the first character that cannot be in an identifier
// (gopkg.in/yaml.v3 → yaml, go-sqlite3 → sqlite3). Blank and dot imports
// declare no single name.
func importName(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		if n := imp.Name.Name; n != "_" && n != "." {
			return n
		}
		return ""
	}
	p, err := strconv.Unquote(imp.Path.Value)
	if err != nil {
		return ""
	}
	elem := path.Base(p)
	if len(elem) > 1 && elem[0] == 'v' && strings.Trim(elem[1:], "0123456789") == "" && path.Dir(p) != "." {
		elem = path.Base(path.Dir(p)) // example.com/mod/v2
	}
	elem = strings.TrimPrefix(elem, "go-")
	if i := strings.IndexFunc(elem, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }); i >= 0 {
		elem = elem[:i]
	}
	return elem
}

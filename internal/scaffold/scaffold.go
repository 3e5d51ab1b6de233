// Package scaffold writes a new handler: a package whose type implements
// the handler interface with a stub for each method, its contract, and,
// when the registry's package has none yet, the //go:generate directive
// that makes the registry. It is `handlergen new`, as `cobra-cli add` or
// `gqlgen init` are for their tools: after it, `go generate` builds a
// registry holding the new handler.
//
// Plan computes every file and writes nothing; Write creates them, never
// replacing a file that exists, and removes what it created when it fails.
package scaffold

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/build"
	"go/format"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/gotype"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// SchemaFile is the name under which a module keeps `handlergen schema`'s
// output; a new contract points its editor at it when the module root has it.
const SchemaFile = "contract.schema.json"

// ToolPath is handlergen's command as a go.mod tool directive names it.
const ToolPath = "github.com/handlergen/handlergen/cmd/handlergen"

// Options say what to create.
type Options struct {
	Dir       string        // working directory, absolute: the package the registry lives in
	Target    string        // DIR/NAME of the new handler package, relative to Dir
	Interface string        // IMPORT/PATH.Name the handler implements; default: the existing registry's, else registry.Handler
	Type      registry.Type // the contract's handler_type; default compute
}

// File is one file to create.
type File struct {
	Path string // relative to Options.Dir, slash-separated
	Data []byte
}

// Scaffold is what Plan decided: the files, in the order Write creates
// them, and what the user should know before running go generate.
type Scaffold struct {
	Dir       string
	Files     []File
	Handler   string // handler_name
	Class     string // handler_class
	Directive string // the directive written, or the existing one ("file:line"), or the registry file when only its header records how it is made
	Added     bool   // Directive was added by this scaffold
	// Existing is the registry that the package's directive already
	// makes; the CLI, which knows its flags, checks that it reads Contract.
	Existing *cmdline.Found
	Contract string // the new contract, relative to Dir, slash-separated
	Notes    []string
}

// Plan works out the handler package, contract and directive for o. It
// loads the interface with go/packages; it writes nothing.
func Plan(ctx context.Context, o Options) (*Scaffold, error) {
	existing, err := registryFor(o.Dir, o.Interface)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Interface != "":
	case existing != nil:
		// The handler must implement what the package's registry requires,
		// or go generate refuses it (006).
		o.Interface = existing.Flags.Interface
	default:
		o.Interface = cmdline.DefaultInterface
	}
	if o.Type == 0 {
		o.Type = registry.Compute
	}
	target := filepath.Clean(filepath.Join(o.Dir, filepath.FromSlash(o.Target)))
	if filepath.IsAbs(o.Target) {
		target = filepath.Clean(o.Target)
	}
	rel, err := filepath.Rel(o.Dir, target)
	if err != nil || rel == "." || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%s: the handler package must be a new directory below the working directory", o.Target)
	}
	name := filepath.Base(target)
	pkgName, typeName, err := names(name)
	if err != nil {
		return nil, err
	}
	if err := below(o.Dir, rel); err != nil {
		return nil, err
	}
	if err := empty(target, o.Target); err != nil {
		return nil, err
	}
	mod, err := modtree.ReadModule(o.Dir, goenv.ModFile())
	if err != nil {
		return nil, err
	}
	modRoot := mod.Dir
	importPath := mod.ImportPath(target)
	if importPath == "" {
		return nil, fmt.Errorf("%s is outside the module at %s", o.Target, pathx.Rel(o.Dir, modRoot))
	}
	if err := module.CheckImportPath(importPath); err != nil {
		return nil, fmt.Errorf("%s: the package would have an invalid import path: %v", o.Target, err)
	}
	iface, err := loadInterface(ctx, o.Dir, o.Interface)
	if err != nil {
		return nil, err
	}
	if err := nameable(iface, o.Interface, importPath); err != nil {
		return nil, err
	}
	// The registry's package imports the interface's; go generate refuses
	// what it cannot import (015), so the scaffold does too.
	regPath := mod.ImportPath(o.Dir)
	switch ip := iface.pkg.Path(); {
	case ip == regPath:
		return nil, fmt.Errorf("-interface %s is declared in the working directory's package, where the registry is written, which go generate does not load: move the interface to a package of its own", o.Interface)
	case iface.pkg.Name() == "main":
		return nil, fmt.Errorf("-interface %s is declared in a main package, which no package can import: move the interface to a package of its own", o.Interface)
	case !importdecl.Importable(ip, regPath):
		return nil, fmt.Errorf("-interface %s is declared in an internal package that the registry's package %s may not import", o.Interface, regPath)
	}
	s := &Scaffold{Dir: o.Dir, Handler: name, Class: importPath + "." + typeName}
	src, err := handlerSource(pkgName, typeName, name, o.Type, iface)
	if err != nil {
		return nil, err
	}
	slashRel := filepath.ToSlash(rel)
	s.Files = append(s.Files, File{Path: slashRel + "/" + pkgName + ".go", Data: src})
	s.Contract = slashRel + "/" + contracts.HandlerContractFile
	s.Files = append(s.Files, File{Path: s.Contract, Data: contract(name, s.Class, o.Type, target, modRoot)})

	if err := s.directive(o, existing, filepath.ToSlash(filepath.Dir(rel)), modRoot); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(mod.File.Tool, func(t *modfile.Tool) bool { return t.Path == ToolPath }) {
		s.Notes = append(s.Notes, fmt.Sprintf("go.mod has no tool directive for handlergen, which go:generate lines run as go tool handlergen; add one: go get -tool %s (before a release: see the README)", ToolPath))
	}
	return s, nil
}

// RegistriesError is Plan's error when a handlergen directive or registry
// header of the working directory's package cannot be used (arguments
// handlergen refuses, an output outside the module, a header it cannot
// read): the new handler's registry cannot be chosen, and taking the
// package for one without a registry would add a second directive that
// makes the same file. Diags are the problems as generate and check report
// them, sorted.
type RegistriesError struct{ Diags diag.List }

func (e *RegistriesError) Error() string {
	return RegistriesErrorText + " " + diag.ListError(e.Diags).Error()
}

// RegistriesErrorText introduces the diagnostics of a RegistriesError.
const RegistriesErrorText = "the package's handlergen directives or registries cannot be used, so the new handler's registry cannot be chosen; fix them first:"

// registryFor returns the registry that a handlergen directive of the
// working directory's package makes, or nil: with iface given, the first
// one that requires iface, and an error when the package's registries all
// require another interface (the new handler would be in none of them), or
// a *RegistriesError when one cannot be used.
func registryFor(dir, iface string) (*cmdline.Found, error) {
	found, ds := cmdline.FindRegistries(dir, []string{"."})
	if ds.HasErrors() {
		ds = ds.Compact()
		ds.Sort()
		return nil, &RegistriesError{Diags: ds}
	}
	var others []string
	for _, f := range found {
		switch {
		case f.Directive != "": // in the package: FindRegistries read "." alone
		case f.Directive == "" && f.Header && filepath.Clean(f.Dir) == filepath.Clean(dir):
			// A registry made by running handlergen by hand: a directive
			// added now would make the same file from other inputs and
			// drop its handlers.
		default:
			continue
		}
		if iface == "" || f.Flags.Interface == iface {
			return &f, nil
		}
		others = append(others, fmt.Sprintf("%s (-interface %s)", cmp.Or(f.Directive, pathx.Rel(dir, f.Output)), f.Flags.Interface))
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("-interface %s: the package's registries, made by the directives at %s, require other interfaces, so go generate would refuse the handler; give their -interface, or leave it out", iface, strings.Join(others, ", "))
	}
	return nil, nil
}

// directive adds a file holding the //go:generate line to the working
// directory's package unless a handlergen directive there already makes a
// registry (existing).
func (s *Scaffold) directive(o Options, existing *cmdline.Found, dir, modRoot string) error {
	if existing != nil {
		s.Directive, s.Existing = existing.Directive, existing
		if existing.Directive == "" {
			s.Directive = pathx.Rel(o.Dir, existing.Output)
		}
		return nil
	}
	input := "./" + dir
	if dir == "." {
		input = "."
	}
	var args []string
	if o.Interface != cmdline.DefaultInterface {
		args = append(args, "-interface", o.Interface)
	}
	args = append(args, "-o", cmdline.DefaultOutput, input)
	line := cmdline.DirectiveLine(args)
	pkg, err := packageName(o.Dir, o.Dir == modRoot)
	if err != nil {
		return err
	}
	var file string
	for _, f := range []string{"generate.go", "handlergen.go"} {
		if _, err := os.Lstat(filepath.Join(o.Dir, f)); errors.Is(err, os.ErrNotExist) {
			file = f
			break
		}
	}
	if file == "" {
		return fmt.Errorf("the package has no handlergen directive, and generate.go and handlergen.go both exist: add %q to a file of the package", line)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// go generate writes %s, which declares %s: the handlers\n", cmdline.DefaultOutput, cmdline.DefaultVar)
	b.WriteString("// whose contracts are under " + input + ".\n\n")
	b.WriteString(line + "\n")
	s.Files = append(s.Files, File{Path: file, Data: b.Bytes()})
	s.Directive, s.Added = line, true
	return nil
}

// Write creates the planned files. A file that exists by then is not
// replaced: Write stops, removes the files and directories it created,
// and returns the error.
func (s *Scaffold) Write() (err error) {
	var created []string // files, then directories, in creation order
	defer func() {
		if err != nil {
			for _, p := range slices.Backward(created) {
				os.Remove(p)
			}
		}
	}()
	for _, f := range s.Files {
		p := filepath.Join(s.Dir, filepath.FromSlash(f.Path))
		var dirs []string
		for d := filepath.Dir(p); d != s.Dir; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil {
				break
			}
			dirs = append(dirs, d)
		}
		for _, d := range slices.Backward(dirs) {
			if err := os.Mkdir(d, 0o777); err != nil {
				return err
			}
			created = append(created, d)
		}
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; handlergen new never replaces a file", f.Path)
			}
			return err
		}
		created = append(created, p)
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// names derives the package name and the type name from the handler's
// name: send-email gives package sendemail and type SendEmail.
func names(name string) (pkg, typ string, err error) {
	var p, t strings.Builder
	upper := true
	for _, r := range name {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			p.WriteRune(unicode.ToLower(r))
			if upper {
				r = unicode.ToUpper(r)
			}
			t.WriteRune(r)
			upper = false
		case r == '-' || r == '_' || r == '.':
			upper = true
		default:
			return "", "", fmt.Errorf("handler name %q: use ASCII letters, digits, '-', '_' and '.'", name)
		}
	}
	pkg, typ = p.String(), t.String()
	if !token.IsIdentifier(pkg) || pkg == "main" || !token.IsIdentifier(typ) || !unicode.IsUpper(rune(typ[0])) {
		return "", "", fmt.Errorf("handler name %q does not give a package name and an exported type name (it must start with a letter and not be a Go keyword or main)", name)
	}
	return pkg, typ, nil
}

// below checks the directories from dir down to the new package (rel,
// relative to dir): each is created, or is a real directory of the same
// module that the go command's ./... and handlergen's discovery enter. A
// symbolic link is refused even when it stays in the module: the write
// would follow it (out of the module, possibly) while neither ./... nor
// the directive's walk does, so the handler would never be registered.
func below(dir, rel string) error {
	elems := strings.Split(filepath.ToSlash(rel), "/")
	for i, e := range elems {
		sub := strings.Join(elems[:i+1], "/")
		if modtree.SkipDir(e) || modtree.Leaf(e) {
			return fmt.Errorf("%s: the go command and handlergen skip directories named testdata or vendor or starting with . or _, so the handler would never be registered", sub)
		}
	}
	for i := range elems {
		sub := strings.Join(elems[:i+1], "/")
		p := filepath.Join(dir, filepath.FromSlash(sub))
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil // the rest is created
		}
		if err != nil {
			return fmt.Errorf("%s: %v", sub, pathx.Pathless(err))
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; handlergen new writes only into the module's own directories", sub)
		case !fi.IsDir():
			if i == len(elems)-1 {
				return nil // empty says what is wrong with the target itself
			}
			return fmt.Errorf("%s is not a directory", sub)
		}
		if modtree.IsModule(os.Stat, p) {
			return fmt.Errorf("%s is another module (it has a go.mod); run handlergen new in that module", sub)
		}
	}
	return nil
}

// empty refuses a target that exists unless it is an empty directory.
func empty(dir, name string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, pathx.Pathless(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory; handlergen new never replaces a file", name)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %v", name, pathx.Pathless(err))
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s exists and is not empty; handlergen new writes only into a new or empty directory", name)
	}
	return nil
}

// packageName is the package of the Go files in dir that the build uses
// (not tests, nor files its build constraints exclude, such as a
// //go:build ignore generator in package main), or, for a directory
// without any, main at the module root, where a program's main.go goes,
// and elsewhere the package go generate would give the registry there.
func packageName(dir string, modRoot bool) (string, error) {
	p, err := build.Default.ImportDir(dir, 0)
	var multi *build.MultiplePackageError
	switch {
	case errors.As(err, &multi):
		return "", fmt.Errorf("the working directory's Go files declare several packages (%s); the directive's file cannot join them", strings.Join(multi.Packages, ", "))
	case err == nil && len(p.GoFiles)+len(p.CgoFiles) > 0:
		return p.Name, nil
	case modRoot:
		return "main", nil
	}
	return cmdline.DirPackage(dir), nil
}

// iface is the loaded interface: its qualified name and method set.
type iface struct {
	pkg     *types.Package
	name    string
	methods []*types.Func
}

// loadInterface loads IMPORT/PATH.Name with go/packages from dir, so the
// path resolves in the user's module as the generator will resolve it.
func loadInterface(ctx context.Context, dir, qualified string) (*iface, error) {
	ipath, name, ok := cmdline.SplitQualified(qualified)
	if !ok {
		return nil, fmt.Errorf("-interface %q: want IMPORT/PATH.Name", qualified)
	}
	env, flags := goenv.Packages() // a -modfile in GOFLAGS as a build flag
	cfg := &packages.Config{Context: ctx, Dir: dir, Mode: packages.NeedName | packages.NeedTypes, Env: env, BuildFlags: flags}
	pkgs, err := packages.Load(cfg, ipath)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %v", ipath, err)
	}
	if len(pkgs) != 1 {
		return nil, fmt.Errorf("-interface %s: %s is not one package", qualified, ipath)
	}
	p := pkgs[0]
	if len(p.Errors) > 0 {
		return nil, fmt.Errorf("-interface %s: %v", qualified, p.Errors[0])
	}
	if p.Types == nil {
		return nil, fmt.Errorf("-interface %s: package %s has no type information", qualified, ipath)
	}
	obj := p.Types.Scope().Lookup(name)
	if obj == nil {
		return nil, fmt.Errorf("-interface %s: package %s declares no exported type %s", qualified, ipath, name)
	}
	it, bad := gotype.Interface(obj) // as go generate will judge it
	if bad != nil {
		return nil, fmt.Errorf("-interface %s %s", qualified, bad.Why)
	}
	out := &iface{pkg: p.Types, name: name}
	for i := range it.NumMethods() {
		m := it.Method(i)
		if !m.Exported() {
			return nil, fmt.Errorf("-interface %s has the unexported method %s, which no type in another package can implement", qualified, m.Name())
		}
		out.methods = append(out.methods, m)
	}
	// In the order the interface declares them (as `impl` writes them);
	// the file's base name keeps the order the same on every machine.
	slices.SortStableFunc(out.methods, func(a, b *types.Func) int {
		pa, pb := p.Fset.Position(a.Pos()), p.Fset.Position(b.Pos())
		if c := strings.Compare(filepath.Base(pa.Filename), filepath.Base(pb.Filename)); c != 0 {
			return c
		}
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return strings.Compare(a.Name(), b.Name())
	})
	return out, nil
}

// nameable refuses an interface whose method signatures use a type that
// the new package (importPath) cannot write: unexported, declared in a
// main package, or in an internal package it may not import. No type
// outside the interface's package can implement such a method, so the
// stub would not compile.
func nameable(it *iface, qualified, importPath string) error {
	seen := map[types.Type]bool{}
	var bad func(t types.Type) string
	named := func(obj *types.TypeName, args *types.TypeList) string {
		if p := obj.Pkg(); p != nil && p.Path() != importPath {
			switch {
			case !obj.Exported():
				return obj.Name() + " is unexported"
			case p.Name() == "main":
				return "its package " + p.Path() + " is a main package"
			case !importdecl.Importable(p.Path(), importPath):
				return "its package " + p.Path() + " is internal"
			}
		}
		for t := range args.Types() {
			if why := bad(t); why != "" {
				return why
			}
		}
		return ""
	}
	bad = func(t types.Type) string {
		if seen[t] {
			return ""
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Alias:
			return named(t.Obj(), t.TypeArgs())
		case *types.Named:
			return named(t.Obj(), t.TypeArgs())
		case *types.Pointer:
			return bad(t.Elem())
		case *types.Slice:
			return bad(t.Elem())
		case *types.Array:
			return bad(t.Elem())
		case *types.Chan:
			return bad(t.Elem())
		case *types.Map:
			if why := bad(t.Key()); why != "" {
				return why
			}
			return bad(t.Elem())
		case *types.Signature:
			for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
				for v := range tup.Variables() {
					if why := bad(v.Type()); why != "" {
						return why
					}
				}
			}
		case *types.Struct:
			for f := range t.Fields() {
				if !f.Exported() && f.Pkg() != nil && f.Pkg().Path() != importPath {
					return "its field " + f.Name() + " is unexported"
				}
				if why := bad(f.Type()); why != "" {
					return why
				}
			}
		case *types.Interface:
			for m := range t.Methods() {
				if !m.Exported() && m.Pkg() != nil && m.Pkg().Path() != importPath {
					return "its method " + m.Name() + " is unexported"
				}
				if why := bad(m.Type()); why != "" {
					return why
				}
			}
		}
		return ""
	}
	for _, m := range it.methods {
		if why := bad(m.Type()); why != "" {
			return fmt.Errorf("-interface %s: the signature of %s uses a type that package %s cannot name (%s), so no handler there can implement it", qualified, m.Name(), importPath, why)
		}
	}
	return nil
}

// handlerSource writes the handler package's Go file: the type and one
// method per interface method. HandlerType and Describe of registry.Handler
// (also when another interface embeds it) restate the contract, so the new
// handler passes registrytest; every other method returns an error saying
// it is not implemented (or panics, when it has no error result).
func handlerSource(pkgName, typeName, handlerName string, typ registry.Type, it *iface) ([]byte, error) {
	// The package's own name is kept clear too: time.Duration in a
	// package time would read as its own.
	im := importdecl.NewNames(pkgName)
	// First every type and every body, which fixes the name of each
	// import; then the receiver and parameter names, which must not hide
	// any of them in a body (a parameter named time in a method whose
	// stub returns time.Time{}).
	type method struct {
		name          string
		sig           *types.Signature
		results, body string
	}
	var ms []method
	for _, m := range it.methods {
		sig := m.Type().(*types.Signature)
		params(sig, im, nil) // names the parameters' imports in declaration order
		mm := method{name: m.Name(), sig: sig, results: results(sig, im)}
		switch {
		case isRegistry(sig, "Type") && m.Name() == "HandlerType":
			mm.body = fmt.Sprintf("\treturn %s.%s\n", im.Name(registryPath, "registry"), typeConst(typ))
		case isRegistry(sig, "Descriptor") && m.Name() == "Describe":
			r := im.Name(registryPath, "registry")
			mm.body = fmt.Sprintf("\treturn %s.Descriptor{Name: %q, Type: %s.%s, Version: %s.Version{Major: 1}}\n", r, handlerName, r, typeConst(typ), r)
		default:
			msg := strconv.Quote(fmt.Sprintf("%s: %s is not implemented", handlerName, m.Name()))
			res := sig.Results()
			if res.Len() == 0 || !gotype.IsError(res.At(res.Len()-1).Type()) {
				mm.body = fmt.Sprintf("\tpanic(%s)\n", msg)
				break
			}
			var vals []string
			for i := range res.Len() - 1 {
				vals = append(vals, zero(res.At(i).Type(), im))
			}
			vals = append(vals, im.Name("errors", "errors")+".New("+msg+")")
			mm.body = fmt.Sprintf("\treturn %s\n", strings.Join(vals, ", "))
		}
		ms = append(ms, mm)
	}
	recv := "h"
	for i := 1; im.Taken(recv); i++ {
		recv = "h" + strconv.Itoa(i)
	}
	var body strings.Builder
	for _, m := range ms {
		// Besides the imports, a body uses the predeclared panic, nil,
		// true and false, which a parameter may legally be named.
		hidden := func(n string) bool {
			return n == recv || im.Taken(n) || n == "panic" || n == "nil" || n == "true" || n == "false"
		}
		fmt.Fprintf(&body, "\nfunc (%s *%s) %s(%s)%s {\n%s}\n", recv, typeName, m.name, params(m.sig, im, hidden), m.results, m.body)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Package %s is the %s handler. handlergen new wrote it: fill in the\n// methods that return \"not implemented\".\npackage %s\n\n", pkgName, handlerName, pkgName)
	if d := importdecl.Decl(im.Specs()); d != "" {
		b.WriteString(d + "\n\n")
	}
	fmt.Fprintf(&b, "// %s implements %s.%s for the contract in %s.\n", typeName, it.pkg.Name(), it.name, contracts.HandlerContractFile)
	fmt.Fprintf(&b, "type %s struct{}\n", typeName)
	b.WriteString(body.String())
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("internal error: the handler source does not format: %v", err)
	}
	return src, nil
}

const registryPath = "github.com/handlergen/handlergen/registry"

func typeConst(t registry.Type) string {
	return map[registry.Type]string{registry.Compute: "Compute", registry.Effect: "Effect", registry.NondeterministicCompute: "NondeterministicCompute"}[t]
}

// isRegistry reports whether sig takes nothing and returns registry.name.
func isRegistry(sig *types.Signature, name string) bool {
	if sig.Params().Len() != 0 || sig.Results().Len() != 1 {
		return false
	}
	n, ok := types.Unalias(sig.Results().At(0).Type()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == registryPath && n.Obj().Name() == name
}

// qualifier names a package in a type as the file imports it.
func qualifier(im *importdecl.Names) types.Qualifier {
	return func(p *types.Package) string { return im.Name(p.Path(), p.Name()) }
}

// params renders a parameter list with the interface's names; a name that
// would hide the receiver or a package the body uses (hidden) becomes _.
func params(sig *types.Signature, im *importdecl.Names, hidden func(string) bool) string {
	ps := sig.Params()
	var out []string
	for i := range ps.Len() {
		p := ps.At(i)
		t := types.TypeString(p.Type(), qualifier(im))
		if sig.Variadic() && i == ps.Len()-1 {
			t = "..." + types.TypeString(p.Type().(*types.Slice).Elem(), qualifier(im))
		}
		switch n := p.Name(); {
		case n == "":
			out = append(out, t)
		case hidden != nil && hidden(n):
			out = append(out, "_ "+t)
		default:
			out = append(out, n+" "+t)
		}
	}
	return strings.Join(out, ", ")
}

func results(sig *types.Signature, im *importdecl.Names) string {
	rs := sig.Results()
	var out []string
	for i := range rs.Len() {
		out = append(out, types.TypeString(rs.At(i).Type(), qualifier(im)))
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return " " + out[0]
	}
	return " (" + strings.Join(out, ", ") + ")"
}

// zero is an expression of t's zero value.
func zero(t types.Type, im *importdecl.Names) string {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false"
		case u.Info()&types.IsString != 0:
			return `""`
		case u.Info()&types.IsNumeric != 0:
			return "0"
		}
		return "nil"
	case *types.Struct, *types.Array:
		return types.TypeString(t, qualifier(im)) + "{}"
	}
	return "nil"
}

// contract is the new handler's handler_contract.yaml. It points editors at
// the module's JSON Schema when the module root has one.
func contract(name, class string, typ registry.Type, dir, modRoot string) []byte {
	var b bytes.Buffer
	if _, err := os.Stat(filepath.Join(modRoot, SchemaFile)); err == nil {
		if rel, err := filepath.Rel(dir, filepath.Join(modRoot, SchemaFile)); err == nil {
			fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", filepath.ToSlash(rel))
		}
	}
	fmt.Fprintf(&b, "handler_name: %s\n", yamlString(name))
	fmt.Fprintf(&b, "handler_class: %s\n", yamlString(class))
	fmt.Fprintf(&b, "handler_type: %s\n", typ)
	b.WriteString("handler_version: {major: 1, minor: 0, patch: 0}\n")
	return b.Bytes()
}

// yamlString quotes s (always: a handler named "yes" or "1e3" must stay a
// string). JSON strings are YAML double-quoted strings.
func yamlString(s string) string { return strconv.Quote(s) }

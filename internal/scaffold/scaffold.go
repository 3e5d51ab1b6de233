// Package scaffold writes a new handler: a package whose type implements
// the handler interface with a stub for each method, its contract, and,
// when the registry's package has none yet, the //go:generate directive
// that makes the registry. It is `handlergen new`, as `cobra-cli add` or
// `gqlgen init` are for their tools: after it, `go generate` builds a
// registry holding the new handler.
//
// Plan computes every file and writes nothing; Write creates them, never
// replacing a file that exists, and removes what it created when it fails.
// Plan's parts: where the handler goes (target.go), the interface it
// implements (iface.go), its Go file (source.go) and contract
// (contract.go), and the registry that will hold it (registry.go). What a
// module, a directive, an import name or a usable interface is, it asks
// modtree, cmdline, importdecl and gotype, as gen does.
package scaffold

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

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
	importPath := mod.ImportPath(target)
	if importPath == "" {
		return nil, fmt.Errorf("%s is outside the module at %s", o.Target, pathx.Rel(o.Dir, mod.Dir))
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
	s.Files = append(s.Files, File{Path: s.Contract, Data: contract(name, s.Class, o.Type, target, mod.Dir)})

	if err := s.directive(o, existing, filepath.ToSlash(filepath.Dir(rel)), mod.Dir); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(mod.File.Tool, func(t *modfile.Tool) bool { return t.Path == ToolPath }) {
		// Named as read: a -modfile in GOFLAGS is the go.mod go tool reads.
		s.Notes = append(s.Notes, fmt.Sprintf("%s has no tool directive for handlergen, which go:generate lines run as go tool handlergen; add one: go get -tool %s (before a release: see the README)", mod.File.Syntax.Name, ToolPath))
	}
	return s, nil
}

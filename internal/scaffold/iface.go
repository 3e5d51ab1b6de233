package scaffold

import (
	"context"
	"fmt"
	"go/types"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/gotype"
	"github.com/handlergen/handlergen/internal/importdecl"
)

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

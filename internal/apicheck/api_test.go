package apicheck

import (
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestNoInternalTypesInPublicAPI walks every exported name of every
// public package — functions, methods, variables, constants, exported
// struct fields and interface methods — and fails on any type from an
// internal package in it.
func TestNoInternalTypesInPublicAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: "../.."}, "github.com/handlergen/handlergen/...")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range pkgs {
		if isInternal(p.PkgPath) || p.Types == nil || strings.Contains(p.PkgPath, "/examples/") || p.Name == "main" {
			continue
		}
		checked++
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			if !obj.Exported() {
				continue
			}
			where := p.PkgPath + "." + name
			if tn, ok := obj.(*types.TypeName); ok {
				check(t, where, tn.Type().Underlying(), map[types.Type]bool{})
				if n, ok := tn.Type().(*types.Named); ok {
					for m := range n.Methods() {
						if m.Exported() {
							check(t, where+"."+m.Name(), m.Type(), map[types.Type]bool{})
						}
					}
				}
				continue
			}
			check(t, where, obj.Type(), map[types.Type]bool{})
		}
	}
	if checked < 4 {
		t.Fatalf("checked %d packages", checked)
	}
}

func isInternal(path string) bool {
	return strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal")
}

// check reports an internal named type reachable from typ through what a
// caller can see: not through unexported fields, and not into other named
// types (their own exported API is checked where they are declared).
func check(t *testing.T, where string, typ types.Type, seen map[types.Type]bool) {
	t.Helper()
	if seen[typ] {
		return
	}
	seen[typ] = true
	switch typ := typ.(type) {
	case *types.Named:
		if pkg := typ.Obj().Pkg(); pkg != nil && isInternal(pkg.Path()) {
			t.Errorf("%s exposes %s.%s, which its callers cannot name", where, pkg.Path(), typ.Obj().Name())
		}
		for a := range typ.TypeArgs().Types() {
			check(t, where, a, seen)
		}
	case *types.Alias:
		check(t, where, types.Unalias(typ), seen)
	case *types.Pointer:
		check(t, where, typ.Elem(), seen)
	case *types.Slice:
		check(t, where, typ.Elem(), seen)
	case *types.Array:
		check(t, where, typ.Elem(), seen)
	case *types.Map:
		check(t, where, typ.Key(), seen)
		check(t, where, typ.Elem(), seen)
	case *types.Chan:
		check(t, where, typ.Elem(), seen)
	case *types.Signature:
		for v := range typ.Params().Variables() {
			check(t, where, v.Type(), seen)
		}
		for v := range typ.Results().Variables() {
			check(t, where, v.Type(), seen)
		}
	case *types.Struct:
		for f := range typ.Fields() {
			if f.Exported() {
				check(t, where+"."+f.Name(), f.Type(), seen)
			}
		}
	case *types.Interface:
		for m := range typ.Methods() {
			if m.Exported() {
				check(t, where+"."+m.Name(), m.Type(), seen)
			}
		}
	}
}

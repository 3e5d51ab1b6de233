package scaffold

import (
	"fmt"
	"go/format"
	"go/types"
	"strconv"
	"strings"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/internal/gotype"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/registry"
)

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

package gotype

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

const src = `package p

import "unsafe"

type (
	S   struct{ A, B int }
	I   int
	U   uint
	P   unsafe.Pointer
	F   func()
	Ptr *S
	Sl  []S
	Ar  [2]S
	M   map[string]S
	C   chan S
	Str string

	H interface{ Run() error }
	h interface{ Run() error }
	G[T any] interface{ Get() T }
	GI = G[int]
	GA[T any] = G[T]
	Alias = H
	Lit = interface{ Run() error }
	Constraint interface{ ~int | ~string }
	E = error
)

func Fn() {}

var V int

const K = 1
`

func check(t *testing.T) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&types.Config{Importer: unsafeOnly{}}).Check("p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type unsafeOnly struct{}

func (unsafeOnly) Import(string) (*types.Package, error) { return types.Unsafe, nil }

func TestKind(t *testing.T) {
	p := check(t)
	for name, want := range map[string]string{
		"S": "a struct type", "I": "an int type", "U": "a uint type", "P": "an unsafe.Pointer type", "F": "a func type",
		"Ptr": "a pointer type", "Sl": "a slice type", "Ar": "an array type", "M": "a map type", "C": "a channel type",
		"Str": "a string type", "H": "an interface type",
		"Fn": "a func", "V": "a var", "K": "a const",
	} {
		obj := p.Scope().Lookup(name)
		if got := ObjKind(obj); got != want {
			t.Errorf("ObjKind(%s) = %q, want %q", name, got, want)
		}
		if tn, ok := obj.(*types.TypeName); ok {
			if got := Kind(tn.Type().Underlying()); got != want {
				t.Errorf("Kind(%s) = %q, want %q", name, got, want)
			}
		}
	}
}

// TestInterface: go generate's -interface and handlergen new's accept the
// same names; an alias counts as what it stands for, an instantiation of a
// generic interface too.
func TestInterface(t *testing.T) {
	p := check(t)
	for _, tc := range []struct {
		name, why    string // why "" for an interface handlers can implement
		notInterface bool
	}{
		{name: "H"},
		{name: "Alias"},
		{name: "Lit"},
		{name: "GI"},
		{name: "E"},
		{name: "S", why: "is a struct type, not an interface", notInterface: true},
		{name: "Fn", why: "is a func, not an interface", notInterface: true},
		{name: "V", why: "is a var, not an interface", notInterface: true},
		{name: "G", why: "is generic; give an interface without type parameters"},
		{name: "GA", why: "is generic; give an interface without type parameters"},
		{name: "Constraint", why: "is a constraint (it lists types, not only methods), which no handler value can have"},
		{name: "h", why: "is not exported"},
	} {
		it, bad := Interface(p.Scope().Lookup(tc.name))
		switch {
		case tc.why == "" && (it == nil || bad != nil):
			t.Errorf("Interface(%s) = %v, %+v; want the interface", tc.name, it, bad)
		case tc.why != "" && (it != nil || bad == nil || bad.Why != tc.why || bad.NotInterface != tc.notInterface):
			t.Errorf("Interface(%s) = %v, %+v; want %q (NotInterface %v)", tc.name, it, bad, tc.why, tc.notInterface)
		}
	}
}

func TestIsError(t *testing.T) {
	p := check(t)
	if !IsError(p.Scope().Lookup("E").Type()) {
		t.Error("IsError(E), an alias of error, = false")
	}
	if IsError(p.Scope().Lookup("H").Type()) {
		t.Error("IsError(H) = true")
	}
}

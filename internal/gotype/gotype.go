// Package gotype answers the questions about Go types that the generator
// and the handler scaffold both ask: what kind of type something is, in a
// message; whether a type is error; whether a type name needs type
// arguments; and whether a type name is an interface that handlers can
// implement. One answer each, so that go generate and handlergen new
// accept the same -interface and describe a type the same way.
package gotype

import (
	"go/types"
	"strings"
)

// Kind names what a type is, briefly, with its article, to follow "is":
// "a struct type", "an int type", "a func type". A struct's fields, which
// may be many, are not the point of a message.
func Kind(t types.Type) string {
	switch t := t.(type) {
	case *types.Basic:
		return article(t.String() + " type") // unsafe.Pointer, where Name is Pointer
	case *types.Struct:
		return "a struct type"
	case *types.Signature:
		return "a func type"
	case *types.Pointer:
		return "a pointer type"
	case *types.Slice:
		return "a slice type"
	case *types.Array:
		return "an array type"
	case *types.Map:
		return "a map type"
	case *types.Chan:
		return "a channel type"
	case *types.Interface:
		return "an interface type"
	}
	return article(t.String() + " type")
}

// ObjKind names what a package-level object that is not a type is, with
// its article: "a func", "a var", "a const".
func ObjKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Func:
		return "a func"
	case *types.Var:
		return "a var"
	case *types.Const:
		return "a const"
	case *types.TypeName:
		return Kind(obj.Type().Underlying())
	}
	return "an object" // nothing else is declared at package level
}

// article puts "a" or "an" before a phrase that starts with a Go word:
// an int, an unsafe.Pointer, a uint.
func article(s string) string {
	if strings.HasPrefix(s, "unsafe.") || strings.ContainsAny(s[:1], "aeioAEIO") {
		return "an " + s
	}
	return "a " + s
}

// IsError reports whether t is the predeclared error type.
func IsError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

// Generic reports whether the type obj names needs type arguments: G, or a
// generic alias A[T] = G[T], but not G[int] or A = G[int] (whose
// TypeParams are their origin's).
func Generic(obj types.Object) bool {
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

// Unusable says why an object cannot be the handler interface.
type Unusable struct {
	// NotInterface: the object is no interface type at all (a class not
	// found, to the generator), rather than one no handler can have.
	NotInterface bool
	// Why follows the object's name in a message: "is a struct type, not
	// an interface".
	Why string
}

// Interface returns the interface that obj, the object a -interface
// names, declares, or why handlers cannot implement it: it is no
// interface type, it is generic, it is a constraint, or it is unexported.
// An alias counts as the interface it stands for.
func Interface(obj types.Object) (*types.Interface, *Unusable) {
	it, ok := obj.Type().Underlying().(*types.Interface)
	if _, isType := obj.(*types.TypeName); !isType || !ok {
		return nil, &Unusable{NotInterface: true, Why: "is " + ObjKind(obj) + ", not an interface"}
	}
	switch {
	case Generic(obj):
		return nil, &Unusable{Why: "is generic; give an interface without type parameters"}
	case !it.IsMethodSet():
		return nil, &Unusable{Why: "is a constraint (it lists types, not only methods), which no handler value can have"}
	case !obj.Exported():
		return nil, &Unusable{Why: "is not exported"}
	}
	return it, nil
}

// Package importdecl writes the import declaration of a file handlergen
// generates, grouped as goimports groups it: the standard library, a blank
// line, everything else, each group sorted by path. The registry emitter
// and the handler scaffold both write one, and a file written by either
// must read the same after goimports has run over it. Names chooses the
// name each import goes by in such a file; Importable says which imports
// are allowed at all.
package importdecl

import (
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// Spec is one import: its path, and the name the file uses for it ("" or
// the package's own name for no alias).
type Spec struct {
	Path, Name, PkgName string
}

// Decl renders specs as an import declaration ("" for none). A path given
// twice is imported once; a Name that differs from PkgName is written as an
// alias.
func Decl(specs []Spec) string {
	var std, other []Spec
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Path] {
			continue
		}
		seen[s.Path] = true
		if IsStd(s.Path) {
			std = append(std, s)
		} else {
			other = append(other, s)
		}
	}
	if len(std)+len(other) == 0 {
		return ""
	}
	byPath := func(a, b Spec) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(std, byPath)
	slices.SortFunc(other, byPath)
	var b strings.Builder
	b.WriteString("import (\n")
	write := func(ss []Spec) {
		for _, s := range ss {
			b.WriteString("\t")
			if s.Name != "" && s.Name != s.PkgName {
				b.WriteString(s.Name + " ")
			}
			b.WriteString(strconv.Quote(s.Path) + "\n")
		}
	}
	write(std)
	if len(std) > 0 && len(other) > 0 {
		b.WriteString("\n")
	}
	write(other)
	b.WriteString(")")
	return b.String()
}

// IsStd reports whether path belongs to the standard library by goimports'
// rule: its first element has no dot.
func IsStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// Importable applies the go command's rule for internal packages: a path
// with an "internal" element may be imported only from within the tree
// rooted at that element's parent. The generator refuses a handler package
// the registry may not import, and the scaffold an interface or a type in
// its methods that the new package may not.
func Importable(path, from string) bool {
	elems := strings.Split(path, "/")
	for i := len(elems) - 1; i >= 0; i-- {
		if elems[i] != "internal" {
			continue
		}
		parent := strings.Join(elems[:i], "/")
		if parent == "" {
			return false // standard library internal packages, or a module rooted at internal/
		}
		return from == parent || strings.HasPrefix(from, parent+"/")
	}
	return true
}

// Names chooses the name each import of a file goes by: the package's own
// name where it is free, else that name with the smallest number appended
// that is. A name is free when no import named earlier has it, it is not a
// keyword, a predeclared identifier (the file may use error or nil
// unqualified) or init, and it is none of the names the file's package
// declares, which the caller knows. The order of the calls decides, so the
// names are the same on every run.
type Names struct {
	byPath  map[string]Spec
	order   []string // paths, first named first
	taken   map[string]bool
	mayHide map[string]bool // predeclared identifiers the file never writes
}

// NewNames returns a Names for a file whose package declares the names
// declared at package level.
func NewNames(declared ...string) *Names {
	n := &Names{byPath: map[string]Spec{}, taken: map[string]bool{}}
	for _, d := range declared {
		n.taken[d] = true
	}
	return n
}

// MayHide lets imports go by the predeclared identifiers names, which the
// caller's file never writes unqualified, and returns n.
func (n *Names) MayHide(names ...string) *Names {
	if n.mayHide == nil {
		n.mayHide = map[string]bool{}
	}
	for _, name := range names {
		n.mayHide[name] = true
	}
	return n
}

// Name returns the name of the import of path, whose package is called
// pkgName; the first call for a path chooses it.
func (n *Names) Name(path, pkgName string) string {
	if s, ok := n.byPath[path]; ok {
		return s.Name
	}
	name := pkgName
	for i := 1; n.Taken(name) || token.IsKeyword(name) || types.Universe.Lookup(name) != nil && !n.mayHide[name] || name == "init"; i++ {
		name = pkgName + strconv.Itoa(i)
	}
	n.taken[name] = true
	n.byPath[path] = Spec{Path: path, Name: name, PkgName: pkgName}
	n.order = append(n.order, path)
	return name
}

// Taken reports whether name is an import's name or a declared one: a
// local name the file chooses must not hide it where it is used.
func (n *Names) Taken(name string) bool { return n.taken[name] }

// Specs returns the imports named so far, in the order they were, for
// Decl.
func (n *Names) Specs() []Spec {
	specs := make([]Spec, len(n.order))
	for i, p := range n.order {
		specs[i] = n.byPath[p]
	}
	return specs
}

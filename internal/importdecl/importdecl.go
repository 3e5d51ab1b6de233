// Package importdecl writes the import declaration of a file handlergen
// generates, grouped as goimports groups it: the standard library, a blank
// line, everything else, each group sorted by path. The registry emitter
// and the handler scaffold both write one, and a file written by either
// must read the same after goimports has run over it. Importable says which
// imports are allowed at all.
package importdecl

import (
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

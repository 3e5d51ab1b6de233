package importdecl

import (
	"maps"
	"testing"
)

func TestDecl(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []Spec
		want  string
	}{
		{"none", nil, ""},
		{"std only", []Spec{{Path: "strings", PkgName: "strings"}, {Path: "context", PkgName: "context"}},
			"import (\n\t\"context\"\n\t\"strings\"\n)"},
		{"other only", []Spec{{Path: "example.com/b", PkgName: "b"}, {Path: "example.com/a", PkgName: "a"}},
			"import (\n\t\"example.com/a\"\n\t\"example.com/b\"\n)"},
		{"grouped, aliased, deduplicated",
			[]Spec{
				{Path: "example.com/x/errors", Name: "errors1", PkgName: "errors"},
				{Path: "errors", Name: "errors", PkgName: "errors"},
				{Path: "github.com/mattn/go-sqlite3", Name: "sqlite3", PkgName: "sqlite3"},
				{Path: "errors", Name: "errors", PkgName: "errors"},
				{Path: "context", PkgName: "context"},
			},
			"import (\n\t\"context\"\n\t\"errors\"\n\n\terrors1 \"example.com/x/errors\"\n\t\"github.com/mattn/go-sqlite3\"\n)"},
		{"sorted by path, not by alias",
			[]Spec{{Path: "example.com/b", Name: "a", PkgName: "b"}, {Path: "example.com/a", Name: "z", PkgName: "a"}},
			"import (\n\tz \"example.com/a\"\n\ta \"example.com/b\"\n)"},
	} {
		if got := Decl(tc.specs); got != tc.want {
			t.Errorf("%s: Decl =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestIsStd(t *testing.T) {
	for path, want := range map[string]bool{
		"fmt": true, "net/http": true, "example.com/x": false, "gopkg.in/yaml.v3": false, "internal/x": true, "x.y": false,
	} {
		if got := IsStd(path); got != want {
			t.Errorf("IsStd(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	type imp struct{ path, name string }
	base := []imp{{"github.com/handlergen/handlergen/registry", "registry"}, {"context", "context"}}
	for _, tc := range []struct {
		name     string
		imports  []imp
		declared []string
		want     map[string]string // beside registry and context, which keep their names
	}{
		{"no clash", []imp{{"x/a", "a"}}, []string{"Registry"}, map[string]string{"x/a": "a"}},
		{"same name, first wins", []imp{{"x/a/h", "h"}, {"x/b/h", "h"}}, nil, map[string]string{"x/a/h": "h", "x/b/h": "h1"}},
		{"earlier imports keep their names", []imp{{"x/context", "context"}, {"x/registry", "registry"}}, nil,
			map[string]string{"x/context": "context1", "x/registry": "registry1"}},
		{"declared names are not import names", []imp{{"x/h", "h"}, {"x/h1", "h1"}}, []string{"h", "handlergenhEntries"},
			map[string]string{"x/h": "h1", "x/h1": "h11"}},
		{"predeclared identifiers and init are not import names",
			[]imp{{"x/error", "error"}, {"x/len", "len"}, {"x/init", "init"}, {"x/any", "any"}, {"x/comparable", "comparable"}, {"x/nil", "nil"}, {"x/panic", "panic"}},
			nil, map[string]string{"x/error": "error1", "x/len": "len1", "x/init": "init1", "x/any": "any1", "x/comparable": "comparable1", "x/nil": "nil1", "x/panic": "panic1"}},
		// Go reserves nothing else: err is a name like any other (the
		// registry's closures step aside for it).
		{"err is free", []imp{{"x/err", "err"}}, nil, map[string]string{"x/err": "err"}},
		{"a path named twice keeps its first name", []imp{{"x/a", "a"}, {"x/a", "a"}}, nil, map[string]string{"x/a": "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNames(tc.declared...)
			got := map[string]string{}
			for _, im := range append(base[:len(base):len(base)], tc.imports...) {
				got[im.path] = n.Name(im.path, im.name)
			}
			want := maps.Clone(tc.want)
			want[base[0].path], want[base[1].path] = "registry", "context"
			if !maps.Equal(got, want) {
				t.Errorf("names = %v, want %v", got, want)
			}
			for _, d := range tc.declared {
				if !n.Taken(d) {
					t.Errorf("Taken(%q) = false for a declared name", d)
				}
			}
		})
	}
}

// TestNamesMayHide: a predeclared identifier the file never writes may be
// an import's name; the others still may not.
func TestNamesMayHide(t *testing.T) {
	n := NewNames().MayHide("any", "comparable")
	for _, tc := range []struct{ path, name, want string }{
		{"x/any", "any", "any"}, {"x/comparable", "comparable", "comparable"}, {"x/error", "error", "error1"}, {"x/init", "init", "init1"},
	} {
		if got := n.Name(tc.path, tc.name); got != tc.want {
			t.Errorf("Name(%q, %q) = %q, want %q", tc.path, tc.name, got, tc.want)
		}
	}
}

// TestNamesSpecs: the specs carry each package's own name, so Decl writes
// an alias only where the chosen name differs from it, never because the
// name differs from the path's last element.
func TestNamesSpecs(t *testing.T) {
	n := NewNames("h")
	n.Name("example.com/b/errors", "errors")
	n.Name("errors", "errors")
	n.Name("gopkg.in/yaml.v3", "yaml")
	n.Name("example.com/a/h", "h")
	n.Name("errors", "errors")
	want := "import (\n\terrors1 \"errors\"\n\n\th1 \"example.com/a/h\"\n\t\"example.com/b/errors\"\n\t\"gopkg.in/yaml.v3\"\n)"
	if got := Decl(n.Specs()); got != want {
		t.Errorf("Decl(Specs()) =\n%s\nwant\n%s", got, want)
	}
}

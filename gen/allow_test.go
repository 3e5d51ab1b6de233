package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/registry"
)

// The Python loader's namespace boundary tests, as Go import paths, plus
// Go's '/' boundary.
func TestAllowlist(t *testing.T) {
	for _, tc := range []struct {
		prefixes []string
		class    string
		want     bool
	}{
		{[]string{"example.com/omnibase_infra"}, "example.com/omnibase_infra.Handler", true},
		{[]string{"example.com/omnibase_infra"}, "example.com/omnibase_infra/handlers/auth.Auth", true},
		{[]string{"example.com/omnibase_infra"}, "example.com/omnibase_infra_backdoor.Evil", false},
		{[]string{"example.com/omnibase_infra"}, "example.com/omnibase_infrastructure/x.T", false},
		{[]string{"example.com/omnibase_infra"}, "example.com/omnibase_infr.T", false},
		{[]string{"example.com/package_v1"}, "example.com/package_v10/x.T", false},
		{[]string{"example.com/package_v1"}, "example.com/package_v1/x.T", true},
		{[]string{"mycompany"}, "mycompany_fake/x.T", false},
		{[]string{"mycompany"}, "mycompany/x.T", true},
		{[]string{"mycompany/"}, "mycompany/x.T", true},
		{[]string{"mycompany/"}, "mycompany.T", false},
		{[]string{"net/http"}, "net/http.ServeMux", true},
		{[]string{"net/http"}, "net/http/httputil.ReverseProxy", true},
		{[]string{"net/http"}, "net/https.T", false},
		{[]string{"example.com/app.Auth"}, "example.com/app.Auth", true},
		{[]string{"example.com/app.Auth"}, "example.com/app.AuthX", false},
		{[]string{"a", "example.com/app"}, "example.com/app/x.T", true},
		// A '.' is part of a path element: it is a boundary only before
		// the type name, so no other module is admitted through it.
		{[]string{"example.com/x"}, "example.com/x/h.T", true},
		{[]string{"example.com/x"}, "example.com/x.T", true},
		{[]string{"example.com/x"}, "example.com/x.evil/h.H", false},
		{[]string{"example.com/x"}, "example.com/x.evil.H", false},
		{[]string{"example.com/x"}, "example.com/x.T.U", false}, // package example.com/x.T
		{[]string{"example.com/x"}, "example.com/x/a.b/h.T", true},
		{[]string{"gopkg.in/yaml"}, "gopkg.in/yaml.v3.Node", false},
		{[]string{"gopkg.in/yaml.v3"}, "gopkg.in/yaml.v3.Node", true},
		{[]string{"gopkg.in/yaml.v3"}, "gopkg.in/yaml.v3/sub.T", true},
		{[]string{"example.com/x."}, "example.com/x.T", true},
		{[]string{"example.com/x."}, "example.com/x.evil/h.H", false},
		{[]string{"example.com/x."}, "example.com/x/h.T", false},
		{[]string{"example.com/x/"}, "example.com/x/h.T", true},
		{[]string{"example.com/x/"}, "example.com/x.T", false},
		{[]string{"example.com/x/"}, "example.com/x.evil/h.T", false},
		{[]string{"fmt"}, "fmt.Stringer", true},
		{[]string{"fmt"}, "fmtx.T", false},
		{[]string{"example.com/x.evil"}, "example.com/x.evil/h.H", true},
		{nil, "example.com/app/x.T", false},
		{[]string{""}, "example.com/app/x.T", false},
		// A prefix that is a whole class allows that type only when its
		// name is exported: a module path whose last element holds a '.'
		// is not type v3 of another package.
		{[]string{"gopkg.in/yaml.v3"}, "gopkg.in/yaml.v3", false},
		{[]string{"example.com/lib.v2"}, "example.com/lib.v2", false},
		{[]string{"example.com/lib.v2"}, "example.com/lib.v2.T", true},
		{[]string{"example.com/x.T"}, "example.com/x.T", true},
		{[]string{"example.com/x.T"}, "example.com/x.T/h.H", true},
		{[]string{"example.com/x.T"}, "example.com/x.U", false},
	} {
		a := allowlist{Prefixes: tc.prefixes}
		if got := a.Allows(tc.class); got != tc.want {
			t.Errorf("%v.Allows(%q) = %v, want %v", tc.prefixes, tc.class, got, tc.want)
		}
	}
	if !(allowlist{Any: true}).Allows("anything.T") {
		t.Error("Any does not allow everything")
	}
}

// The main modules are module paths, never classes: a module whose path
// reads like a class (example.com/my.App) does not admit that type of
// another module's package (example.com/my), whatever its name.
func TestAllowlistModules(t *testing.T) {
	for _, tc := range []struct {
		module, class string
		want          bool
	}{
		{"example.com/app", "example.com/app.T", true},
		{"example.com/app", "example.com/app/h.T", true},
		{"example.com/app", "example.com/app.evil/h.T", false},
		{"example.com/app", "example.com/appx.T", false},
		{"example.com/my.App", "example.com/my.App", false},
		{"example.com/my.App", "example.com/my.App.T", true},
		{"example.com/my.App", "example.com/my.App/h.T", true},
		{"example.com/lib.v2", "example.com/lib.v2", false},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3.Node", true},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3", false},
		{"example.com/app", "example.com/app", false},
		{"", "example.com/app.T", false},
	} {
		a := allowlist{Modules: []string{tc.module}}
		if got := a.Allows(tc.class); got != tc.want {
			t.Errorf("module %q: Allows(%q) = %v, want %v", tc.module, tc.class, got, tc.want)
		}
		// -allow of the same path admits at least what the module does.
		if tc.want && !(allowlist{Prefixes: []string{tc.module}}).Allows(tc.class) {
			t.Errorf("-allow %q does not admit %q, which the module %[1]q admits", tc.module, tc.class)
		}
	}
}

// TestAllowlistOnly: -only narrows whatever admits a class (the main
// modules, -allow, -allow-any), by the same element-exact rule. The first
// rows are the Python loader's test_disallowed_namespace_raises_error and
// test_directory_load_respects_namespace_restriction, whose
// allowed_namespaces restricts loading to the listed prefixes.
func TestAllowlistOnly(t *testing.T) {
	app := allowlist{Modules: []string{"example.com/app"}, Only: []string{"example.com/app/handlers"}}
	for _, tc := range []struct {
		a     allowlist
		class string
		why   string // "" when allowed
	}{
		// test_disallowed_namespace_raises_error
		{allowlist{Any: true, Only: []string{"example.com/allowed"}}, "example.com/forbidden/h.Handler", `"example.com/forbidden/h.Handler" is not under any -only namespace: 'example.com/allowed'`},
		// test_directory_load_respects_namespace_restriction: of one
		// directory's contracts, those under the namespace load.
		{app, "example.com/app/handlers/auth.Auth", ""},
		{app, "example.com/app/handlers.Root", ""},
		{app, "example.com/app/internal/debug.Evil", `"example.com/app/internal/debug.Evil" is not under any -only namespace: 'example.com/app/handlers'`},
		{app, "example.com/app/handlersx/h.H", `is not under any -only namespace`},
		{app, "example.com/app.Top", `is not under any -only namespace`},
		// -only never widens: a class it names must still be admitted.
		{allowlist{Modules: []string{"example.com/app"}, Only: []string{"example.com/other"}}, "example.com/other/h.H", `does not start with any of the allowed namespaces: 'example.com/app'`},
		{allowlist{Prefixes: []string{"example.com/lib"}, Only: []string{"example.com/lib/h", "example.com/app"}}, "example.com/lib/h.H", ""},
		{allowlist{Prefixes: []string{"example.com/lib"}, Only: []string{"example.com/lib/h"}}, "example.com/lib/x.H", `is not under any -only namespace`},
		{allowlist{Any: true, Only: []string{"example.com/x."}}, "example.com/x.T", ""},
		{allowlist{Any: true, Only: []string{"example.com/x."}}, "example.com/x/h.T", `is not under any -only namespace`},
		{allowlist{Any: true, Only: []string{"example.com/x"}}, "example.com/x.evil/h.T", `is not under any -only namespace`},
		// No -only: no narrowing.
		{allowlist{Modules: []string{"example.com/app"}}, "example.com/app/internal/debug.Evil", ""},
	} {
		why := tc.a.refusal(tc.class)
		if tc.why == "" && why != "" || tc.why != "" && !strings.Contains(why, tc.why) {
			t.Errorf("%v refusal(%q) = %q, want %q", tc.a, tc.class, why, tc.why)
		}
		if tc.a.Allows(tc.class) != (why == "") {
			t.Errorf("%v: Allows(%q) disagrees with refusal %q", tc.a, tc.class, why)
		}
	}
}

func TestAllowlistString(t *testing.T) {
	for _, tc := range []struct {
		a    allowlist
		want string
	}{
		{allowlist{Any: true}, "(any)"},
		{allowlist{}, "(none - empty allowlist)"},
		{allowlist{Prefixes: []string{"a", "b/c"}}, "'a', 'b/c'"},
		{allowlist{Modules: []string{"m"}, Prefixes: []string{"a"}}, "'m', 'a'"},
		{allowlist{Modules: []string{"m"}, Only: []string{"m/h"}}, "'m'; only 'm/h'"},
		{allowlist{Any: true, Only: []string{"a", "b"}}, "(any); only 'a', 'b'"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// FuzzAllowlist checks the rule against a second formulation of it, over
// path elements: a prefix admits a class when the prefix's elements begin
// the class's import path (a prefix ending in '/' only strictly), when the
// prefix is the import path followed by '.', or when it is the class itself
// and names an exported type. A main module admits only by elements.
// A '.' never ends an element early, so no prefix admits a module whose
// path merely starts with it (example.com/x and example.com/x.evil).
func FuzzAllowlist(f *testing.F) {
	f.Add("example.com/omnibase_infra", "example.com/omnibase_infra_backdoor.T")
	f.Add("net/http", "net/http/httputil.ReverseProxy")
	f.Add("example.com/x", "example.com/x.evil/h.H")
	f.Add("example.com/x.", "example.com/x.T")
	f.Add("example.com/x/", "example.com/x/h.T")
	f.Add("gopkg.in/yaml", "gopkg.in/yaml.v3.Node")
	f.Add("a.", "a.b")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, prefix, class string) {
		got := allowlist{Prefixes: []string{prefix}}.Allows(class)
		if want := allowedByElements(prefix, class); got != want {
			t.Fatalf("Allows(%q, %q) = %v, want %v", prefix, class, got, want)
		}
		// A main module admits exactly the classes whose import path's
		// elements begin with the module's.
		path, _, split := cmdline.SplitQualified(class)
		mod := allowlist{Modules: []string{prefix}}.Allows(class)
		if want := split && prefix != "" && allowedByElements(prefix+"/", path+"/x.T"); mod != want {
			t.Fatalf("module %q: Allows(%q) = %v, want %v", prefix, class, mod, want)
		}
		if got && !strings.HasPrefix(class, prefix) {
			t.Fatalf("allowed %q without the prefix %q", class, prefix)
		}
		if !got || class == prefix {
			return
		}
		// What follows the prefix starts a new element or is the type name.
		rest := class[len(prefix):]
		if !strings.HasSuffix(prefix, "/") && !strings.HasPrefix(rest, "/") && len(prefix) < len(path) {
			t.Fatalf("Allows(%q, %q): package %s continues the prefix's last element", prefix, class, path)
		}
	})
}

func allowedByElements(prefix, class string) bool {
	if prefix == "" {
		return false
	}
	path, name, ok := cmdline.SplitQualified(class)
	if !ok {
		return false
	}
	if class == prefix {
		return token.IsExported(name)
	}
	if q, dot := strings.CutSuffix(prefix, "."); dot {
		return path == q
	}
	want := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	have := strings.Split(path, "/")
	if len(have) < len(want) || strings.HasSuffix(prefix, "/") && len(have) == len(want) {
		return false
	}
	for i := range want {
		if have[i] != want[i] {
			return false
		}
	}
	return true
}

func TestInternalAllowed(t *testing.T) {
	for _, tc := range []struct {
		path, from string
		want       bool
	}{
		{"example.com/app/internal/x", "example.com/app", true},
		{"example.com/app/internal/x", "example.com/app/cmd/y", true},
		{"example.com/app/internal/x", "example.com/application", false},
		{"example.com/app/internal/x", "example.com/other", false},
		{"example.com/app/a/internal", "example.com/app/a/b", true},
		{"example.com/app/a/internal", "example.com/app/b", false},
		{"internal/poll", "example.com/app", false},
		{"example.com/app/x", "", true},
		{"example.com/app/internal/x", "", false},
	} {
		if got := importdecl.Importable(tc.path, tc.from); got != tc.want {
			t.Errorf("importdecl.Importable(%q, %q) = %v, want %v", tc.path, tc.from, got, tc.want)
		}
	}
}

// TestAllowHintWorks: every 013 names an -allow that the command line
// accepts and that, added, admits the class; a class whose import path no
// package can have is refused as such (010), with no hint to follow.
func TestAllowHintWorks(t *testing.T) {
	hint := regexp.MustCompile(`add -allow (.*) to the handlergen command`)
	for _, class := range []string{
		"evil.example/x.T", "os/exec.Cmd", "example.com/app.evil/h.T", "gopkg.in/yaml.v3.Node",
		"example.com/my.App", "Example.com/X/y.T", "a.b/c-d_e~f.T",
		"evil.example/a b.T", "evil.example//x.T", "./x.T", "evil.example/x/../y.T", "evil.example/x/....T",
		"-flag/x.T", "evil.example/\"q\".T", "evil.example/$x.T",
	} {
		path, name, _ := cmdline.SplitQualified(class)
		c := &contracts.Contract{Class: class, ImportPath: path, TypeName: name}
		var ds diag.List
		r := &resolver{cfg: &Config{}, allow: allowlist{Modules: []string{"example.com/app"}}, diags: &ds}
		if todo := r.preflight([]*contracts.Contract{c}); len(todo) != 0 || len(ds) != 1 {
			t.Errorf("%s: passed preflight: %v", class, ds)
			continue
		}
		d := ds[0]
		if d.Code != registry.NamespaceNotAllowed {
			if d.Code != registry.ModuleNotFound || !strings.Contains(d.Message, "invalid import path") {
				t.Errorf("%s: %s", class, d.Message)
			}
			continue
		}
		m := hint.FindStringSubmatch(d.Message)
		if m == nil {
			t.Errorf("%s: 013 without a hint: %s", class, d.Message)
			continue
		}
		f, err := cmdline.Parse("generate", []string{"-allow", m[1], "c"}, io.Discard)
		if err != nil {
			t.Errorf("%s: the hint's -allow %s is refused: %v", class, m[1], err)
			continue
		}
		if a := (allowlist{Modules: []string{"example.com/app"}, Prefixes: f.Allow}); !a.Allows(class) {
			t.Errorf("%s: -allow %s does not admit it", class, m[1])
		}
	}
}

// TestTypeNames: every named type an alias's type is made of, through
// type arguments, pointers, slices, arrays, maps, channels, functions and
// structs, once each, in the order met.
func TestTypeNames(t *testing.T) {
	src := `package p

import "example.com/g"

type A struct{}
type B int
type Box[T any] struct{ v T }
type Pair[K comparable, V any] struct{}

var (
	_ Box[A]
	_ Box[*Box[B]]
	_ Pair[B, []map[A]chan func(B) *struct{ X [2]A }]
	_ Box[Box[Box[A]]]
	_ g.G
)
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	g := types.NewPackage("example.com/g", "g")
	gt := types.NewTypeName(token.NoPos, g, "G", nil)
	types.NewNamed(gt, types.NewStruct(nil, nil), nil)
	g.Scope().Insert(gt)
	g.MarkComplete()
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: importerFunc(func(string) (*types.Package, error) { return g, nil })}
	if _, err := conf.Check("example.com/p", fset, []*ast.File{f}, info); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, spec := range f.Decls[len(f.Decls)-1].(*ast.GenDecl).Specs {
		var names []string
		for _, tn := range typeNames(info.Types[spec.(*ast.ValueSpec).Type].Type) {
			names = append(names, tn.Pkg().Path()+"."+tn.Name())
		}
		got = append(got, strings.Join(names, " "))
	}
	want := []string{
		"example.com/p.Box example.com/p.A",
		"example.com/p.Box example.com/p.B",
		"example.com/p.Pair example.com/p.B example.com/p.A",
		"example.com/p.Box example.com/p.A",
		"example.com/g.G",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("typeNames:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

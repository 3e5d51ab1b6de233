package gen

import (
	"strings"
	"testing"
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
	} {
		a := Allowlist{Prefixes: tc.prefixes}
		if got := a.Allows(tc.class); got != tc.want {
			t.Errorf("%v.Allows(%q) = %v, want %v", tc.prefixes, tc.class, got, tc.want)
		}
	}
	if !(Allowlist{Any: true}).Allows("anything.T") {
		t.Error("Any does not allow everything")
	}
}

func TestAllowlistString(t *testing.T) {
	for _, tc := range []struct {
		a    Allowlist
		want string
	}{
		{Allowlist{Any: true}, "(any)"},
		{Allowlist{}, "(none - empty allowlist)"},
		{Allowlist{Prefixes: []string{"a", "b/c"}}, "'a', 'b/c'"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// FuzzAllowlist checks the rule against a second formulation of it, over
// path elements: a prefix admits a class when the prefix's elements begin
// the class's import path (a prefix ending in '/' only strictly), when the
// prefix is the import path followed by '.', or when it is the class itself.
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
		got := Allowlist{Prefixes: []string{prefix}}.Allows(class)
		if want := allowedByElements(prefix, class); got != want {
			t.Fatalf("Allows(%q, %q) = %v, want %v", prefix, class, got, want)
		}
		if got && !strings.HasPrefix(class, prefix) {
			t.Fatalf("allowed %q without the prefix %q", class, prefix)
		}
		if !got || class == prefix {
			return
		}
		// What follows the prefix starts a new element or is the type name.
		rest := class[len(prefix):]
		path, _, _ := SplitQualified(class)
		if !strings.HasSuffix(prefix, "/") && !strings.HasPrefix(rest, "/") && len(prefix) < len(path) {
			t.Fatalf("Allows(%q, %q): package %s continues the prefix's last element", prefix, class, path)
		}
	})
}

func allowedByElements(prefix, class string) bool {
	if prefix == "" {
		return false
	}
	if class == prefix {
		return true
	}
	path, _, ok := SplitQualified(class)
	if !ok {
		return false
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

func TestSplitQualified(t *testing.T) {
	for _, tc := range []struct {
		in, path, name string
		ok             bool
	}{
		{"github.com/acme/app/handlers/auth.AuthHandler", "github.com/acme/app/handlers/auth", "AuthHandler", true},
		{"gopkg.in/yaml.v3.Node", "gopkg.in/yaml.v3", "Node", true},
		{"net/http.ServeMux", "net/http", "ServeMux", true},
		{"fmt.Stringer", "fmt", "Stringer", true},
		{"example.com/pkg", "", "example.com/pkg", false},
		{"Value", "", "Value", false},
		{".T", "", ".T", false},
		{"a/b.", "", "a/b.", false},
	} {
		path, name, ok := SplitQualified(tc.in)
		if path != tc.path || name != tc.name || ok != tc.ok {
			t.Errorf("SplitQualified(%q) = %q, %q, %v; want %q, %q, %v", tc.in, path, name, ok, tc.path, tc.name, tc.ok)
		}
	}
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
		if got := internalAllowed(tc.path, tc.from); got != tc.want {
			t.Errorf("internalAllowed(%q, %q) = %v, want %v", tc.path, tc.from, got, tc.want)
		}
	}
}

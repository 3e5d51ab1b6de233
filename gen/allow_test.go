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

// FuzzAllowlist checks the boundary rule against its definition: allowed
// means some prefix is a prefix of class ending at a '/' or '.' boundary.
func FuzzAllowlist(f *testing.F) {
	f.Add("example.com/omnibase_infra", "example.com/omnibase_infra_backdoor.T")
	f.Add("net/http", "net/http/httputil.ReverseProxy")
	f.Add("a.", "a.b")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, prefix, class string) {
		got := Allowlist{Prefixes: []string{prefix}}.Allows(class)
		want := prefix != "" && strings.HasPrefix(class, prefix) &&
			(len(class) == len(prefix) || strings.ContainsAny(prefix[len(prefix)-1:], "/.") || strings.ContainsAny(class[len(prefix):len(prefix)+1], "/."))
		if got != want {
			t.Fatalf("Allows(%q, %q) = %v, want %v", prefix, class, got, want)
		}
		if got && !strings.HasPrefix(class, prefix) {
			t.Fatalf("allowed %q without the prefix %q", class, prefix)
		}
	})
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

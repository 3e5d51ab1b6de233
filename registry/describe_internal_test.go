package registry

import (
	"runtime/debug"
	"testing"
)

func TestClassPackage(t *testing.T) {
	tests := []struct{ class, want string }{
		{"example.com/app/handlers.Echo", "example.com/app/handlers"},
		{"gopkg.in/yaml.v3.Node", "gopkg.in/yaml.v3"},
		{"example.com/v2.T", "example.com/v2"},
		{"main.T", "main"},
		{"a.b.c/d.e.T", "a.b.c/d.e"},
		{"Unqualified", ""},
		{"example.com/pkg", ""},
		{"", ""},
		{".T", ""},
	}
	for _, tt := range tests {
		if got := classPackage(tt.class); got != tt.want {
			t.Errorf("classPackage(%q) = %q, want %q", tt.class, got, tt.want)
		}
	}
}

func TestModuleIndex(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "example.com/lib", Version: "v1.2.3"},
			{Path: "example.com/lib/sub", Version: "v0.4.0"}, // a nested module
			{Path: "example.com/forked", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1-fork"}},
			{Path: "example.com/local", Version: "v1.0.0", Replace: &debug.Module{Path: "../local"}},
			{Path: "example.com/app/tools", Version: "v0.1.0"},
			nil,
			{Path: ""},
		},
	}
	m := newModuleIndex(bi, true)
	tests := []struct{ pkg, mod, ver string }{
		{"example.com/app", "example.com/app", "(devel)"},
		{"example.com/app/handlers/auth", "example.com/app", "(devel)"},
		{"example.com/app/tools/x", "example.com/app/tools", "v0.1.0"},
		{"example.com/appendix", "", ""}, // a prefix, but not at a '/' boundary
		{"example.com/lib", "example.com/lib", "v1.2.3"},
		{"example.com/lib/x", "example.com/lib", "v1.2.3"},
		{"example.com/lib/sub", "example.com/lib/sub", "v0.4.0"},
		{"example.com/lib/sub/deep", "example.com/lib/sub", "v0.4.0"},
		{"example.com/library", "", ""},
		{"example.com/forked/h", "example.com/forked", "v1.0.1-fork"},
		{"example.com/local/h", "example.com/local", "(devel)"},
		{"example.com", "", ""},
		{"other.org/x", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		mod, ver := m.lookup(tt.pkg)
		if mod != tt.mod || ver != tt.ver {
			t.Errorf("lookup(%q) = %q %q, want %q %q", tt.pkg, mod, ver, tt.mod, tt.ver)
		}
	}

	// A stamped main module keeps its version; an empty one is (devel).
	for v, want := range map[string]string{"": "(devel)", "v1.4.0": "v1.4.0"} {
		m := newModuleIndex(&debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: v}}, true)
		if _, got := m.lookup("example.com/app/h"); got != want {
			t.Errorf("main module version %q reported as %q, want %q", v, got, want)
		}
	}
	// No build information: nothing is found.
	for _, m := range []moduleIndex{newModuleIndex(nil, false), newModuleIndex(bi, false), newModuleIndex(&debug.BuildInfo{}, true)} {
		if mod, ver := m.lookup("example.com/app/h"); mod != "" || ver != "" {
			t.Errorf("lookup without build info = %q %q", mod, ver)
		}
	}
}

// TestBuildModulesReadsOnce checks that the build information is read once
// per process, however many times Describe runs.
func TestBuildModulesReadsOnce(t *testing.T) {
	calls := 0
	restore := SetReadBuildInfo(func() (*debug.BuildInfo, bool) {
		calls++
		return &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}}, true
	})
	defer restore()
	r := New([]Entry[int]{{Name: "a", Class: "example.com/app/h.T"}, {Name: "b", Class: "example.com/app/h.U"}})
	for range 3 {
		d := r.Describe()
		if d.Handlers[0].Module != "example.com/app" {
			t.Fatalf("module %q", d.Handlers[0].Module)
		}
	}
	if e, _ := r.Lookup("a"); e.Info().ModuleVersion != "(devel)" {
		t.Errorf("Info: %+v", e.Info())
	}
	if calls != 1 {
		t.Errorf("ReadBuildInfo called %d times, want 1", calls)
	}
}

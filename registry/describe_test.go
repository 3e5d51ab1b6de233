package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/registry"
)

func describedEntries() []registry.Entry[registry.Handler] {
	es := stubEntries("auth", "billing", "yaml")
	es[0].Class = "example.com/app/handlers/auth.AuthHandler"
	es[0].Type = registry.Effect
	es[0].ProtocolType = "auth"
	es[0].Tags = []string{"security", "login"}
	es[0].Version = registry.Version{Major: 1, Minor: 2, Prerelease: "rc.1"}
	es[0].Contract = "handlers/auth/handler_contract.yaml"
	es[0].Digest = "72b60c32"
	es[0].AuditLogging = true
	es[0].TrustedNamespace = "example.com/app"
	es[0].Routing = `{"topic":"auth.v1","weight":2}`
	es[1].Class = "example.com/lib/billing.Biller"
	es[1].Type = registry.NondeterministicCompute
	es[1].Version = registry.Version{Major: 2}
	es[1].Routing = "not json"
	es[2].Class = "gopkg.in/yaml.v3.Node"
	return es
}

func fakeBuildInfo() (*debug.BuildInfo, bool) {
	return &debug.BuildInfo{
		Main: debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "example.com/lib", Version: "v1.5.0"},
			{Path: "gopkg.in/yaml.v3", Version: "v3.0.1"},
		},
	}, true
}

const wantDescription = `{
  "handlers": [
    {
      "name": "auth",
      "class": "example.com/app/handlers/auth.AuthHandler",
      "package": "example.com/app/handlers/auth",
      "type": "effect",
      "protocol_type": "auth",
      "tags": [
        "security",
        "login"
      ],
      "version": "1.2.0-rc.1",
      "contract": "handlers/auth/handler_contract.yaml",
      "digest": "72b60c32",
      "audit_logging": true,
      "trusted_namespace": "example.com/app",
      "routing": {
        "topic": "auth.v1",
        "weight": 2
      },
      "module": "example.com/app",
      "module_version": "(devel)"
    },
    {
      "name": "billing",
      "class": "example.com/lib/billing.Biller",
      "package": "example.com/lib/billing",
      "type": "nondeterministic_compute",
      "protocol_type": "",
      "tags": [],
      "version": "2.0.0",
      "contract": "",
      "digest": "",
      "audit_logging": false,
      "routing": "not json",
      "module": "example.com/lib",
      "module_version": "v1.5.0"
    },
    {
      "name": "yaml",
      "class": "gopkg.in/yaml.v3.Node",
      "package": "gopkg.in/yaml.v3",
      "type": "compute",
      "protocol_type": "",
      "tags": [],
      "version": "0.0.0",
      "contract": "",
      "digest": "",
      "audit_logging": false,
      "module": "gopkg.in/yaml.v3",
      "module_version": "v3.0.1"
    }
  ]
}
`

func TestDescribe(t *testing.T) {
	defer registry.SetReadBuildInfo(fakeBuildInfo)()
	r := registry.New(describedEntries())
	d := r.Describe()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	if b.String() != wantDescription {
		t.Errorf("Describe as JSON:\n%s\nwant:\n%s", b.String(), wantDescription)
	}

	// MarshalJSON is the compact form of the same document, for the
	// registry and for an audited view of it.
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(wantDescription)); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"registry": r, "audited": registry.Wrap(r, registry.WithLogger(nil))} {
		got, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("json.Marshal(%s) = %s", name, got)
		}
	}

	// The description is the caller's: changing it leaves the registry alone.
	d.Handlers[0].Tags[0] = "changed"
	if e, _ := r.Lookup("auth"); e.Tags[0] != "security" {
		t.Errorf("Describe shares Tags with the registry")
	}
}

func TestDescribeEmpty(t *testing.T) {
	for name, r := range map[string]*registry.Registry[registry.Handler]{
		"nil":   nil,
		"empty": registry.New[registry.Handler](nil),
	} {
		b, err := json.Marshal(r.Describe())
		if err != nil || string(b) != `{"handlers":[]}` {
			t.Errorf("%s: %s, %v", name, b, err)
		}
		if b, err := r.MarshalJSON(); err != nil || string(b) != `{"handlers":[]}` {
			t.Errorf("%s: MarshalJSON %s, %v", name, b, err)
		}
	}
}

// TestDescribeRealBuildInfo uses the test binary's own build information:
// the main module is this one. (go test records no dependencies in a test
// binary, so github.com/google/uuid is found only in an ordinary build.)
func TestDescribeRealBuildInfo(t *testing.T) {
	r := registry.New([]registry.Entry[int]{
		{Name: "main", Class: "github.com/handlergen/handlergen/registry.Type"},
		{Name: "dep", Class: "github.com/google/uuid.UUID"},
		{Name: "none", Class: "example.invalid/x.T"},
		{Name: "bare", Class: "T"},
	})
	got := map[string]registry.HandlerInfo{}
	for _, h := range r.Describe().Handlers {
		got[h.Name] = h
	}
	if h := got["main"]; h.Module != "github.com/handlergen/handlergen" || h.ModuleVersion == "" {
		t.Errorf("main module: %q %q", h.Module, h.ModuleVersion)
	}
	if h := got["dep"]; h.Module != "" && (h.Module != "github.com/google/uuid" || !strings.HasPrefix(h.ModuleVersion, "v1.")) {
		t.Errorf("dependency: %q %q", h.Module, h.ModuleVersion)
	}
	for _, n := range []string{"none", "bare"} {
		if h := got[n]; h.Module != "" || h.ModuleVersion != "" {
			t.Errorf("%s: module %q %q", n, h.Module, h.ModuleVersion)
		}
	}
}

func TestDescribeNoBuildInfo(t *testing.T) {
	defer registry.SetReadBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false })()
	b, err := json.Marshal(registry.New(describedEntries()[:1]))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"module`)) {
		t.Errorf("module keys without build information: %s", b)
	}
}

// ExampleRegistry_Describe shows what an admin endpoint serves:
//
//	json.NewEncoder(w).Encode(reg.Describe())
//
// module and module_version name the module that provides the handler's
// package in the running binary; example.com/app is none here, so they are
// left out.
func ExampleRegistry_Describe() {
	reg := registry.New([]registry.Entry[registry.Handler]{{
		Name:         "echo",
		Class:        "example.com/app/handlers.Echo",
		Type:         registry.Compute,
		ProtocolType: "echo",
		Tags:         []string{"demo"},
		Version:      registry.Version{Major: 1, Minor: 2},
		Contract:     "handlers/echo/handler_contract.yaml",
		Digest:       "9f86d081884c7d65",
		New:          func(context.Context) (registry.Handler, error) { return &stub{name: "echo"}, nil },
	}})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(reg.Describe()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "handlers": [
	//     {
	//       "name": "echo",
	//       "class": "example.com/app/handlers.Echo",
	//       "package": "example.com/app/handlers",
	//       "type": "compute",
	//       "protocol_type": "echo",
	//       "tags": [
	//         "demo"
	//       ],
	//       "version": "1.2.0",
	//       "contract": "handlers/echo/handler_contract.yaml",
	//       "digest": "9f86d081884c7d65",
	//       "audit_logging": false
	//     }
	//   ]
	// }
}

// TestEntryDescriptor: an entry's Descriptor is what its contract declares,
// with Tags of its own: changing them leaves the registry's entry as it was.
func TestEntryDescriptor(t *testing.T) {
	r := registry.New([]registry.Entry[int]{{Name: "a", Type: registry.Effect, Version: registry.Version{Major: 1, Minor: 2}, Tags: []string{"x", "y"}}})
	e, _ := r.Lookup("a")
	d := e.Descriptor()
	if d.Name != "a" || d.Type != registry.Effect || d.Version != (registry.Version{Major: 1, Minor: 2}) || !slices.Equal(d.Tags, []string{"x", "y"}) || d.Description != "" {
		t.Fatalf("Descriptor = %+v", d)
	}
	d.Tags[0] = "changed"
	if e.Tags[0] != "x" {
		t.Error("the Descriptor's Tags are the entry's")
	}
	if d := (registry.Entry[int]{}).Descriptor(); d.Tags != nil || d.Name != "" {
		t.Errorf("empty entry: %+v", d)
	}
}

package registry_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/registry"
)

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    registry.Type
		want string
	}{
		{registry.Compute, "compute"},
		{registry.Effect, "effect"},
		{registry.NondeterministicCompute, "nondeterministic_compute"},
		{0, "Type(0)"},
		{9, "Type(9)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tt.t), got, tt.want)
		}
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want registry.Type
		ok   bool
	}{
		{"compute", registry.Compute, true},
		{" EFFECT ", registry.Effect, true},
		{"Nondeterministic_Compute", registry.NondeterministicCompute, true},
		{"", 0, false},
		{"computes", 0, false},
		{"nondeterministic-compute", 0, false},
	}
	for _, tt := range tests {
		got, err := registry.ParseType(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseType(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "compute, effect, nondeterministic_compute") {
			t.Errorf("ParseType(%q) error %q does not list the valid types", tt.in, err)
		}
	}
	for _, ty := range []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute} {
		b, _ := ty.MarshalText()
		var back registry.Type
		if err := back.UnmarshalText(b); err != nil || back != ty {
			t.Errorf("round trip of %v = %v, %v", ty, back, err)
		}
	}
	var bad registry.Type = registry.Effect
	if err := bad.UnmarshalText([]byte("nope")); err == nil || bad != registry.Effect {
		t.Errorf("UnmarshalText(nope) = %v, left %v", err, bad)
	}
}

func TestVersionString(t *testing.T) {
	tests := []struct {
		v    registry.Version
		want string
	}{
		{registry.Version{}, "0.0.0"},
		{registry.Version{Major: 1, Minor: 2, Patch: 3}, "1.2.3"},
		{registry.Version{Major: 1, Prerelease: "rc.1"}, "1.0.0-rc.1"},
		{registry.Version{Major: 1, Build: "build.5"}, "1.0.0+build.5"},
		{registry.Version{Major: 10, Minor: 20, Patch: 30, Prerelease: "alpha", Build: "sha.abc"}, "10.20.30-alpha+sha.abc"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
		if b, _ := tt.v.MarshalText(); string(b) != tt.want {
			t.Errorf("MarshalText = %q", b)
		}
	}
}

func TestCodeString(t *testing.T) {
	tests := []struct {
		c          registry.Code
		want, name string
	}{
		{registry.FileNotFound, "HANDLER_LOADER_001", "FILE_NOT_FOUND"},
		{registry.ModuleNotFound, "HANDLER_LOADER_010", "MODULE_NOT_FOUND"},
		{registry.AmbiguousContractConfiguration, "HANDLER_LOADER_040", "AMBIGUOUS_CONTRACT_CONFIGURATION"},
		{registry.HandlerNotFound, "HANDLER_LOADER_050", "HANDLER_NOT_FOUND"},
		{registry.ConstructorFailed, "HANDLER_LOADER_051", "CONSTRUCTOR_FAILED"},
		{99, "HANDLER_LOADER_099", ""},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Code(%d).String() = %q, want %q", uint16(tt.c), got, tt.want)
		}
		if got := tt.c.Name(); got != tt.name {
			t.Errorf("Code(%d).Name() = %q, want %q", uint16(tt.c), got, tt.name)
		}
	}
	b, err := json.Marshal(map[string]registry.Code{"code": registry.HandlerNotFound})
	if err != nil || string(b) != `{"code":"HANDLER_LOADER_050"}` {
		t.Errorf("json = %s, %v", b, err)
	}
	codes := registry.Codes()
	for i, c := range codes {
		if c.Name() == "" || (i > 0 && codes[i-1] >= c) {
			t.Errorf("Codes()[%d] = %v", i, c)
		}
	}
	if len(codes) != 37 {
		t.Errorf("len(Codes()) = %d", len(codes))
	}
}

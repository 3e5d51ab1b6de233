package goenv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackages: a -modfile that GOFLAGS sets, in the environment or in the
// go env file, leaves GOFLAGS for the build flags, and the other flags stay;
// without one the environment is handed over as it is.
func TestPackages(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte("GOFLAGS=-modfile=old.mod\nGOPROXY=off\nGOFLAGS=-trimpath --modfile=file.mod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goflags := func(env []string) []string {
		var out []string
		for _, e := range env {
			if v, ok := strings.CutPrefix(e, "GOFLAGS="); ok {
				out = append(out, v)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, goenv, goflags string
		wantEnv, wantFlags   []string // GOFLAGS in the environment; the build flags
		wantModFile          string
	}{
		{"none", "off", "", nil, nil, ""},
		{"other flags", "off", "-mod=mod", []string{"-mod=mod"}, nil, ""},
		{"environment", "off", "-mod=mod -modfile=a.mod -modfile=b.mod", []string{"-mod=mod"}, []string{"-modfile=b.mod"}, "b.mod"},
		{"only -modfile", "off", "-modfile=a.mod", []string{" "}, []string{"-modfile=a.mod"}, "a.mod"},
		{"go env file", envFile, "", []string{"-trimpath"}, []string{"-modfile=file.mod"}, "file.mod"},
		{"environment over go env file", envFile, "-mod=mod", []string{"-mod=mod"}, nil, ""},
		// Split as the go command splits it: a field that starts with a
		// quote runs to the same quote, and stays one when joined again.
		{"quoted", "off", `'-modfile=a b/x.mod' "-tags=c d" -mod=mod`, []string{`'-tags=c d' -mod=mod`}, []string{"-modfile=a b/x.mod"}, "a b/x.mod"},
		{"quote within", "off", `-modfile=x.mod "-ldflags=-X 'a=b c'"`, []string{`"-ldflags=-X 'a=b c'"`}, []string{"-modfile=x.mod"}, "x.mod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOENV", tc.goenv)
			t.Setenv("GOFLAGS", tc.goflags)
			if tc.goflags == "" {
				os.Unsetenv("GOFLAGS")
			}
			env, flags := Packages()
			if got := goflags(env); !slices.Equal(got, tc.wantEnv) {
				t.Errorf("GOFLAGS = %q, want %q", got, tc.wantEnv)
			}
			if !slices.Equal(flags, tc.wantFlags) {
				t.Errorf("build flags = %q, want %q", flags, tc.wantFlags)
			}
			if got := ModFile(); got != tc.wantModFile {
				t.Errorf("ModFile = %q, want %q", got, tc.wantModFile)
			}
		})
	}
}

// TestPackagesDriverOff: whatever GOPACKAGESDRIVER the shell sets (gopls
// in a Bazel workspace sets one), the load runs the go command, with the
// variable set to off exactly once, so that no gopackagesdriver on PATH is
// picked up either.
func TestPackagesDriverOff(t *testing.T) {
	for _, v := range []string{"", "/usr/local/bin/bazel-gopackagesdriver", "off"} {
		t.Setenv("GOPACKAGESDRIVER", v)
		if v == "" {
			os.Unsetenv("GOPACKAGESDRIVER")
		}
		t.Setenv("GOENV", "off")
		t.Setenv("GOFLAGS", "-modfile=x.mod") // the GOFLAGS path too
		env, _ := Packages()
		var got []string
		for _, e := range env {
			if name, _, _ := strings.Cut(e, "="); strings.EqualFold(name, "GOPACKAGESDRIVER") {
				got = append(got, e)
			}
		}
		if !slices.Equal(got, []string{"GOPACKAGESDRIVER=off"}) {
			t.Errorf("GOPACKAGESDRIVER=%q: load environment has %q, want only GOPACKAGESDRIVER=off", v, got)
		}
	}
}

// TestSplitQuoted: GOFLAGS splits as cmd/internal/quoted.Split splits it,
// and joinQuoted gives back what splits to the same fields.
func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"  -a \t-b\n", []string{"-a", "-b"}, true},
		{`'-x=a b' "-y=c 'd'"`, []string{"-x=a b", "-y=c 'd'"}, true},
		{`-x='a b'`, []string{"-x='a", "b'"}, true}, // a quote counts only at a field's start
		{`''`, []string{""}, true},
		{`'-x`, nil, false},
	} {
		got, ok := splitQuoted(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			continue
		}
		if again, _ := splitQuoted(joinQuoted(got)); ok && !slices.Equal(again, got) {
			t.Errorf("joinQuoted(%q) splits to %q", got, again)
		}
	}
}

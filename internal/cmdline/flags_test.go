package cmdline

import (
	"io"
	"slices"
	"testing"
)

// TestHeader: the header records the shaping flags as given, in order,
// with the flag set deciding which take a value, and no machine's paths.
func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"-o", "r.go", "./contracts"}, []string{"-o", "r.go", "./contracts"}},
		{[]string{"-v", "-format", "json", "-o=r.go", "-C", "dir", "x"}, []string{"-o=r.go", "x"}},
		{[]string{"--format=github", "-diff", "-correlation-id", "u", "-log-format=json", "a"}, []string{"a"}},
		{[]string{"-allow", "example.com/x", "/work/app/contracts"}, []string{"-allow", "example.com/x", "contracts"}},
		{[]string{"-o=/work/app/gen/r.go", "-o", "/work/app/x.go"}, []string{"-o=gen/r.go", "-o", "x.go"}},
		{[]string{"--", "-odd"}, []string{"--", "-odd"}},
		{[]string{"-allow-any", "-forbid-init", "-var", "V", "-max-handlers", "3", "c"}, []string{"-allow-any", "-forbid-init", "-var", "V", "-max-handlers", "3", "c"}},
		{[]string{"-allow-any=true", "-v=false", "c"}, []string{"-allow-any=true", "c"}},
	} {
		f, err := Parse("check", tc.in, io.Discard)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := f.Header("/work/app"); !slices.Equal(got, tc.want) {
			t.Errorf("Header(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// What the header records parses to the same configuration.
		g, err := Recorded(f.Header("/work/app"))
		if err != nil || g.Output != f.Output && f.Output[0] != '/' || g.Var != f.Var || g.AllowAny != f.AllowAny || !slices.Equal(g.Allow, f.Allow) {
			t.Errorf("Recorded(Header(%q)) = %+v, %v", tc.in, g, err)
		}
	}
}

// TestRecordedRefusals: recorded arguments are validated as typed ones
// are, and may not be package patterns.
func TestRecordedRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"-package", "a\n//go:generate rm -rf /"},
		{"-var", "init"},
		{"-interface", "nodot"},
		{"./..."},
		{"-bogus", "x"},
		{"c", "-o", "x.go"},
	} {
		if f, err := Recorded(args); err == nil {
			t.Errorf("Recorded(%q) = %+v", args, f)
		}
	}
}

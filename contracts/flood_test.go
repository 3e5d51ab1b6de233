package contracts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/diag"
)

// A file with more faults than maxFileDiags reports the first ones and one
// diagnostic that counts the rest; its validity does not depend on which
// faults were kept.
func TestParseBoundsDiagnostics(t *testing.T) {
	const head = "handler_name: h\nhandler_class: example.com/h.H\n"
	many := func(n int, line func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(line(i))
		}
		return b.String()
	}
	tags := "capability_tags:\n" + many(5000, func(i int) string { return fmt.Sprintf("  - %d\n", i) })
	for _, tc := range []struct {
		name      string
		src       string
		valid     bool
		lastSev   diag.Severity
		lastCount string
	}{
		{"unknown keys", head + "handler_type: effect\n" + many(5000, func(i int) string { return fmt.Sprintf("k%d: 1\n", i) }),
			false, diag.Error, "4900 more problems in this file (4900 of them errors)"},
		{"warnings only", head + "handler_type: effect\n" + tags,
			true, diag.Warning, "4900 more problems in this file (0 of them errors)"},
		{"the only error comes past the bound", head + "handler_type: effect\n" + tags + "handler_version: {major: -1, minor: 0, patch: 0}\n",
			false, diag.Error, "4901 more problems in this file (1 of them errors)"},
		{"at the bound, nothing dropped", head + "handler_type: effect\ncapability_tags:\n" + many(maxFileDiags, func(i int) string { return fmt.Sprintf("  - %d\n", i) }),
			true, diag.Warning, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ds := Parse("c.yaml", []byte(tc.src))
			if (c != nil) != tc.valid {
				t.Fatalf("valid = %v, want %v; diagnostics:\n%v", c != nil, tc.valid, ds[len(ds)-1])
			}
			if tc.lastCount == "" {
				if len(ds) != maxFileDiags {
					t.Fatalf("%d diagnostics, want %d", len(ds), maxFileDiags)
				}
				return
			}
			if len(ds) != maxFileDiags+1 {
				t.Fatalf("%d diagnostics, want %d kept and one that counts the rest", len(ds), maxFileDiags+1)
			}
			last := ds[len(ds)-1]
			if last.Severity != tc.lastSev || !strings.Contains(last.Message, tc.lastCount) || last.Pos.Line == 0 {
				t.Errorf("last diagnostic = %v (severity %v), want %v saying %q at a line", last, last.Severity, tc.lastSev, tc.lastCount)
			}
		})
	}
}

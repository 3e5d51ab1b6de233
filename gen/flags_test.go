package gen_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cli"
)

// TestBoolFlagsMatchCLI: gen reads recorded arguments knowing which flags
// take no value; that list must be the command line's.
func TestBoolFlagsMatchCLI(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cli.Main([]string{"generate", "-h"}, strings.NewReader(""), &stdout, &stderr)
	// flag.PrintDefaults: "  -name" for a boolean, "  -name value"
	// otherwise; a one-letter flag without a value has its usage after a tab.
	line := regexp.MustCompile(`(?m)^  -(\S+)( \S+)?(?:\t|$)`)
	cliBools := map[string]bool{}
	n := 0
	for _, m := range line.FindAllStringSubmatch(stderr.String(), -1) {
		n++
		if m[2] == "" {
			cliBools[m[1]] = true
		}
	}
	if n < 10 {
		t.Fatalf("found %d flags in the usage:\n%s", n, stderr.String())
	}
	for name := range cliBools {
		if !gen.BoolFlags[name] {
			t.Errorf("boolean flag -%s is missing from gen's boolFlags", name)
		}
	}
	for name := range gen.BoolFlags {
		if !cliBools[name] && name != "h" && name != "help" {
			t.Errorf("gen's boolFlags has -%s, which is not a boolean flag of the CLI", name)
		}
	}
}

package registry

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestCodesTable: the table is sorted (Name and Summary search it), every
// code has a name and a one-sentence summary, and the table of error codes
// in the README (or docs/*.md) lists exactly these codes with these names.
func TestCodesTable(t *testing.T) {
	if !slices.IsSortedFunc(codes[:], func(a, b codeInfo) int { return int(a.code) - int(b.code) }) {
		t.Fatal("codes is not sorted by number")
	}
	for _, c := range Codes() {
		if c.Name() == "" || c.Summary() == "" || c.Summary()[len(c.Summary())-1] != '.' {
			t.Errorf("%s: name %q, summary %q", c, c.Name(), c.Summary())
		}
	}
	if Code(99).Name() != "" || Code(99).Summary() != "" {
		t.Error("an unknown code has a name or a summary")
	}
	// The table may live in the README or move to docs/*.md: it must be
	// in exactly one of them, whole.
	docs, _ := filepath.Glob("../docs/*.md")
	var text []byte
	for _, f := range append([]string{"../README.md"}, docs...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text = append(text, data...)
	}
	row := regexp.MustCompile(`(?m)^\| HANDLER_LOADER_(\d{3}) \| (\w+) \|`)
	var listed []Code
	for _, m := range row.FindAllStringSubmatch(string(text), -1) {
		n, _ := strconv.Atoi(m[1])
		c := Code(n)
		listed = append(listed, c)
		if c.Name() != m[2] {
			t.Errorf("README lists %s as %s; the table names it %q", c, m[2], c.Name())
		}
	}
	if !slices.Equal(listed, Codes()) {
		t.Errorf("README lists %v; the table has %v", listed, Codes())
	}
}

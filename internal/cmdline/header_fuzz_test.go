package cmdline

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// FuzzHeaderLine: whatever the arguments (every byte, invalid UTF-8,
// line and paragraph separators, quotes, the header's own suffix), the
// header is one line that reads back as those arguments, that a Go parser
// takes for a single comment before the package clause, and that
// go/ast.IsGenerated recognises: no argument can end the comment or add a
// line (a //go:generate directive, say) to the file.
func FuzzHeaderLine(f *testing.F) {
	for _, s := range []string{"-o\x00r.go", "a\nb", "x; DO NOT EDIT.", "\u2028", "\x85", "\r", "é", "\xff", `"`, `\`, "*/", "\t", " ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		line := "// " + HeaderLine(args)
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("header spans lines: %q", line)
		}
		got, ok, err := ParseHeader(line)
		if !ok || err != nil || !slices.Equal(got, args) && !(len(got) == 0 && len(args) == 1 && args[0] == "") {
			t.Fatalf("ParseHeader(%q) = %q, %v, %v; want %q", line, got, ok, err, args)
		}
		file, err := parser.ParseFile(token.NewFileSet(), "x.go", line+"\n\npackage p\n", parser.ParseComments)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(file.Comments) != 1 || len(file.Comments[0].List) != 1 || !ast.IsGenerated(file) {
			t.Fatalf("%q: comments %d, generated %v", line, len(file.Comments), ast.IsGenerated(file))
		}
	})
}

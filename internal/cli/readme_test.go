package cli_test

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/contracts"
)

var update = flag.Bool("update", false, "rewrite testdata/script/readme.txtar from README.md and docs/*.md")

// readmeScript is the script generated from the documents' commands; TestScripts runs it.
const readmeScript = "testdata/script/readme.txtar"

// docFiles are the documents whose code blocks the tests hold to the code,
// relative to the repository root: the README first (its five-minute
// section runs first), then CONTRIBUTING.md and docs/*.md, sorted.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	if _, err := os.Stat("../../CONTRIBUTING.md"); err == nil {
		out = append(out, "CONTRIBUTING.md")
	}
	for _, d := range docs {
		out = append(out, "docs/"+filepath.Base(d))
	}
	return out
}

// block is a fenced code block of a document: its info string (language,
// then what the block is for) and its lines.
type block struct {
	file    string // the document, relative to the repository root ("" is README.md)
	line    int    // of the opening fence
	lang    string
	role    string // "norun", "contract", "runtime", "excerpt", "workflow", "pre-commit", a file name, or "" for commands
	arg     string // after the role: the file an excerpt abridges
	section string // the ## heading it is under
	body    []string
}

// where is the block's position, FILE:LINE.
func (b block) where() string {
	f := b.file
	if f == "" {
		f = "README.md"
	}
	return fmt.Sprintf("%s:%d", f, b.line)
}

// fiveMinutes reports whether the block belongs to the README's five-minute
// path, which runs in a fresh module rather than in this repository.
func (b block) fiveMinutes() bool {
	return (b.file == "" || b.file == "README.md") && strings.HasPrefix(b.section, "Your first handler")
}

// readmeBlocks returns the code blocks of every document, in docFiles order.
func readmeBlocks(t *testing.T) []block {
	t.Helper()
	var out []block
	for _, f := range docFiles(t) {
		bs, err := fileBlocks(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bs...)
	}
	return out
}

func fileBlocks(file string) ([]block, error) {
	data, err := os.ReadFile(filepath.Join("../..", file))
	if err != nil {
		return nil, err
	}
	var (
		out     []block
		cur     *block
		section string
	)
	for i, l := range strings.Split(string(data), "\n") {
		switch {
		case cur != nil && l == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, l)
		case strings.HasPrefix(l, "```"):
			f := strings.Fields(strings.TrimPrefix(l, "```"))
			b := block{file: file, line: i + 1, section: section}
			if len(f) > 0 {
				b.lang = f[0]
			}
			if len(f) > 1 {
				b.role = f[1]
			}
			if len(f) > 2 {
				b.arg = f[2]
			}
			cur = &b
		case strings.HasPrefix(l, "## "):
			section = strings.TrimPrefix(l, "## ")
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: code block never closed", file, cur.line)
	}
	return out, nil
}

// TestReadme accounts for every code block of the README, CONTRIBUTING.md
// and docs/*.md: commands (```sh with $ prompts) and the files they use
// (```go FILE) are turned into testdata/script/readme.txtar, which
// TestScripts runs, and this test fails when that script is not what the
// documents say (-update rewrites it); contracts (```yaml contract) must be
// valid; GitHub workflows and pre-commit configurations (```yaml workflow,
// ```yaml pre-commit) are checked by TestDocsCI; the runtime API (```go
// runtime) by TestReadmeRuntime, excerpts (```go excerpt FILE) by
// TestReadmeExcerpts. Anything else must say why it is not run (norun:
// fragments, workflows for other systems, abridged output), so a new block
// cannot silently go untested, wherever the text moves.
func TestReadme(t *testing.T) {
	var runnable []block
	for _, b := range readmeBlocks(t) {
		switch {
		case b.role == "norun" || b.role == "runtime" || b.role == "excerpt":
		case b.lang == "yaml" && (b.role == "workflow" || b.role == "pre-commit"):
		case b.role == "contract":
			c, ds := contracts.Parse(b.file, []byte(strings.Join(b.body, "\n")))
			if c == nil || ds.HasErrors() {
				t.Errorf("%s: the contract example is invalid: %v", b.where(), ds)
			}
		case b.lang == "sh" && b.role == "":
			if len(b.body) == 0 || !strings.HasPrefix(b.body[0], "$ ") {
				t.Errorf("%s: a sh block either runs ($ prompts) or says norun", b.where())
				continue
			}
			runnable = append(runnable, b)
		case b.lang == "go" && strings.HasSuffix(b.role, ".go"):
			runnable = append(runnable, b)
		default:
			t.Errorf("%s: block ```%s %s: say how it is tested (sh with $ prompts, go FILE, yaml contract, yaml workflow, yaml pre-commit, go runtime) or mark it norun", b.where(), b.lang, b.role)
		}
	}
	got, err := script(runnable)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("../..", readmeScript)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff.Diff(readmeScript, want, "generated", got); d != nil {
		t.Errorf("%s is not what the documents say; run go test ./internal/cli -run TestReadme -update\n%s", readmeScript, d)
	}
}

// exitMarker is how a README command says that it fails: "# exits N".
var exitMarker = regexp.MustCompile(`\s+#\s*exits ([0-9]+)\s*$`)

// hgURL is the repository a documented git clone or submodule fetches:
// in the script, a copy of this one (hgcopy).
const hgURL = "https://github.com/handlergen/handlergen"

// script turns the documents' runnable blocks into a testscript. The
// README's five-minute section runs in a fresh module whose copy of
// handlergen, cloned into it, is this repository's source ($HGROOT, copied
// by hgcopy without testdata and .git); every other command runs in this
// repository. Each output line shown must appear in the command's stdout
// or stderr ("…" stands for anything), and the command prints no other
// line on either (but the go command's "go: downloading" progress, which
// depends on the module cache); a command fails when the document says
// "# exits N" or shows "exit status N" (go run's last line) after it. The
// one addition of the harness: go.sum gets this repository's sums right
// after go mod init, so go mod tidy needs no checksum database.
func script(blocks []block) ([]byte, error) {
	var cmds, files bytes.Buffer
	cmds.WriteString("# Code generated from README.md and docs/*.md by TestReadme (go test ./internal/cli -run TestReadme -update); DO NOT EDIT.\n")
	cmds.WriteString("# Every command the documents show, with what it prints.\n")
	inRepo := false
	for _, b := range blocks {
		repo := !b.fiveMinutes()
		if repo && !inRepo {
			cmds.WriteString("\n# The documents' commands in this repository.\ncd $HGROOT\n")
			inRepo = true
		} else if !repo && inRepo {
			return nil, fmt.Errorf("%s: commands of the five-minute section must come before the others", b.where())
		}
		file := b.file
		if file == "" {
			file = "README.md"
		}
		// The section, not the line: edits elsewhere in the document must
		// not change the script.
		fmt.Fprintf(&cmds, "\n# %s, %s\n", file, b.section)
		if b.lang == "go" {
			name := "readme/" + b.role
			fmt.Fprintf(&cmds, "cp $WORK/%s %s\n", name, b.role)
			fmt.Fprintf(&files, "-- %s --\n%s\n", name, strings.Join(b.body, "\n"))
			continue
		}
		type command struct {
			line string
			fail bool
			out  []string
		}
		var cs []*command
		for _, l := range b.body {
			if rest, ok := strings.CutPrefix(l, "$ "); ok {
				c := &command{line: rest}
				if m := exitMarker.FindStringSubmatch(rest); m != nil {
					c.line, c.fail = strings.TrimSpace(rest[:len(rest)-len(m[0])]), m[1] != "0"
				}
				cs = append(cs, c)
				continue
			}
			if l == "" {
				continue
			}
			if len(cs) == 0 {
				return nil, fmt.Errorf("%s: output before the first $ command", b.where())
			}
			c := cs[len(cs)-1]
			if strings.HasPrefix(l, "exit status ") {
				c.fail = true
			}
			c.out = append(c.out, l)
		}
		for _, c := range cs {
			words := strings.Fields(c.line)
			switch words[0] {
			case "cd", "mkdir":
				fmt.Fprintf(&cmds, "%s\n", c.line)
				continue
			case "git":
				// git clone [--depth=1] hgURL DIR: this repository's source.
				// What git prints ("Cloning into ...") is not checked.
				if w := slices.DeleteFunc(slices.Clone(words), func(s string) bool { return strings.HasPrefix(s, "--depth") }); len(w) == 4 && w[1] == "clone" && w[2] == hgURL {
					fmt.Fprintf(&cmds, "hgcopy %s\n", w[3])
					continue
				}
				return nil, fmt.Errorf("%s: %q: the only git command the script runs is git clone [--depth=1] %s DIR", b.where(), c.line, hgURL)
			case "rm":
				if len(words) == 3 && words[1] == "-rf" && !strings.HasPrefix(words[2], "/") && !strings.Contains(words[2], "..") && len(c.out) == 0 {
					fmt.Fprintf(&cmds, "rm %s\n", words[2])
					continue
				}
				return nil, fmt.Errorf("%s: %q: rm runs only as a silent rm -rf of a relative path", b.where(), c.line)
			case "go":
			default:
				return nil, fmt.Errorf("%s: %q: only go, git clone, rm -rf, cd and mkdir commands can run in the script", b.where(), c.line)
			}
			line := strings.ReplaceAll(c.line, "=../handlergen", "=$HGROOT")
			if c.fail {
				fmt.Fprintf(&cmds, "! exec %s\n", line)
			} else {
				fmt.Fprintf(&cmds, "exec %s\n", line)
			}
			for _, o := range c.out {
				re := "^" + strings.ReplaceAll(regexp.QuoteMeta(o), "…", ".*") + "$"
				fmt.Fprintf(&cmds, "output '%s'\n", strings.ReplaceAll(re, "'", "''"))
			}
			// What the document shows is all the command prints: a note or
			// warning it does not show makes it false.
			fmt.Fprintf(&cmds, "outputlines %d\n", len(c.out))
			if strings.HasPrefix(c.line, "go mod init ") {
				cmds.WriteString("cp $WORK/hg.sum go.sum\n")
			}
		}
	}
	if files.Len() > 0 {
		cmds.WriteString("\n")
		cmds.Write(files.Bytes())
	}
	return cmds.Bytes(), nil
}

// TestReadmeRuntime checks the README's runtime block against package
// registry: each declaration it shows exists with those parameter and
// result types, and it shows every exported method of Registry.
func TestReadmeRuntime(t *testing.T) {
	var src []string
	for _, b := range readmeBlocks(t) {
		if b.role == "runtime" {
			src = b.body
		}
	}
	if src == nil {
		t.Fatal("no document has a ```go runtime block")
	}
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, "README.md", strings.Join(src, "\n"), 0)
	if err != nil {
		t.Fatalf("the runtime block does not parse: %v", err)
	}
	real := map[string]string{}
	methods := map[string]bool{}
	files, _ := filepath.Glob("../../registry/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.IsExported() {
				k, sig := funcKey(fset, fd)
				real[k] = sig
				if strings.HasPrefix(k, "Registry.") {
					methods[k] = true
				}
			}
		}
	}
	shown := map[string]bool{}
	for _, d := range doc.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		k, sig := funcKey(fset, fd)
		shown[k] = true
		switch r, ok := real[k]; {
		case !ok:
			t.Errorf("README shows %s, which package registry does not declare", k)
		case r != sig:
			t.Errorf("README shows %s as\n\t%s\nbut it is\n\t%s", k, sig, r)
		}
	}
	var missing []string
	for k := range methods {
		if !shown[k] {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("README's runtime block omits %s", strings.Join(missing, ", "))
	}
}

// funcKey names a function (Registry.Lookup, New) and renders its
// signature from types alone, so parameter names and layout do not count.
func funcKey(fset *token.FileSet, fd *ast.FuncDecl) (key, sig string) {
	expr := func(e ast.Expr) string {
		var b bytes.Buffer
		printer.Fprint(&b, fset, e)
		return b.String()
	}
	list := func(fl *ast.FieldList) string {
		if fl == nil {
			return ""
		}
		var parts []string
		for _, f := range fl.List {
			n := max(len(f.Names), 1)
			for range n {
				parts = append(parts, expr(f.Type))
			}
		}
		return strings.Join(parts, ", ")
	}
	key = fd.Name.Name
	if fd.Recv != nil && len(fd.Recv.List) == 1 {
		t := fd.Recv.List[0].Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		if ix, ok := t.(*ast.IndexExpr); ok {
			t = ix.X
		}
		if id, ok := t.(*ast.Ident); ok {
			key = id.Name + "." + key
		}
	}
	sig = fmt.Sprintf("[%s](%s) (%s)", list(fd.Type.TypeParams), list(fd.Type.Params), list(fd.Type.Results))
	return key, sig
}

func TestReadmeScriptGenerator(t *testing.T) {
	five := "Your first handler in five minutes"
	tests := []struct {
		name   string
		blocks []block
		want   []string // lines the script must hold
		err    string
	}{
		{
			name:   "prompt, output with an ellipsis, silence",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ go test .", "ok  \tx\t…", "$ go vet ./..."}}},
			want:   []string{"exec go test .", "output '^ok  \tx\t.*$'", "outputlines 1", "exec go vet ./...", "outputlines 0"},
		},
		{
			name:   "a failure marked by a comment or by go run's exit status",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ go tool x check ./...   # exits 1", "stale", "$ go run . y", "boom", "exit status 1"}}},
			want:   []string{"! exec go tool x check ./...", "output '^stale$'", "outputlines 1", "! exec go run . y", "output '^exit status 1$'", "outputlines 2"},
		},
		{
			name:   "the clone is this repository; go mod init gets its sums",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ go mod init m", "$ go mod edit -replace=a=../handlergen"}}},
			want:   []string{"exec go mod init m", "cp $WORK/hg.sum go.sum", "exec go mod edit -replace=a=$HGROOT"},
		},
		{
			name:   "a file block is copied where it appears",
			blocks: []block{{lang: "go", role: "a/b.go", section: five, body: []string{"package b"}}},
			want:   []string{"cp $WORK/readme/a/b.go a/b.go", "-- readme/a/b.go --", "package b"},
		},
		{
			name:   "commands elsewhere run in the repository",
			blocks: []block{{lang: "sh", section: "Set-up", body: []string{"$ go run ./x", "hi's"}}},
			want:   []string{"cd $HGROOT", "exec go run ./x", "output '^hi''s$'"},
		},
		{
			name:   "only go, git clone, rm -rf, cd and mkdir run",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ curl https://x | sh"}}},
			err:    "only go, git clone, rm -rf, cd and mkdir",
		},
		{
			name:   "rm -rf only of a relative path",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ rm -rf /"}}},
			err:    "rm runs only",
		},
		{
			name:   "a clone of handlergen is a copy of this repository; rm -rf is rm",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ git clone --depth=1 https://github.com/handlergen/handlergen third_party/handlergen", "$ rm -rf third_party/handlergen/.git"}}},
			want:   []string{"hgcopy third_party/handlergen", "rm third_party/handlergen/.git"},
		},
		{
			name:   "no other clone",
			blocks: []block{{lang: "sh", section: five, body: []string{"$ git clone https://example.com/x x"}}},
			err:    "the only git command",
		},
		{
			name:   "a section of that name elsewhere than the README runs in the repository",
			blocks: []block{{file: "docs/x.md", lang: "sh", section: five, body: []string{"$ go version"}}},
			want:   []string{"cd $HGROOT", "# docs/x.md, " + five, "exec go version"},
		},
		{
			name:   "the five-minute section comes first",
			blocks: []block{{lang: "sh", section: "Set-up", body: []string{"$ go version"}}, {lang: "sh", section: five, body: []string{"$ go version"}}},
			err:    "must come before",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := script(tt.blocks)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("script() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(got), "\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("script lacks the line %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestReadmeExcerpts checks each abridged file the README shows (```go
// excerpt FILE): every line that is not an elision (…) is a line of FILE,
// in FILE's order, so the excerpt cannot drift from what the tool writes.
func TestReadmeExcerpts(t *testing.T) {
	n := 0
	for _, b := range readmeBlocks(t) {
		if b.role != "excerpt" {
			continue
		}
		n++
		data, err := os.ReadFile(filepath.Join("../..", b.arg))
		if err != nil {
			t.Errorf("%s: %v", b.where(), err)
			continue
		}
		if err := isExcerpt(b.body, strings.Split(string(data), "\n")); err != nil {
			t.Errorf("%s: not an excerpt of %s: %v", b.where(), b.arg, err)
		}
	}
	if n == 0 {
		t.Fatal("no document has a ```go excerpt FILE block")
	}
}

// isExcerpt reports how excerpt fails to be file with lines elided: its
// lines, but for those that only mark an elision (…, // …), must occur in
// file in the same order.
func isExcerpt(excerpt, file []string) error {
	i := 0
	for k, l := range excerpt {
		if e := strings.TrimSpace(l); e == "…" || e == "// …" {
			continue
		}
		for i < len(file) && file[i] != l {
			i++
		}
		if i == len(file) {
			return fmt.Errorf("line %d %q is not in the file (after the lines before it)", k+1, l)
		}
		i++
	}
	return nil
}

func TestIsExcerpt(t *testing.T) {
	file := []string{"a", "b", "\tc", "d"}
	for _, tc := range []struct {
		excerpt []string
		ok      bool
	}{
		{[]string{"a", "…", "d"}, true},
		{[]string{"a", "\t…", "\tc"}, true},
		{[]string{"d", "a"}, false}, // out of order
		{[]string{"a", "c"}, false}, // indentation differs
		{[]string{"a", "x"}, false}, // not in the file
		{[]string{"a", "a"}, false}, // once in the file, twice in the excerpt
	} {
		if err := isExcerpt(tc.excerpt, file); (err == nil) != tc.ok {
			t.Errorf("isExcerpt(%q) = %v, want ok %v", tc.excerpt, err, tc.ok)
		}
	}
}

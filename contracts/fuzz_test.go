package contracts

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		valid,
		"",
		"name: x\nhandler_class: a/b.C\nhandler_type: EFFECT\ntags: [a, 1]\nhandler_version: {major: 1, minor: 2, patch: 3}\n",
		"handler_routing: {a: &x [1, {b: *x}], c: *x}\n",
		"a: &a [*a]\n",
		"- !!python/object/apply:os.system [ls]\n",
		"a: 1\n---\nb: 2\n",
		"\xef\xbb\xbfa: b\r\n",
		"a: \xff\n",
		"{a: 1, a: 2}\n",
		"<<: {a: 1}\n",
		"? [a]\n: b\n",
		"handler_name: \"\\q\"\n",
		"%YAML 9.9\n---\na: b\n",
		"a: b\nc: *x\n",
		"a: b\nc:\n  d: e\n\tf: g\n",
		"capability_tags: !!null [a, b]\nhandler_routing: !!str {a: 1}\n",
		"handler_routing: {a: 12345678901234567890123, b: 1e400, c: 0x1F, d: 1.50}\n",
		"handler_version: {major: 1.0, minor: 1.5, patch: 2e1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, diags := Parse("f/contract.yaml", data)
		if (c == nil) != diags.HasErrors() {
			t.Fatalf("contract %v, errors %v", c, diags.HasErrors())
		}
		checkFuzzDiags(t, diags, "f/contract.yaml")
		lines := 1 + len(yamlLines(data))
		for _, d := range diags {
			// Every YAML error says where: a line in the file, never
			// yaml.v3's own "line N" in the text.
			if d.Code == registry.InvalidYAMLSyntax && (d.Pos.Line < 1 || d.Pos.Line > lines || strings.Contains(d.Message, "syntax: line ")) {
				t.Errorf("002 without a good line (file has %d): %v", lines, d)
			}
		}
		if c == nil {
			return
		}
		if c.Name == "" || c.Name != strings.TrimSpace(c.Name) || c.ProtocolType == "" || c.Tags == nil || c.Type.String() == "" {
			t.Errorf("invalid contract %+v", c)
		}
		if c.ImportPath != "" && c.Class != c.ImportPath+"."+c.TypeName {
			t.Errorf("class %q split as %q . %q", c.Class, c.ImportPath, c.TypeName)
		}
		if c.Routing != "" && !json.Valid([]byte(c.Routing)) {
			t.Errorf("routing is not JSON: %s", c.Routing)
		}
		if c.Path != "f/contract.yaml" || c.NamePos.Line == 0 {
			t.Errorf("positions %+v", c)
		}
	})
}

func checkFuzzDiags(t *testing.T, diags diag.List, file string) {
	t.Helper()
	for _, d := range diags {
		if d.Code.Name() == "" || d.Message == "" || (file != "" && d.Pos.File != file) {
			t.Errorf("bad diagnostic %+v", d)
		}
	}
}

// FuzzDiscover builds a file tree from the fuzzer's bytes (three bytes an
// entry: two choose a path, one a kind) and discovers with its input.
func FuzzDiscover(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x10, 0x0e, 0x01, 0x20, 0x2e, 0x02, 0x00}, ".")
	f.Add([]byte{0x05, 0x00, 0x10, 0x06, 0x00, 0x10, 0x28, 0x00, 0x12}, "**/*.yaml")
	f.Add([]byte{0x00, 0x00, 0x01, 0x05, 0x00, 0x12, 0x45, 0x2a, 0x22}, "a")
	f.Add([]byte{0x1d, 0x01, 0x20, 0x05, 0x0a, 0x02}, "{a,b}/*")
	f.Fuzz(func(t *testing.T, data []byte, input string) {
		if filepath.IsAbs(input) || strings.Contains(input, "..") || strings.ContainsRune(input, 0) {
			t.Skip("only inputs inside the tree") // "/**" would walk the machine
		}
		root := t.TempDir()
		buildTree(root, data)
		opt := Options{Dir: root, MaxHandlers: len(data) % 5}
		got, diags := Discover([]string{input}, opt)
		again, _ := Discover([]string{input}, opt)
		if !slices.Equal(got, again) {
			t.Fatalf("not deterministic: %q then %q", got, again)
		}
		if opt.MaxHandlers > 0 && len(got) > opt.MaxHandlers {
			t.Errorf("%d files, limit %d", len(got), opt.MaxHandlers)
		}
		checkFuzzDiags(t, diags, "")
		reals := make(map[string]bool)
		for i, p := range got {
			if i > 0 && got[i-1] >= p {
				t.Errorf("not sorted and unique: %q", got)
			}
			if path.IsAbs(p) || strings.HasPrefix(p, "../") || path.Clean(p) != p || strings.Contains(p, `\`) {
				t.Errorf("bad path %q", p)
			}
			fi, err := os.Stat(filepath.Join(root, p))
			if err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%q is not a regular file: %v", p, err)
			}
			real, _ := filepath.EvalSymlinks(filepath.Join(root, p))
			if reals[real] {
				t.Errorf("%q is a duplicate", p)
			}
			reals[real] = true
		}
		for _, d := range diags {
			if strings.Contains(d.Message, root) || strings.Contains(d.Pos.File, root) {
				t.Errorf("absolute path in %v", d)
			}
		}
	})
}

var fuzzNames = [...]string{"a", "b", ".git", "vendor", "_x", "contract.yaml", "handler_contract.yaml", "x.yaml"}

// buildTree creates entries under root from data, ignoring those that
// cannot be made (a file where a directory is needed, an existing name).
func buildTree(root string, data []byte) {
	for ; len(data) >= 3; data = data[3:] {
		a, b, kind := data[0], data[1], data[2]
		name := treePath(a, b, 1+int(kind>>4)%3)
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		switch kind & 3 {
		case 1:
			os.MkdirAll(p, 0o755)
		case 2:
			// To another generated path, or to a directory above.
			target := filepath.Join(root, treePath(b, a, 1+int(b>>6)%3))
			if kind&8 != 0 {
				target = ".."
			}
			os.Symlink(target, p)
		default:
			os.WriteFile(p, []byte(valid), 0o644)
		}
	}
}

func treePath(a, b byte, depth int) string {
	parts := []string{fuzzNames[a&7], fuzzNames[a>>3&7], fuzzNames[b&7]}
	return path.Join(parts[:depth]...)
}

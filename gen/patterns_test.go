package gen

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/registry"
)

func TestCover(t *testing.T) {
	have := []string{"m", "m/a", "m/a/x", "m/a/y", "m/b", "m/b/x", "m/c"}
	for _, tc := range []struct {
		wanted, want []string
	}{
		{[]string{"m/a", "m/a/x", "m/a/y"}, []string{"m/a/..."}},
		{[]string{"m/a/x", "m/a/y"}, []string{"m/a/x", "m/a/y"}},
		{[]string{"m/b/x"}, []string{"m/b/x"}},
		{[]string{"m/b"}, []string{"m/b"}}, // m/b/x exists and is not wanted
		{have, []string{"m/..."}},
		{[]string{"m", "m/c"}, []string{"m", "m/c"}},
	} {
		if got := cover("m", tc.wanted, have); !slices.Equal(got, tc.want) {
			t.Errorf("cover(%q) = %q, want %q", tc.wanted, got, tc.want)
		}
	}
}

func TestCompactPatterns(t *testing.T) {
	t.Setenv("GOWORK", "off")
	dir := t.TempDir()
	files := map[string]string{"go.mod": "module example.com/big\n", "other/o.go": "package other\n", "handlers/testdata/t.go": "package t\n"}
	var paths []string
	for i := range 600 {
		p := fmt.Sprintf("handlers/h%04d", i)
		files[p+"/h.go"] = "package h\n"
		paths = append(paths, "example.com/big/"+p)
	}
	writeFiles(t, dir, files)
	paths = append(paths, "net/http")
	slices.Sort(paths)

	got := compactPatterns(dir, paths)
	if want := []string{"example.com/big/handlers/...", "net/http"}; !slices.Equal(got, want) {
		t.Errorf("compactPatterns = %q, want %q", got, want)
	}
	// Short lists are left alone: one go list run takes them as they are.
	if got := compactPatterns(dir, paths[:10]); !slices.Equal(got, paths[:10]) {
		t.Errorf("short list changed: %q", got)
	}
	// A package that is not wanted keeps its siblings spelled out.
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, "h0007") })
	got = compactPatterns(dir, paths)
	if slices.Contains(got, "example.com/big/handlers/...") || !slices.Contains(got, "example.com/big/handlers/h0008") {
		t.Errorf("compactPatterns with a gap = %q", got[:5])
	}
}

// TestCompactedLoad runs whole generations with the pattern abbreviation
// forced on (chunkLimit 0, as a registry of hundreds of handlers does) and
// off, with the interface in the main module — beside the handlers and
// inside their subtree, imported by them or not — and expects the same
// file and no diagnostics either way.
func TestCompactedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Setenv("GOWORK", "off")
	for _, tc := range []struct {
		name, iface string
		imports     bool
	}{
		{"beside", "iface", false},
		{"beside-imported", "iface", true},
		{"inside-imported", "handlers/iface", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ifacePath := "example.com/big/" + tc.iface
			files := map[string]string{
				"go.mod":               "module example.com/big\n\ngo 1.26\n",
				tc.iface + "/iface.go": "package iface\n\ntype Handler interface{ Name() string }\n",
				"other/other.go":       "package other\n",
				"out/doc.go":           "package out\n",
				"cmd/tool/main.go":     "package main\n\nfunc main() {}\n",
			}
			for i := range 12 {
				name := fmt.Sprintf("h%02d", i)
				src := "package " + name + "\n\ntype Handler struct{}\n\nfunc (Handler) Name() string { return \"" + name + "\" }\n"
				if tc.imports {
					src += "\nvar _ = iface.Handler(Handler{})\n"
					src = strings.Replace(src, "\n\ntype", "\n\nimport \""+ifacePath+"\"\n\ntype", 1)
				}
				files["handlers/"+name+"/h.go"] = src
				files["handlers/"+name+"/contract.yaml"] = "handler_name: " + name + "\nhandler_class: example.com/big/handlers/" + name + ".Handler\nhandler_type: compute\n"
			}
			writeFiles(t, dir, files)
			cfg := Config{Dir: dir, Inputs: []string{"handlers"}, Output: "out/registry_gen.go", Interface: ifacePath + ".Handler"}

			generate := func(limit int) []byte {
				t.Helper()
				defer func(old int) { chunkLimit = old }(chunkLimit)
				chunkLimit = limit
				res, err := Run(context.Background(), cfg, Check)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Handlers) != 12 || len(res.Diags) != 1 || res.Diags[0].Code != registry.StaleOutput {
					t.Fatalf("chunkLimit %d: %d handlers, diagnostics:\n%v", limit, len(res.Handlers), res.Diags)
				}
				return res.Source
			}
			// The abbreviation must really happen, or this test proves nothing.
			var paths []string
			for i := range 12 {
				paths = append(paths, fmt.Sprintf("example.com/big/handlers/h%02d", i))
			}
			paths = append(paths, ifacePath)
			slices.Sort(paths)
			old := chunkLimit
			chunkLimit = 0
			pats := compactPatterns(dir, paths)
			chunkLimit = old
			if !slices.Contains(pats, "example.com/big/handlers/...") {
				t.Fatalf("patterns not abbreviated: %q", pats)
			}
			if a, b := generate(0), generate(old); !bytes.Equal(a, b) {
				t.Errorf("abbreviated and exact patterns generate different files:\n%s\n---\n%s", a, b)
			}
		})
	}
}

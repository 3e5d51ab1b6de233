package scaffold

import (
	"errors"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/registry"
)

func TestNames(t *testing.T) {
	tests := []struct {
		in, pkg, typ, err string
	}{
		{in: "greet", pkg: "greet", typ: "Greet"},
		{in: "send-email", pkg: "sendemail", typ: "SendEmail"},
		{in: "send_email.v2", pkg: "sendemailv2", typ: "SendEmailV2"},
		{in: "HTTPProxy", pkg: "httpproxy", typ: "HTTPProxy"},
		{in: "a1", pkg: "a1", typ: "A1"},
		{in: "9lives", err: "does not give"},
		{in: "-x", pkg: "x", typ: "X"},
		{in: "main", err: "does not give"},
		{in: "func", err: "does not give"},
		{in: "---", err: "does not give"},
		{in: "a b", err: "ASCII"},
		{in: "café", err: "ASCII"},
	}
	for _, tt := range tests {
		pkg, typ, err := names(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("names(%q) = %q, %q, %v; want error containing %q", tt.in, pkg, typ, err, tt.err)
			}
			continue
		}
		if err != nil || pkg != tt.pkg || typ != tt.typ {
			t.Errorf("names(%q) = %q, %q, %v; want %q, %q", tt.in, pkg, typ, err, tt.pkg, tt.typ)
		}
	}
}

func TestWriteRefusesAndRollsBack(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "taken.go"), []byte("package x\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	s := &Scaffold{Dir: dir, Files: []File{
		{Path: "a/b/new.go", Data: []byte("package b\n")},
		{Path: "taken.go", Data: []byte("package y\n")},
	}}
	err := s.Write()
	if err == nil || !strings.Contains(err.Error(), "taken.go exists") {
		t.Fatalf("Write() = %v, want a refusal to replace taken.go", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("a/ left behind after a failed Write: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "taken.go")); string(b) != "package x\n" {
		t.Errorf("taken.go = %q, changed", b)
	}
}

// The directive's file joins the package the build uses in the working
// directory: files its build constraints exclude (a //go:build ignore
// generator in package main, another GOOS) and tests do not name it.
func TestPackageName(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		modRoot bool
		want    string // or the error's text, after "error: "
	}{
		{name: "svc", files: map[string]string{"svc.go": "package svc\n"}, want: "svc"},
		{name: "svc", files: map[string]string{"gen.go": "//go:build ignore\n\npackage main\n", "svc.go": "package svc\n"}, want: "svc"},
		{name: "svc", files: map[string]string{"a_test.go": "package svc_test\n", "b.go": "package svc\n"}, want: "svc"},
		{name: "tools", files: map[string]string{"x_plan9.go": "package other\n"}, want: "tools"},
		{name: "only-tests", files: map[string]string{"a_test.go": "package x\n"}, want: "onlytests"},
		{name: "root", modRoot: true, want: "main"},
		{name: "mixed", files: map[string]string{"a.go": "package a\n", "b.go": "package b\n"}, want: "error: several packages (a, b)"},
		{name: "9nine", want: "error: no package name"},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), tt.name)
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		for n, src := range tt.files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(src), 0o666); err != nil {
				t.Fatal(err)
			}
		}
		got, err := packageName(dir, tt.modRoot)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want && !(strings.HasPrefix(tt.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tt.want, "error: "))) {
			t.Errorf("%s %v: packageName = %q, want %q", tt.name, tt.files, got, tt.want)
		}
	}
}

// TestFindModuleUntrustedGoMod: go.mod is read with output's bound and
// without following it into a non-regular file, and one that is there but
// unreadable stops the search instead of letting a parent module claim
// the directory.
func TestFindModuleUntrustedGoMod(t *testing.T) {
	maxSize := output.MaxSize
	defer func() { output.MaxSize = maxSize }()
	tests := []struct {
		name  string
		setup func(t *testing.T, sub string)
		err   string
	}{
		{"too large", func(t *testing.T, sub string) {
			output.MaxSize = 64
			writeFile(t, filepath.Join(sub, "go.mod"), "module example.com/sub\n"+strings.Repeat("// pad\n", 20))
		}, "larger than"},
		{"no module line", func(t *testing.T, sub string) {
			writeFile(t, filepath.Join(sub, "go.mod"), "go 1.26\n")
		}, "no module line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "go.mod"), "module example.com/root\n")
			sub := filepath.Join(root, "sub")
			if err := os.Mkdir(sub, 0o777); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, sub)
			r, mp, _, err := findModule(sub)
			output.MaxSize = maxSize
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("findModule = %q, %q, %v; want an error containing %q", r, mp, err, tt.err)
			}
		})
	}
	// Without a go.mod of its own, the directory is the parent module's.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/root\ntool "+ToolPath+"\n")
	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o777); err != nil {
		t.Fatal(err)
	}
	r, mp, tools, err := findModule(sub)
	if err != nil || r != root || mp != "example.com/root" || len(tools) != 1 || tools[0] != ToolPath {
		t.Fatalf("findModule = %q, %q, %q, %v; want %q, example.com/root, [%s]", r, mp, tools, err, root, ToolPath)
	}
	// Nor with a directory named go.mod: the go command counts only a
	// go.mod that is not a directory.
	if err := os.Mkdir(filepath.Join(sub, "go.mod"), 0o777); err != nil {
		t.Fatal(err)
	}
	if r, _, _, err := findModule(sub); err != nil || r != root {
		t.Fatalf("with a directory named go.mod: findModule = %q, %v; want %q", r, err, root)
	}
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryForErrors: a directive or header of the package that
// FindRegistries refuses is Plan's error, with every diagnostic, not a
// package without a registry (which would get a second directive).
func TestRegistryForErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":   "module example.com/app\n\ngo 1.26\n",
		"gen.go":   "package main\n\n//go:generate go tool handlergen -no-such-flag -o registry_gen.go ./handlers\n",
		"other.go": "// Code generated by handlergen -o ../../x.go ./h; DO NOT EDIT.\n\npackage main\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	f, err := registryFor(dir, "")
	var re *RegistriesError
	if !errors.As(err, &re) || f != nil {
		t.Fatalf("registryFor = %v, %v; want a *RegistriesError", f, err)
	}
	var got []string
	for _, d := range re.Diags {
		got = append(got, d.Error())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "gen.go:3: HANDLER_LOADER_042: ") || !strings.HasPrefix(got[1], "other.go:1: HANDLER_LOADER_04") {
		t.Errorf("diagnostics:\n%s", strings.Join(got, "\n"))
	}
	if msg := err.Error(); !strings.Contains(msg, "cannot be used") || !strings.Contains(msg, "HANDLER_LOADER_042") {
		t.Errorf("Error() = %q", msg)
	}
	// Without them, no registry and no error.
	for _, name := range []string{"gen.go", "other.go"} {
		os.Remove(filepath.Join(dir, name))
	}
	if f, err := registryFor(dir, ""); f != nil || err != nil {
		t.Errorf("registryFor of a package without registries = %v, %v", f, err)
	}
}

// TestHandlerSourceImportNames: a package is imported by its own name, not
// one guessed from its path (go-thing is package thing: no alias), and one
// whose name the file cannot use gets a number (a package called error).
func TestHandlerSourceImportNames(t *testing.T) {
	thing := types.NewPackage("example.com/go-thing", "thing")
	errPkg := types.NewPackage("example.com/error", "error")
	named := func(p *types.Package, name string) types.Type {
		return types.NewNamed(types.NewTypeName(token.NoPos, p, name, nil), types.NewStruct(nil, nil), nil)
	}
	plug := types.NewPackage("example.com/plug", "plug")
	sig := types.NewSignatureType(nil, nil, nil,
		types.NewTuple(types.NewParam(token.NoPos, nil, "in", named(errPkg, "In"))),
		types.NewTuple(types.NewParam(token.NoPos, nil, "", named(thing, "Out"))), false)
	it := &iface{pkg: plug, name: "Plugin", methods: []*types.Func{types.NewFunc(token.NoPos, plug, "Do", sig)}}
	src, err := handlerSource("x", "X", "x", registry.Compute, it)
	if err != nil {
		t.Fatal(err)
	}
	want := `import (
	error1 "example.com/error"
	"example.com/go-thing"
)`
	if !strings.Contains(string(src), want) || !strings.Contains(string(src), "func (h *X) Do(in error1.In) thing.Out {") {
		t.Errorf("handlerSource:\n%s\nwant imports\n%s", src, want)
	}
}

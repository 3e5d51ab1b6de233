package gen_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/registry"
)

const fixtureIface = "example.com/fixture/iface.Handler"

// fixture copies testdata/cases/fixture, a self-contained module with
// handler packages and no dependencies, into a fresh directory under dir.
func fixture(t *testing.T, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	return gen.CopyCase(t, "fixture", filepath.Join(dir, "fixture"))
}

func config(dir string, inputs ...string) gen.Config {
	return gen.Config{
		Dir:       dir,
		Inputs:    inputs,
		Output:    "out/registry_gen.go",
		Interface: fixtureIface,
		Args:      []string{"-o", "out/registry_gen.go", "-interface", fixtureIface, "contracts"},
	}
}

// result is a run's result and whether committing it wrote the file.
type result struct {
	*gen.Result
	Written bool
}

// run runs one registry and, in Generate mode, commits it as the CLI does:
// nothing when the run has errors, else the file when it changed.
func run(t *testing.T, cfg gen.Config, mode gen.Mode) *result {
	t.Helper()
	res, err := gen.Run(context.Background(), cfg, mode)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return commitAll(t, []*gen.Result{res}, mode)[0]
}

func commitAll(t *testing.T, rs []*gen.Result, mode gen.Mode) []*result {
	t.Helper()
	out := make([]*result, len(rs))
	failed := false
	for i, r := range rs {
		out[i] = &result{Result: r}
		failed = failed || r.Diags.HasErrors()
	}
	if mode != gen.Generate || failed {
		return out
	}
	for _, r := range out {
		if r.Source != nil && (!r.Exists || r.Stale()) {
			if err := output.Write(r.Path, r.Source, r.Perm); err != nil {
				t.Fatalf("writing %s: %v", r.Output, err)
			}
			r.Written = true
		}
	}
	return out
}

func codes(l diag.List) []registry.Code {
	var cs []registry.Code
	for _, d := range l {
		cs = append(cs, d.Code)
	}
	return cs
}

// TestQuickstartUpToDate is the committed example's golden test: the
// registry in examples/quickstart must be what handlergen generates now.
func TestQuickstartUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	dir, _ := filepath.Abs("../examples/quickstart")
	res := run(t, gen.Config{Dir: dir, Inputs: []string{"./handlers"}, Output: "registry_gen.go", Args: []string{"-o", "registry_gen.go", "./handlers"}}, gen.Check)
	if len(res.Diags) != 0 {
		t.Fatalf("examples/quickstart/registry_gen.go is stale (run make demo):\n%v", res.Diags)
	}
}

// TestDeterministic generates the same module in two directories at
// different depths and expects identical bytes.
func TestDeterministic(t *testing.T) {
	a := fixture(t, t.TempDir())
	b := fixture(t, filepath.Join(t.TempDir(), "some", "deeper", "place"))
	run(t, config(a, "contracts"), gen.Generate)
	run(t, config(b, "./contracts/"), gen.Generate)
	ga, _ := os.ReadFile(filepath.Join(a, "out", "registry_gen.go"))
	gb, _ := os.ReadFile(filepath.Join(b, "out", "registry_gen.go"))
	if len(ga) == 0 {
		t.Fatal("empty output")
	}
	if d := diff.Diff(a, ga, b, gb); d != nil {
		t.Fatalf("outputs differ:\n%s", d)
	}
	for _, abs := range []string{a, b, os.TempDir()} {
		if bytes.Contains(ga, []byte(abs)) {
			t.Errorf("output contains absolute path %s", abs)
		}
	}
}

// TestVerify puts one contract at a time in front of the verifier and
// checks the code it reports. A missing method, a wrong signature and a
// class that cannot be found or is not allowed are cases instead, with
// their diagnostics whole (testdata/cases/not_implemented, unresolved).
func TestVerify(t *testing.T) {
	base := fixture(t, t.TempDir())
	for _, tc := range []struct {
		name, class string
		cfg         func(*gen.Config)
		want        []registry.Code
		msg         string // substring of the first error
	}{
		{name: "generic", class: "example.com/fixture/bad.Generic", want: []registry.Code{registry.TypeNotInstantiable, registry.InitSideEffect}, msg: "generic"},
		{name: "instantiated generic alias", class: "example.com/fixture/bad.GenericInt", want: []registry.Code{registry.InitSideEffect}},
		{name: "generic alias", class: "example.com/fixture/bad.GenericAlias", want: []registry.Code{registry.TypeNotInstantiable, registry.InitSideEffect}, msg: "generic"},
		{name: "alias of a pointer", class: "example.com/fixture/bad.PtrAlias", want: []registry.Code{registry.ClassNotFound, registry.InitSideEffect}, msg: "is an alias of *example.com/fixture/bad.Missing, not a named type"},
		{name: "unexported", class: "example.com/fixture/bad.unexported", want: []registry.Code{registry.TypeNotInstantiable, registry.InitSideEffect}, msg: "not exported"},
		{name: "func type", class: "example.com/fixture/bad.Fn", want: []registry.Code{registry.TypeNotInstantiable, registry.InitSideEffect}, msg: "not a struct"},
		{name: "function", class: "example.com/fixture/bad.Helper", want: []registry.Code{registry.ClassNotFound, registry.InitSideEffect}, msg: "is a func"},
		{name: "interface", class: "example.com/fixture/bad.Iface", want: []registry.Code{registry.ClassNotFound, registry.InitSideEffect}, msg: "interface"},
		{name: "broken package", class: "example.com/fixture/broken.Broken", want: []registry.Code{registry.ImportError}, msg: "broken.go"},
		{name: "internal", class: "example.com/fixture/internal/secret.Secret", cfg: func(c *gen.Config) { c.Output = "../elsewhere/registry_gen.go" }, want: []registry.Code{registry.PackageNotImportable}, msg: "internal"},
		{name: "main package", class: "example.com/fixture/cmdmain.Tool", want: []registry.Code{registry.PackageNotImportable}, msg: "main package"},
		{name: "import cycle", class: "example.com/fixture/cycle.Loop", want: []registry.Code{registry.PackageNotImportable}, msg: "example.com/fixture/cycle -> example.com/fixture/out"},
		{name: "output package", class: "example.com/fixture/out.T", want: []registry.Code{registry.PackageNotImportable}},
		{name: "allow boundary", class: "example.com/fixture_backdoor/x.T", want: []registry.Code{registry.NamespaceNotAllowed}},
		{name: "forbid init", class: "example.com/fixture/bad.BadCtor", cfg: func(c *gen.Config) { c.ForbidInit = true }, want: []registry.Code{registry.TypeNotInstantiable, registry.InitSideEffect}, msg: "func init()"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(base, "case")
			os.RemoveAll(dir)
			writeContract(t, filepath.Join(dir, "handler_contract.yaml"), "h", tc.class)
			cfg := config(base, "case")
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			res := run(t, cfg, gen.Generate)
			got := codes(res.Diags)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("codes = %v, want %v\n%v", got, tc.want, res.Diags)
			}
			if tc.msg != "" && !strings.Contains(renderText(res.Diags), tc.msg) {
				t.Errorf("diagnostics lack %q:\n%s", tc.msg, renderText(res.Diags))
			}
			if failed := res.Diags.HasErrors(); res.Written == failed {
				t.Errorf("written = %v with errors = %v", res.Written, failed)
			}
		})
	}
}

// TestFailedRunKeepsOutput: an error anywhere leaves the previous output
// byte for byte.
func TestFailedRunKeepsOutput(t *testing.T) {
	dir := fixture(t, t.TempDir())
	run(t, config(dir, "contracts"), gen.Generate)
	out := filepath.Join(dir, "out", "registry_gen.go")
	before, _ := os.ReadFile(out)
	writeContract(t, filepath.Join(dir, "contracts", "zz", "handler_contract.yaml"), "value", "example.com/fixture/good.Value")
	res := run(t, config(dir, "contracts"), gen.Generate)
	if got := codes(res.Diags); !slices.Equal(got, []registry.Code{registry.DuplicateHandlerName}) {
		t.Fatalf("codes = %v\n%v", got, res.Diags)
	}
	if len(res.Diags[0].Related) != 1 || res.Diags[0].Related[0].Pos.File != "contracts/value/handler_contract.yaml" {
		t.Errorf("duplicate does not point at the first declaration: %+v", res.Diags[0])
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Error("failed run changed the output")
	}
}

func TestCheckStale(t *testing.T) {
	dir := fixture(t, t.TempDir())
	res := run(t, config(dir, "contracts"), gen.Check)
	if got := codes(res.Diags); !slices.Equal(got, []registry.Code{registry.StaleOutput}) || !strings.Contains(res.Diags[0].Message, "missing") {
		t.Fatalf("check without output: %v", res.Diags)
	}
	run(t, config(dir, "contracts"), gen.Generate)
	out := filepath.Join(dir, "out", "registry_gen.go")
	const stale = "// Code generated by handlergen -o registry_gen.go old; DO NOT EDIT.\n\npackage out\n"
	if err := os.WriteFile(out, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	res = run(t, config(dir, "contracts"), gen.Check)
	if got := codes(res.Diags); !slices.Equal(got, []registry.Code{registry.StaleOutput}) || !res.Stale() {
		t.Fatalf("check on stale output: %v", res.Diags)
	}
	if b, _ := os.ReadFile(out); string(b) != stale {
		t.Error("check wrote the output")
	}
}

// TestForeignOutput: -o naming a file handlergen did not write is refused
// (044) by generate and check alike, and the file is left as it was; an
// empty file, or one whose header follows merge-conflict markers, is ours.
func TestForeignOutput(t *testing.T) {
	dir := fixture(t, t.TempDir())
	out := filepath.Join(dir, "out", "registry_gen.go")
	for _, handWritten := range []string{
		"package out\n\n// Code generated by handlergen is described in the README.\nfunc Keep() {}\n",
		// The header quoted whole, but not as the file's first line.
		"package out\n\n/*\n// Code generated by handlergen -o out/registry_gen.go contracts; DO NOT EDIT.\n*/\nfunc Keep() {}\n",
		"// Copyright\n// Code generated by handlergen -o out/registry_gen.go contracts; DO NOT EDIT.\npackage out\n",
	} {
		for _, mode := range []gen.Mode{gen.Generate, gen.Check} {
			if err := os.WriteFile(out, []byte(handWritten), 0o644); err != nil {
				t.Fatal(err)
			}
			res := run(t, config(dir, "contracts"), mode)
			if got := codes(res.Diags); !slices.Equal(got, []registry.Code{registry.OutputWriteError}) || !strings.Contains(res.Diags[0].Message, "not a handlergen file") {
				t.Errorf("mode %v, %q: %v", mode, handWritten, res.Diags)
			}
			if b, _ := os.ReadFile(out); string(b) != handWritten {
				t.Errorf("mode %v changed a hand-written file %q", mode, handWritten)
			}
		}
	}
	for _, old := range []string{"", "\n", "\ufeff// Code generated by handlergen -o x; DO NOT EDIT.\n", "<<<<<<< HEAD\n// Code generated by handlergen -o x; DO NOT EDIT.\n=======\n>>>>>>> branch\n",
		// A header recording many arguments, longer than any read buffer.
		"// Code generated by handlergen" + strings.Repeat(" -allow example.com/a/long/prefix", 500) + " contracts; DO NOT EDIT.\n\npackage out\n"} {
		if err := os.WriteFile(out, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := run(t, config(dir, "contracts"), gen.Generate); res.Diags.HasErrors() || !res.Written {
			t.Errorf("old output %q: written %v, %v", old, res.Written, res.Diags)
		}
	}
}

func writeContract(t *testing.T, path, name, class string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	y := "handler_name: " + name + "\nhandler_class: " + class + "\nhandler_type: compute\n"
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
}

func renderText(l diag.List) string {
	var b strings.Builder
	diag.WriteText(&b, l)
	return b.String()
}

// TestRunAll runs two registries of one module in one run, with paths
// reported relative to a base directory.
func TestRunAll(t *testing.T) {
	dir := fixture(t, t.TempDir())
	one := config(filepath.Join(dir, "out"), "../contracts/value", "../contracts/level")
	one.Output = "registry_gen.go"
	one.Base = dir
	two := config(dir, "contracts/pointer")
	two.Output = "second/registry_gen.go"
	two.Package = "second"
	two.Var = "Handlers"
	two.Base = dir
	all, err := gen.RunAll(context.Background(), []gen.Config{one, two}, gen.Generate)
	if err != nil {
		t.Fatal(err)
	}
	rs := commitAll(t, all, gen.Generate)
	if len(rs) != 2 || rs[0].Output != "out/registry_gen.go" || rs[1].Output != "second/registry_gen.go" {
		t.Fatalf("outputs: %q %q", rs[0].Output, rs[1].Output)
	}
	for _, r := range rs {
		if !r.Written || r.Diags.HasErrors() {
			t.Errorf("%s: written=%v %v", r.Output, r.Written, r.Diags)
		}
	}
	if len(rs[0].Handlers) != 2 || len(rs[1].Handlers) != 1 {
		t.Errorf("handlers: %d, %d", len(rs[0].Handlers), len(rs[1].Handlers))
	}
	src, _ := os.ReadFile(filepath.Join(dir, "second", "registry_gen.go"))
	if !bytes.Contains(src, []byte("package second")) || !bytes.Contains(src, []byte("var Handlers = registry.New")) {
		t.Errorf("second registry:\n%s", src)
	}

	// An error in one registry keeps the other from being written too.
	os.Remove(filepath.Join(dir, "second", "registry_gen.go"))
	writeContract(t, filepath.Join(dir, "contracts", "value", "handler_contract.yaml"), "value", "example.com/fixture/good.Nope")
	all, err = gen.RunAll(context.Background(), []gen.Config{one, two}, gen.Generate)
	if err != nil {
		t.Fatal(err)
	}
	rs = commitAll(t, all, gen.Generate)
	if !rs[0].Diags.HasErrors() || rs[0].Diags[0].Pos.File != "contracts/value/handler_contract.yaml" {
		t.Errorf("first: %v", rs[0].Diags)
	}
	if rs[1].Written {
		t.Error("second registry written although the run had errors")
	}
}

// TestList reads contracts and checks the allowlist without the go command.
func TestList(t *testing.T) {
	dir := t.TempDir()
	writeContract(t, filepath.Join(dir, "c", "a", "handler_contract.yaml"), "a", "example.com/x/a.A")
	writeContract(t, filepath.Join(dir, "c", "b", "handler_contract.yaml"), "b", "other.org/b.B")
	cfg := gen.Config{Dir: dir, Inputs: []string{"c"}, Allow: []string{"example.com/x"}}
	res := run(t, cfg, gen.List)
	if len(res.Contracts) != 2 || res.Source != nil {
		t.Fatalf("contracts %d, source %v", len(res.Contracts), res.Source != nil)
	}
	if got := codes(res.Diags); !slices.Equal(got, []registry.Code{registry.NamespaceNotAllowed}) {
		t.Errorf("codes = %v", got)
	}
}

// TestCommitAllOrNothing: Commit writes nothing when a result has an error
// or when any output cannot be written (planned before the first write),
// and otherwise writes each changed file and only those.
func TestCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a_gen.go"), filepath.Join(dir, "b_gen.go")
	if err := os.WriteFile(b, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := func(path, src string, exists bool, onDisk string) *gen.Result {
		r := &gen.Result{Path: path, Output: filepath.Base(path), Source: []byte(src), Exists: exists, Perm: 0o644}
		if exists {
			r.OnDisk = []byte(onDisk)
		}
		return r
	}
	// An error in one result: nothing written.
	bad := res(a, "new a", false, "")
	bad.Diags.Errorf(registry.ProtocolNotImplemented, diag.Position{File: "c.yaml"}, "x")
	if w, ds := gen.Commit([]*gen.Result{res(b, "new b", true, "old"), bad}); slices.Contains(w, true) || len(ds) != 0 {
		t.Errorf("with an error: written %v, %v", w, ds)
	}
	// One output that cannot be written: planned first, nothing written.
	w, ds := gen.Commit([]*gen.Result{res(a, "new a", false, ""), res(filepath.Join(notDir, "c_gen.go"), "c", false, "")})
	if slices.Contains(w, true) || len(ds) != 1 || ds[0].Code != registry.OutputWriteError {
		t.Errorf("with an unwritable output: written %v, %v", w, ds)
	}
	if _, err := os.Stat(a); err == nil {
		t.Error("a was written though another output could not be")
	}
	// Clean: the changed files are written, the unchanged one is not.
	w, ds = gen.Commit([]*gen.Result{res(a, "new a", false, ""), res(b, "old", true, "old")})
	if !slices.Equal(w, []bool{true, false}) || len(ds) != 0 {
		t.Errorf("clean: written %v, %v", w, ds)
	}
	if got, _ := os.ReadFile(a); string(got) != "new a" {
		t.Errorf("a = %q", got)
	}
}

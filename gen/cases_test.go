package gen_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cli"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/output"
)

var update = flag.Bool("update", false, "rewrite the want files of testdata/cases")

// TestCases runs the cases of testdata/cases, as wire's tests run theirs.
// A case is a directory holding a self-contained module (go.mod, handler
// packages, contracts; no dependencies, so the go command needs no
// network), a file args with the arguments of handlergen generate run in
// that directory (separated by white space, unquoted), and want/, what the
// run gives: registry_gen.go, the generated file, and diagnostics.txt, the
// diagnostics in the text format, positions relative to the case. An
// absent file says the run generates nothing (it has errors) or reports
// nothing. go test ./gen -run TestCases -update rewrites want/.
//
// The fixture case is also the module other tests copy (see fixture):
// its packages that its contracts do not name are theirs.
func TestCases(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cases, err := os.ReadDir("testdata/cases")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			// Each case waits for its go command: run them side by side.
			t.Parallel()
			runCase(t, c.Name())
		})
	}
}

func runCase(t *testing.T, name string) {
	src := filepath.Join("testdata", "cases", name)
	args, err := os.ReadFile(filepath.Join(src, "args"))
	if err != nil {
		t.Fatal(err)
	}
	// The flag set of the command line reads the arguments, and the CLI
	// makes them a configuration: the case runs as handlergen generate.
	f, err := cmdline.Recorded(strings.Fields(string(args)))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Join(src, "args"), err)
	}
	cfg := cli.ConfigOf(f, gen.CopyCase(t, name, filepath.Join(t.TempDir(), name)))
	res, err := gen.Run(context.Background(), cfg, gen.Generate)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var file []byte
	if !res.Diags.HasErrors() {
		file = res.Source
	}
	diags := renderDiags(res.Diags)
	want := filepath.Join(src, "want")
	if entries, err := os.ReadDir(want); err == nil {
		for _, e := range entries {
			if n := e.Name(); n != "registry_gen.go" && n != "diagnostics.txt" {
				t.Errorf("%s: want/ holds only registry_gen.go and diagnostics.txt", filepath.Join(want, n))
			}
		}
	}
	compareWant(t, filepath.Join(want, "registry_gen.go"), file)
	compareWant(t, filepath.Join(want, "diagnostics.txt"), diags)
	if file == nil {
		return
	}
	// Once the file is written, check finds it up to date and reports
	// what generate did.
	if err := output.Write(res.Path, file, res.Perm); err != nil {
		t.Fatal(err)
	}
	res, err = gen.Run(context.Background(), cfg, gen.Check)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := renderDiags(res.Diags); res.Stale() || !bytes.Equal(got, diags) {
		t.Errorf("check after generate: stale %v, diagnostics:\n%s", res.Stale(), got)
	}
	buildCase(t, cfg.Dir, filepath.Dir(res.Path))
}

// buildCase builds the generated registry's package in the case's module,
// with this repository as the registry package it imports: the bytes are
// pinned by want/, and that they compile (import names that clash, the
// closures' locals) only by a build.
func buildCase(t *testing.T, dir, out string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gomod = fmt.Appendf(gomod, "\nrequire github.com/handlergen/handlergen v0.0.0\n\nreplace github.com/handlergen/handlergen => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": gomod, "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir = out
	// The module cache holds what this repository needs: no network.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the generated registry does not build: %v\n%s", err, b)
	}
}

// renderDiags is the text rendering of l, nil when l is empty.
func renderDiags(l diag.List) []byte {
	if len(l) == 0 {
		return nil
	}
	return []byte(renderText(l))
}

// compareWant compares got with the file want, nil meaning that the file
// is absent; with -update it makes the file so.
func compareWant(t *testing.T, want string, got []byte) {
	t.Helper()
	if *update {
		if got == nil {
			if err := os.Remove(want); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			return
		}
		if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(want)
	switch {
	case errors.Is(err, fs.ErrNotExist) && got == nil:
	case errors.Is(err, fs.ErrNotExist):
		t.Errorf("the run gives %s, which does not exist (go test ./gen -run TestCases -update writes it):\n%s", want, got)
	case err != nil:
		t.Fatal(err)
	case got == nil:
		t.Errorf("the run gives no %s (go test ./gen -run TestCases -update removes it)", want)
	default:
		if d := diff.Diff(want, b, "got", got); d != nil {
			t.Errorf("the run's output differs from %s (go test ./gen -run TestCases -update accepts it):\n%s", want, d)
		}
	}
}

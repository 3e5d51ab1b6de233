package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// farm is a fake build system, as rules_go, Buck2 and Please are to
// handlergen action: it compiles the packages of a source tree with go
// tool compile -trimpath -pack to fixed paths, takes the standard
// library's export data from go list -export, and runs the action in a
// fresh execroot that holds only the declared inputs, under an empty
// environment with no go command on PATH.
type farm struct {
	t      *testing.T
	bin    string            // the handlergen binary
	src    string            // the source tree (a copy of testdata/farm)
	out    string            // where compiles write, the "bazel-out"
	std    map[string]string // standard package → its export data (GOCACHE)
	stdDep []string          // standard packages the tree needs
	// archives maps an import path of the tree to its archive, relative to out.
	archives map[string]string
}

// farmPkgs are the tree's packages in dependency order.
var farmPkgs = []string{"util", "iface", "handlers/hello", "handlers/world"}

const farmModule = "example.com/farm"

func newFarm(t *testing.T) *farm {
	t.Helper()
	if testing.Short() {
		t.Skip("builds handlergen and compiles packages")
	}
	f := &farm{t: t, src: filepath.Join(t.TempDir(), "src"), out: t.TempDir(), archives: map[string]string{}}
	if err := os.CopyFS(f.src, os.DirFS("testdata/farm")); err != nil {
		t.Fatal(err)
	}
	f.bin = filepath.Join(t.TempDir(), "handlergen")
	// Static, as a build farm's tool is (rules_go: pure = "on"): no
	// dynamic loader reads the system's libraries before handlergen runs.
	run(t, "", []string{"CGO_ENABLED=0"}, "go", "build", "-o", f.bin, "github.com/handlergen/handlergen/cmd/handlergen")
	// The standard library's export data, as rules_go's stdlib rule
	// provides it.
	lines := run(t, f.src, nil, "go", "list", "-deps", "-export", "-f", "{{if .Standard}}{{.ImportPath}}={{.Export}}{{end}}", "./...")
	f.std = map[string]string{}
	for line := range strings.Lines(lines) {
		if p, file, ok := strings.Cut(strings.TrimSpace(line), "="); ok && file != "" {
			f.std[p] = file
		}
	}
	f.stdDep = slices.Sorted(maps.Keys(f.std))
	for _, p := range farmPkgs {
		f.compile(p)
	}
	return f
}

// compile compiles one package of the tree as rules_go does, to a fixed
// path: -trimpath of the working directory, an importcfg of its deps.
func (f *farm) compile(rel string) {
	f.t.Helper()
	path := farmModule + "/" + rel
	var cfg strings.Builder
	for _, p := range f.stdDep {
		cfg.WriteString("packagefile " + p + "=" + f.std[p] + "\n")
	}
	for p, a := range f.archives {
		cfg.WriteString("packagefile " + p + "=" + filepath.Join(f.out, a) + "\n")
	}
	cfgFile := filepath.Join(f.out, "importcfg."+strings.ReplaceAll(rel, "/", "_"))
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o644); err != nil {
		f.t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(f.src, rel, "*.go"))
	archive := filepath.Join("bin", rel, filepath.Base(rel)+".a")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(f.out, archive)), 0o755); err != nil {
		f.t.Fatal(err)
	}
	var rels []string
	for _, file := range files {
		r, _ := filepath.Rel(f.src, file)
		rels = append(rels, r)
	}
	args := append([]string{"tool", "compile", "-p", path, "-importcfg", cfgFile, "-trimpath=" + f.src, "-pack", "-o", filepath.Join(f.out, archive)}, rels...)
	run(f.t, f.src, nil, "go", args...)
	f.archives[path] = archive
}

// execroot lays out a fresh execroot holding only the declared inputs:
// the contracts, the output package's other files, the handlers' sources
// (for the init audit), the export data, and the config, which it
// returns alongside the root. drop leaves packages out of the config.
func (f *farm) execroot(check []byte, drop ...string) (root string, cfg map[string]any) {
	f.t.Helper()
	root = filepath.Join(f.t.TempDir(), "execroot")
	put := func(dst string, data []byte) {
		p := filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	copyIn := func(dst, src string) {
		data, err := os.ReadFile(src)
		if err != nil {
			f.t.Fatal(err)
		}
		put(dst, data)
	}
	contracts := []string{"handlers/hello/handler_contract.yaml", "handlers/world/handler_contract.yaml"}
	for _, c := range contracts {
		copyIn(c, filepath.Join(f.src, c))
	}
	copyIn("app/app.go", filepath.Join(f.src, "app/app.go"))
	copyIn("handlers/hello/hello.go", filepath.Join(f.src, "handlers/hello/hello.go"))
	pkgs := map[string]string{}
	for p, a := range f.archives {
		if !slices.Contains(drop, p) {
			pkgs[p] = "bazel-out/" + a
			copyIn("bazel-out/"+a, filepath.Join(f.out, a))
		}
	}
	// The standard library through an importcfg, as rules_go passes it.
	var icfg strings.Builder
	for _, p := range f.stdDep {
		if slices.Contains(drop, p) {
			continue
		}
		dst := "bazel-out/stdlib/" + p + ".a"
		copyIn(dst, f.std[p])
		icfg.WriteString("packagefile " + p + "=" + dst + "\n")
	}
	put("bazel-out/stdlib.importcfg", []byte(icfg.String()))
	cfg = map[string]any{
		"dir":           "app",
		"args":          []string{"-interface", farmModule + "/iface.Handler", "-o", "registry_gen.go", "../handlers"},
		"contracts":     contracts,
		"package":       "app",
		"importpath":    farmModule + "/app",
		"modules":       []string{farmModule},
		"packages":      pkgs,
		"importcfg":     "bazel-out/stdlib.importcfg",
		"srcs":          map[string][]string{farmModule + "/handlers/hello": {"handlers/hello/hello.go"}},
		"package_files": []string{"app/app.go"},
		"diagnostics":   "bazel-out/bin/app/registry.diag",
	}
	if check != nil {
		put("app/registry_gen.go", check)
		cfg["check"] = "app/registry_gen.go"
		cfg["stamp"] = "bazel-out/bin/app/registry.ok"
	} else {
		cfg["output"] = "bazel-out/bin/app/registry_gen.go"
	}
	return root, cfg
}

// action runs handlergen action in root with cfg, under an empty
// environment (no PATH, so no go command), with a prefix command (strace)
// when given, and returns the exit code and stderr.
func (f *farm) action(root string, cfg map[string]any, prefix ...string) (int, string) {
	f.t.Helper()
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "handlergen.json"), data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	args := append(slices.Clone(prefix), f.bin, "action", "-config", "handlergen.json")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = root, []string{}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		f.t.Fatal(err)
	}
	if strings.Contains(stderr.String(), root) {
		f.t.Errorf("the execroot appears on stderr:\n%s", stderr.String())
	}
	return code, stderr.String()
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// TestAction is issue 22's fake build farm.
func TestAction(t *testing.T) {
	t.Parallel()
	f := newFarm(t)
	// What handlergen generate writes for the same tree, with the go command.
	run(t, filepath.Join(f.src, "app"), []string{"HANDLERGEN_CACHE=off"}, f.bin, "-interface", farmModule+"/iface.Handler", "-o", "registry_gen.go", "../handlers")
	want := read(t, filepath.Join(f.src, "app", "registry_gen.go"))

	t.Run("same bytes as generate, in any execroot", func(t *testing.T) {
		var diags []string
		for range 2 {
			root, cfg := f.execroot(nil)
			code, stderr := f.action(root, cfg)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			if got := read(t, filepath.Join(root, "bazel-out/bin/app/registry_gen.go")); !bytes.Equal(got, want) {
				t.Errorf("action output differs from generate's:\n%s\nwant:\n%s", got, want)
			}
			d := string(read(t, filepath.Join(root, "bazel-out/bin/app/registry.diag")))
			if d != stderr {
				t.Errorf("diagnostics file %q, stderr %q", d, stderr)
			}
			diags = append(diags, d)
		}
		// The init() audit's warning, at the file as the execroot names it.
		if !strings.Contains(diags[0], "handlers/hello/hello.go:7:1: HANDLER_LOADER_016: warning") {
			t.Errorf("diagnostics lack the init() warning:\n%s", diags[0])
		}
		if diags[0] != diags[1] {
			t.Errorf("two execroots, two diagnostics:\n%s\n%s", diags[0], diags[1])
		}
	})

	t.Run("stdlib directory", func(t *testing.T) {
		// rules_go's stdlib is a directory of PATH.a files, not a list.
		root, cfg := f.execroot(nil)
		delete(cfg, "importcfg")
		cfg["stdlib"] = "bazel-out/stdlib"
		if code, stderr := f.action(root, cfg); code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if got := read(t, filepath.Join(root, "bazel-out/bin/app/registry_gen.go")); !bytes.Equal(got, want) {
			t.Errorf("action output differs from generate's")
		}
	})

	t.Run("strict deps", func(t *testing.T) {
		root, cfg := f.execroot(nil, farmModule+"/handlers/world")
		code, stderr := f.action(root, cfg)
		if code != 1 || !regexp.MustCompile(`handlers/world/handler_contract.yaml:2:\d+: HANDLER_LOADER_010: .*package example.com/farm/handlers/world is not in the action's config \(strict deps\)`).MatchString(stderr) {
			t.Errorf("handler package missing: exit %d:\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(root, "bazel-out/bin/app/registry_gen.go")); err == nil {
			t.Errorf("a failed action wrote its output")
		}
		root, cfg = f.execroot(nil, farmModule+"/util")
		code, stderr = f.action(root, cfg)
		if code != 1 || !strings.Contains(stderr, "HANDLER_LOADER_012: package example.com/farm/handlers/world refers to types of package example.com/farm/util, which is not in the action's config (strict deps)") {
			t.Errorf("dependency missing: exit %d:\n%s", code, stderr)
		}
		root, cfg = f.execroot(nil, "context")
		code, stderr = f.action(root, cfg)
		if code != 1 || !strings.Contains(stderr, "HANDLER_LOADER_012: -interface: package example.com/farm/iface refers to types of package context") {
			t.Errorf("standard dependency missing: exit %d:\n%s", code, stderr)
		}
	})

	t.Run("check", func(t *testing.T) {
		root, cfg := f.execroot(want)
		if code, stderr := f.action(root, cfg); code != 0 || strings.Contains(stderr, ": error") || strings.Contains(stderr, "_042") {
			t.Errorf("fresh registry: exit %d:\n%s", code, stderr)
		}
		if data, err := os.ReadFile(filepath.Join(root, "bazel-out/bin/app/registry.ok")); err != nil || len(data) != 0 {
			t.Errorf("fresh registry: stamp %q, %v", data, err)
		}
		stale := bytes.Replace(want, []byte(`"hello"`), []byte(`"hallo"`), 1)
		root, cfg = f.execroot(stale)
		code, stderr := f.action(root, cfg)
		if code != 1 || !strings.Contains(stderr, "app/registry_gen.go: HANDLER_LOADER_042: generated file is stale") {
			t.Errorf("stale registry: exit %d:\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(root, "bazel-out/bin/app/registry.ok")); err == nil {
			t.Errorf("stale registry: the stamp was written")
		}
	})

	t.Run("check -format json", func(t *testing.T) {
		// A check-mode action reports what check -format json does:
		// each registry's exists and stale, not written.
		stale := bytes.Replace(want, []byte(`"hello"`), []byte(`"hallo"`), 1)
		for _, tc := range []struct {
			name  string
			check []byte
			code  int
			stale bool
		}{{"fresh", want, 0, false}, {"stale", stale, 1, true}} {
			root, cfg := f.execroot(tc.check)
			cfg["format"] = "json"
			code, stderr := f.action(root, cfg)
			if code != tc.code {
				t.Errorf("%s: exit %d, want %d:\n%s", tc.name, code, tc.code, stderr)
			}
			var rep struct {
				Result map[string]any `json:"result"`
			}
			if err := json.Unmarshal(read(t, filepath.Join(root, "bazel-out/bin/app/registry.diag")), &rep); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if r := rep.Result; r["output"] != "app/registry_gen.go" || r["exists"] != true || r["stale"] != tc.stale || r["written"] != nil {
				t.Errorf("%s: result %v, want output app/registry_gen.go, exists true, stale %v, no written", tc.name, r, tc.stale)
			}
		}
	})

	if path, err := exec.LookPath("strace"); err == nil {
		t.Run("strace", func(t *testing.T) { traceAction(t, f, path) })
	}

	// Last, as it edits the tree: the interface grows a method and is
	// recompiled to the same path; the verdict follows.
	t.Run("edited interface", func(t *testing.T) {
		p := filepath.Join(f.src, "iface", "iface.go")
		src := strings.Replace(string(read(t, p)), "}", "\tClose() error\n}", 1)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		before := f.archives[farmModule+"/iface"]
		f.compile("iface")
		if f.archives[farmModule+"/iface"] != before {
			t.Fatal("recompiled elsewhere")
		}
		root, cfg := f.execroot(nil)
		code, stderr := f.action(root, cfg)
		if code != 1 || !strings.Contains(stderr, "HANDLER_LOADER_006: handler class example.com/farm/handlers/hello.Hello does not implement iface.Handler: missing method Close() error") {
			t.Errorf("edited interface: exit %d:\n%s", code, stderr)
		}
	})
}

// traceAction runs the action under strace -f and holds it to its
// declared inputs and outputs: it executes nothing (beyond strace's own
// start of it) and opens no other file, but what the Go runtime reads of
// the system at start-up.
func traceAction(t *testing.T, f *farm, strace string) {
	root, cfg := f.execroot(nil)
	trace := filepath.Join(t.TempDir(), "trace")
	code, stderr := f.action(root, cfg, strace, "-f", "-qq", "-o", trace, "-e", "trace=execve,execveat,open,openat,openat2,creat")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	declared := map[string]bool{"handlergen.json": true}
	for _, k := range []string{"importcfg", "output", "diagnostics"} {
		declared[cfg[k].(string)] = true
	}
	for _, k := range []string{"contracts", "package_files"} {
		for _, p := range cfg[k].([]string) {
			declared[p] = true
		}
	}
	for _, p := range cfg["packages"].(map[string]string) {
		declared[p] = true
	}
	for _, ps := range cfg["srcs"].(map[string][]string) {
		for _, p := range ps {
			declared[p] = true
		}
	}
	for line := range strings.Lines(string(read(t, filepath.Join(root, "bazel-out/stdlib.importcfg")))) {
		if _, p, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			declared[p] = true
		}
	}
	runtime := regexp.MustCompile(`^/sys/kernel/mm/transparent_hugepage/|^/proc/self/|^/sys/fs/cgroup/`)
	call := regexp.MustCompile(`^\d+\s+(\w+)\((?:AT_FDCWD, |\d+, )?"([^"]*)"`)
	execs := 0
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(read(t, trace)))
	for sc.Scan() {
		m := call.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, file := m[1], m[2]
		if strings.HasPrefix(name, "exec") {
			if execs++; execs > 1 || file != f.bin {
				t.Errorf("the action executes: %s", sc.Text())
			}
			continue
		}
		rel := file
		if filepath.IsAbs(file) {
			if r, err := filepath.Rel(root, file); err == nil && filepath.IsLocal(r) {
				rel = r
			}
		}
		seen[filepath.ToSlash(rel)] = true
		switch {
		case declared[filepath.ToSlash(rel)]:
		case runtime.MatchString(file):
		default:
			t.Errorf("the action opens an undeclared file: %s", sc.Text())
		}
	}
	// The trace is read as meant: the config, the interface's and a
	// handler's export data, and the output are among the files opened.
	for _, p := range []string{"handlergen.json", "bazel-out/bin/iface/iface.a", "bazel-out/bin/handlers/world/world.a", "bazel-out/bin/app/registry_gen.go"} {
		if !seen[p] {
			t.Errorf("strace saw no open of %s", p)
		}
	}
	if execs != 1 {
		t.Errorf("strace saw %d execs", execs)
	}
}

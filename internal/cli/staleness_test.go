package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
)

// TestStaleness is the staleness suite (DESIGN "Caching"): a differential
// test that holds runs with a warm handlergen cache equal to runs with
// HANDLERGEN_CACHE=off. Each mutation starts from a small module holding
// handlers, contracts and a committed registry, generated fresh; a cache
// sees that tree checked and generated; then the mutation changes the tree
// (or the environment, or the cache), and check (text and JSON) and
// generate must give, warm, exactly what they give with the cache off on
// the same mutated tree: exit status, stdout, stderr and every byte of the
// tree after generate.
//
// handlergen runs as its own process (this test binary, which
// testscript.Main installs on PATH as handlergen), so that each run opens
// its cache afresh and reads its own environment, as a user's would.
//
// A mutation that fails here with a warm check exiting 0 where the check
// without the cache finds an error is a cache entry that answered for a
// tree it had not seen: its key (gen/cache.go) leaves out something the
// answer depends on.
func TestStaleness(t *testing.T) {
	if testing.Short() {
		t.Skip("runs handlergen and the go command a few hundred times")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the suite's trees use symbolic links and a POSIX PATH")
	}
	if userCache == "off" {
		t.Skip("HANDLERGEN_CACHE=off: the suite compares runs with a cache to runs without one")
	}
	t.Parallel()
	s := newSuite(t)
	lanes := make(chan *lane, min(runtime.GOMAXPROCS(0), 4))
	for i := range cap(lanes) {
		d := filepath.Join(s.work, fmt.Sprint("lane", i))
		lanes <- &lane{tree: filepath.Join(d, "tree"), cache: filepath.Join(d, "cache"), saved: filepath.Join(d, "saved")}
	}
	for i, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			if raceEnabled && i%4 != 0 {
				t.Skip("a sample under -race: make test runs every mutation without it")
			}
			if m.cgo && s.cc == "" {
				t.Skip("no C compiler: the go command's CC is not on PATH")
			}
			t.Parallel()
			l := <-lanes
			defer func() { lanes <- l }()
			s.run(t, m, l)
		})
	}
}

// A mutation changes a tree whose registry a warm cache has seen checked
// and generated.
type mutation struct {
	name string
	cgo  bool // needs a C compiler: the base tree has cgo handlers only with one
	// prepare, when set, changes the base tree before it is generated
	// and the cache is warmed: the state the mutation starts from.
	prepare func(tr *tree)
	// mutate changes the tree, the environment of the runs after it
	// (tree.setenv) or the cache (tree.cache). The runs with the cache
	// off and those with the warm cache each start from what it left.
	mutate func(tr *tree)
	// want is the exit status of check with the cache off: that the
	// mutation does what it says.
	want int
}

// A tree is the module as a mutation sees it.
type tree struct {
	t     *testing.T
	s     *suite
	dir   string
	cache string   // HANDLERGEN_CACHE of the warm runs
	env   []string // what the mutation sets for the runs after it
}

func (tr *tree) path(rel string) string { return filepath.Join(tr.dir, filepath.FromSlash(rel)) }

func (tr *tree) read(rel string) string {
	tr.t.Helper()
	data, err := os.ReadFile(tr.path(rel))
	if err != nil {
		tr.t.Fatal(err)
	}
	return string(data)
}

func (tr *tree) write(rel, data string) {
	tr.t.Helper()
	p := tr.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

// edit replaces old, which must be there, with new in the file rel.
func (tr *tree) edit(rel, old, new string) {
	tr.t.Helper()
	data := tr.read(rel)
	if !strings.Contains(data, old) {
		tr.t.Fatalf("%s does not contain %q:\n%s", rel, old, data)
	}
	tr.write(rel, strings.Replace(data, old, new, 1))
}

func (tr *tree) remove(rel string) {
	tr.t.Helper()
	if err := os.RemoveAll(tr.path(rel)); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) rename(from, to string) {
	tr.t.Helper()
	if err := os.Rename(tr.path(from), tr.path(to)); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) copy(from, to string) {
	tr.t.Helper()
	copyTree(tr.t, tr.path(to), tr.path(from))
}

// setenv sets NAME=value for the runs after the mutation.
func (tr *tree) setenv(name, value string) { tr.env = append(tr.env, name+"="+value) }

// gocmd runs the go command in the tree, with the suite's environment and
// what the mutation has set so far.
func (tr *tree) gocmd(args ...string) {
	tr.t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = tr.dir
	cmd.Env = append(slices.Clip(tr.s.env), tr.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tr.t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// suite holds what the mutations share: the environment of every run (the
// developer's build and module caches, no network), the generated base
// tree and handlergen.
type suite struct {
	hg   string   // handlergen: this test binary, as testscript.Main installed it
	env  []string // of every run; HANDLERGEN_CACHE is added per run
	base string   // the module, its registry generated
	cc   string   // the C compiler the go command uses, "" when there is none
	nocc string   // a directory that holds the go command and nothing else
	work string   // where the trees lie
}

func newSuite(t *testing.T) *suite {
	hg, err := exec.LookPath("handlergen")
	if err != nil {
		t.Fatalf("handlergen is not on PATH (testscript.Main installs it): %v", err)
	}
	s := &suite{hg: hg}
	// The runs inherit nothing of the developer's go configuration but
	// the caches: no go env file, GOFLAGS, GOOS, CGO_ENABLED or CC of
	// theirs, and no network (every module the tree needs is in the
	// module cache: this repository's tests need the same ones).
	goEnv := goEnv(t, "GOCACHE", "GOMODCACHE", "CC")
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		if strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_") || name == "CC" || name == "CXX" || strings.HasPrefix(name, "HANDLERGEN_") {
			continue
		}
		s.env = append(s.env, e)
	}
	s.env = append(s.env, "GOENV=off", "GOPROXY=off", "GOTOOLCHAIN=auto", "GOCACHE="+goEnv["GOCACHE"], "GOMODCACHE="+goEnv["GOMODCACHE"])
	// Under go test -race, handlergen (this binary) would sleep a second
	// before it exits, as the race detector does by default.
	s.env = append(s.env, strings.TrimSpace("GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	if cc := strings.Fields(goEnv["CC"]); len(cc) > 0 {
		s.cc, _ = exec.LookPath(cc[0])
	}
	work := t.TempDir()
	s.work = work
	goBin, err := exec.LookPath("go")
	if err == nil {
		goBin, err = filepath.EvalSymlinks(goBin)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.nocc = filepath.Join(work, "nocc")
	if err := os.Mkdir(s.nocc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(goBin, filepath.Join(s.nocc, "go")); err != nil {
		t.Fatal(err)
	}

	s.base = filepath.Join(work, "base")
	tr := &tree{t: t, s: s, dir: s.base}
	for name, data := range baseTree(t, s.cc != "") {
		tr.write(name, data)
	}
	tr.remove("h/odd/go.mod/.keep") // an empty directory named go.mod
	if err := os.Symlink(filepath.Join("..", "shared", "linked"), tr.path("h/linked")); err != nil {
		t.Fatal(err)
	}
	if r := s.handlergen(t, s.base, "off", nil, generateArgs...); r.code != 0 {
		t.Fatalf("generating the base tree: %s", r)
	}
	// The base tree is a module that builds: its registry compiles and
	// its interface guards hold.
	tr.gocmd("build", "./...")
	return s
}

// result is what one run of handlergen did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// handlergen runs handlergen with args in dir, with HANDLERGEN_CACHE=cache
// and env on top of the suite's environment.
func (s *suite) handlergen(t *testing.T, dir, cache string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(s.hg, args...)
	cmd.Dir = dir
	cmd.Env = append(append(slices.Clip(s.env), "HANDLERGEN_CACHE="+cache), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("handlergen %s: %v", strings.Join(args, " "), err)
	}
	// Where a message names the tree absolutely (the go command's do), it
	// names $TREE.
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, d := range []string{dir, realPath(dir)} {
		r.stdout = strings.ReplaceAll(r.stdout, d, "$TREE")
		r.stderr = strings.ReplaceAll(r.stderr, d, "$TREE")
	}
	return r
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// The runs compared, each of all the registries in the tree, as CI runs
// check and go generate runs handlergen. JSON reports carry a fixed
// correlation ID.
var (
	checkArgs     = []string{"check", "-diff", "./..."}
	checkJSONArgs = []string{"check", "-diff", "-format", "json", "-correlation-id", "6ba7b810-9dad-41d1-80b4-00c04fd430c8", "./..."}
	generateArgs  = []string{"generate", "./..."}
)

// A lane is where mutations run, one at a time: the tree, the cache that
// sees it, and a copy of the mutated tree. The go command's build cache
// keys a package's compilation by its directory too, so trees that always
// lie at the same few paths compile only what a mutation changed.
type lane struct{ tree, cache, saved string }

// run applies m in lane l. The tree, generated fresh, is checked and
// generated with the lane's cache, then mutated; the runs with the cache
// off come first, then the tree is put back as the mutation left it, and
// the runs with the warm cache follow, in the same directory.
func (s *suite) run(t *testing.T, m mutation, l *lane) {
	for _, d := range []string{l.tree, l.cache, l.saved} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	copyTree(t, l.tree, s.base)
	tr := &tree{t: t, s: s, dir: l.tree, cache: l.cache}
	if m.prepare != nil {
		m.prepare(tr)
		tr.env = nil
		if r := s.handlergen(t, tr.dir, "off", nil, generateArgs...); r.code != 0 {
			t.Fatalf("generating the prepared tree: %s", r)
		}
	}
	// The cache sees the tree before the mutation checked and generated.
	before := snapshot(t, tr.dir)
	for _, args := range [][]string{checkArgs, generateArgs} {
		if r := s.handlergen(t, tr.dir, tr.cache, nil, args...); r.code != 0 || r.stdout != "" {
			t.Fatalf("warming the cache: handlergen %s: %s", strings.Join(args, " "), r)
		}
	}
	if diff := compareTrees(before, snapshot(t, tr.dir)); diff != "" {
		t.Fatalf("generate rewrote the freshly generated tree:\n%s", diff)
	}
	if countFiles(tr.cache) == 0 {
		t.Fatal("the warm cache holds no entries")
	}

	m.mutate(tr)
	copyTree(t, l.saved, tr.dir)

	type outcome struct {
		check, checkJSON, generate result
		tree                       map[string]string
	}
	do := func(cache string) outcome {
		var o outcome
		o.check = s.handlergen(t, tr.dir, cache, tr.env, checkArgs...)
		o.checkJSON = s.handlergen(t, tr.dir, cache, tr.env, checkJSONArgs...)
		o.generate = s.handlergen(t, tr.dir, cache, tr.env, generateArgs...)
		o.tree = snapshot(t, tr.dir)
		return o
	}
	cold := do("off")
	if err := os.RemoveAll(tr.dir); err != nil {
		t.Fatal(err)
	}
	copyTree(t, tr.dir, l.saved)
	warm := do(tr.cache)
	for _, run := range []struct {
		args       []string
		warm, cold result
	}{{checkArgs, warm.check, cold.check}, {checkJSONArgs, warm.checkJSON, cold.checkJSON}, {generateArgs, warm.generate, cold.generate}} {
		if run.warm != run.cold {
			t.Errorf("handlergen %s: with the warm cache:\n%s\n=== with HANDLERGEN_CACHE=off:\n%s", strings.Join(run.args, " "), run.warm, run.cold)
		}
	}
	if diff := compareTrees(warm.tree, cold.tree); diff != "" {
		t.Errorf("after generate, the tree with the warm cache (-) and with HANDLERGEN_CACHE=off (+) differ:\n%s", diff)
	}
	if cold.check.code != m.want {
		t.Errorf("the mutation does not do what it says: check with HANDLERGEN_CACHE=off exits %d, want %d:\n%s", cold.check.code, m.want, cold.check)
	}
}

// copyTree copies the tree at src to dst, links as links.
func copyTree(t *testing.T, dst, src string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot maps each path in the tree at dir to what it is: a file's mode
// and content, a link's target, a directory.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			m[rel] = "link to " + target
			return err
		case d.IsDir():
			m[rel] = "directory"
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		m[rel] = fi.Mode().String() + "\n" + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// compareTrees describes how two snapshots differ, "" when they do not.
func compareTrees(a, b map[string]string) string {
	var out strings.Builder
	var paths []string
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		x, inA := a[p]
		y, inB := b[p]
		switch {
		case !inA:
			fmt.Fprintf(&out, "+ %s\n", p)
		case !inB:
			fmt.Fprintf(&out, "- %s\n", p)
		case x != y:
			fmt.Fprintf(&out, "~ %s\n--- -\n%s\n--- +\n%s\n", p, x, y)
		}
	}
	return out.String()
}

func countFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// The handler interface of the base tree, and the method each handler
// implements it with.
const (
	handle      = "Handle(in string) (string, error)"
	handleWrong = "Handle(in int) (string, error)"
)

// handler is a handler package's source: a struct T whose method Handle
// has the receiver recv ("T" or "*T") and signature sig.
func handler(pkg, recv, sig string) string {
	return "package " + pkg + "\n\ntype T struct{}\n\nfunc (" + recv + ") " + sig + " { return \"\", nil }\n"
}

// method is a file of package pkg that declares only Handle on recv.
func method(build, pkg, recv, sig string) string {
	if build != "" {
		build = "//go:build " + build + "\n\n"
	}
	return build + "package " + pkg + "\n\nfunc (" + recv + ") " + sig + " { return \"\", nil }\n"
}

// The handlers of the base tree, by contract name: the package of each
// handler_class (its type is T).
var baseHandlers = map[string]string{
	"value":  "example.com/app/h/value",        // T implements the interface
	"ptr":    "example.com/app/h/ptr",          // *T does
	"ctor":   "example.com/app/h/ctor",         // with a constructor NewT
	"alias":  "example.com/app/h/alias",        // T is an alias of a type in h/alias/impl
	"embed":  "example.com/app/h/embed",        // T embeds a type of h/embed/base that has the method
	"split":  "example.com/app/h/split",        // T and its method are in two files
	"osdep":  "example.com/app/h/osdep",        // the method is in a _GOOS.go file; another GOOS has a wrong one
	"arch":   "example.com/app/h/arch",         // the same for GOARCH
	"tagged": "example.com/app/h/tagged",       // the build tag legacy selects a wrong method
	"emb":    "example.com/app/h/emb",          // the package embeds a file
	"lib":    "example.com/lib/h",              // in a module replaced by a local directory
	"legacy": "example.com/app/h/.hg/legacy",   // below a directory named as a VCS's, imported by path
	"old":    "example.com/app/h/.svn/old",     // the same
	"odd":    "example.com/app/h/odd",          // has a directory named go.mod
	"td":     "example.com/app/h/testdata/td",  // below testdata
	"under":  "example.com/app/h/_under/under", // below a directory starting with _
	"linked": "example.com/app/h/linked",       // a link to the directory shared/linked
}

// cgoHandlers are in the base tree only when there is a C compiler.
var cgoHandlers = map[string]string{
	"cgoasm":  "example.com/app/h/cgoasm",  // a cgo package with C, .S and .sx files
	"cgoctor": "example.com/app/h/cgoctor", // its constructor is in a file that imports "C"
}

// baseTree is the module every mutation starts from, before its registry
// is generated: file names to contents.
func baseTree(t *testing.T, cgo bool) map[string]string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	// handlergen's runtime, which the registry imports, from this
	// repository: the module path and the packages of
	// github.com/handlergen/handlergen/registry, in a replaced directory.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	uuid := ""
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/google/uuid" {
			uuid = r.Mod.Version
		}
	}
	files["hg/go.mod"] = "module github.com/handlergen/handlergen\n\ngo 1.26\n\nrequire github.com/google/uuid " + uuid + "\n"
	for _, dir := range []string{"registry", "internal/phash", "internal/suggest"} {
		ents, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
				data, err := os.ReadFile(filepath.Join(root, dir, name))
				if err != nil {
					t.Fatal(err)
				}
				files["hg/"+dir+"/"+name] = string(data)
			}
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(sum)) {
		if strings.HasPrefix(line, "github.com/google/uuid "+uuid+" ") || strings.HasPrefix(line, "github.com/google/uuid "+uuid+"/go.mod ") {
			files["go.sum"] += line
		}
	}
	files["go.mod"] = `module example.com/app

go 1.26

require (
	example.com/lib v0.0.0
	github.com/google/uuid ` + uuid + ` // indirect
	github.com/handlergen/handlergen v0.0.0
)

replace (
	example.com/lib => ./lib
	github.com/handlergen/handlergen => ./hg
)
`
	files["lib/go.mod"] = "module example.com/lib\n\ngo 1.26\n"
	files["lib/h/h.go"] = handler("h", "T", handle)

	files["iface/iface.go"] = "package iface\n\ntype Handler interface {\n\t" + handle + "\n}\n"
	files["reg/reg.go"] = "// Package reg holds the registry.\npackage reg\n\n//go:generate handlergen -interface example.com/app/iface.Handler -allow example.com/lib -o registry_gen.go ../c\n"

	files["h/value/value.go"] = handler("value", "T", handle)
	files["h/ptr/ptr.go"] = handler("ptr", "*T", handle)
	files["h/ctor/ctor.go"] = handler("ctor", "*T", handle) + "\nfunc NewT() (*T, error) { return &T{}, nil }\n"
	files["h/alias/alias.go"] = "package alias\n\nimport \"example.com/app/h/alias/impl\"\n\ntype T = impl.A\n"
	files["h/alias/impl/impl.go"] = "package impl\n\ntype A struct{}\n\nfunc (A) " + handle + " { return \"\", nil }\n\n" +
		"type B struct{}\n\nfunc (*B) " + handle + " { return \"\", nil }\n\ntype C struct{}\n\nfunc (C) Other() {}\n"
	files["h/embed/embed.go"] = "package embed\n\nimport \"example.com/app/h/embed/base\"\n\ntype T struct{ base.Base }\n"
	files["h/embed/base/base.go"] = "package base\n\ntype Base struct{}\n\nfunc (Base) " + handle + " { return \"\", nil }\n"
	files["h/split/split.go"] = "package split\n\ntype T struct{}\n"
	files["h/split/handle.go"] = method("", "split", "T", handle)
	for _, d := range []struct{ pkg, value string }{{"osdep", runtime.GOOS}, {"arch", runtime.GOARCH}} {
		files["h/"+d.pkg+"/"+d.pkg+".go"] = "package " + d.pkg + "\n\ntype T struct{}\n"
		files["h/"+d.pkg+"/"+d.pkg+"_"+d.value+".go"] = method("", d.pkg, "T", handle)
		files["h/"+d.pkg+"/"+d.pkg+"_other.go"] = method("!"+d.value, d.pkg, "T", handleWrong)
	}
	files["h/tagged/tagged.go"] = "package tagged\n\ntype T struct{}\n"
	files["h/tagged/default.go"] = method("!legacy", "tagged", "T", handle)
	files["h/tagged/legacy.go"] = method("legacy", "tagged", "T", handleWrong)
	files["h/emb/emb.go"] = "package emb\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar data string\n\ntype T struct{}\n\nfunc (T) " + handle + " { return data, nil }\n"
	files["h/emb/data.txt"] = "data\n"
	files["h/.hg/legacy/legacy.go"] = handler("legacy", "T", handle)
	files["h/.svn/old/old.go"] = handler("old", "T", handle)
	files["h/odd/odd.go"] = handler("odd", "T", handle)
	files["h/odd/go.mod/.keep"] = "" // removed again: the directory stays
	files["h/testdata/td/td.go"] = handler("td", "T", handle)
	files["h/_under/under/under.go"] = handler("under", "T", handle)
	files["shared/linked/linked.go"] = handler("linked", "T", handle)

	handlers := baseHandlers
	if cgo {
		handlers = map[string]string{}
		for name, pkg := range baseHandlers {
			handlers[name] = pkg
		}
		for name, pkg := range cgoHandlers {
			handlers[name] = pkg
		}
		files["h/cgoasm/cgoasm.go"] = handler("cgoasm", "T", handle)
		files["h/cgoasm/c.go"] = "package cgoasm\n\n// #include \"hg.h\"\nimport \"C\"\n\nfunc twice(n int) int { return int(C.hg_twice(C.int(n))) }\n"
		files["h/cgoasm/hg.h"] = "#ifdef HG_BROKEN\n#error HG_BROKEN is defined\n#endif\n\nint hg_twice(int);\n"
		files["h/cgoasm/hg.c"] = "#include \"hg.h\"\n\nint hg_twice(int n) { return 2 * n; }\n"
		files["h/cgoasm/a.S"] = "/* preprocessed assembly: nothing yet */\n"
		files["h/cgoasm/b.sx"] = "/* preprocessed assembly: nothing yet */\n"
		files["h/cgoctor/cgoctor.go"] = handler("cgoctor", "*T", handle)
		files["h/cgoctor/ctor.go"] = "package cgoctor\n\nimport \"C\"\n\nfunc NewT() *T { return &T{} }\n"
	}
	for name, pkg := range handlers {
		files["c/"+name+"/handler_contract.yaml"] = "handler_name: " + name + "\nhandler_class: " + pkg + ".T\nhandler_type: compute\n"
	}
	return files
}

// otherGOOS and otherGOARCH are a platform that the handlers of h/osdep and
// h/arch do not implement the interface on.
// (make vet builds the standard library for windows: the build cache
// has it.)
func otherGOOS() string {
	if runtime.GOOS == "windows" {
		return "linux"
	}
	return "windows"
}

func otherGOARCH() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// lib2 makes lib2, a copy of the replaced module lib whose handler has
// the receiver recv and the signature sig.
func lib2(tr *tree, recv, sig string) {
	tr.copy("lib", "lib2")
	tr.write("lib2/h/h.go", handler("h", recv, sig))
}

// vendor vendors the module.
func vendor(tr *tree) { tr.gocmd("mod", "vendor") }

// workspace makes the tree a workspace of its module alone (go work vendor
// needs one), with extra lines.
func workspace(extra string) func(tr *tree) {
	return func(tr *tree) { tr.write("go.work", "go 1.26\n\nuse .\n"+extra) }
}

// damage spoils every file of the warm cache in one way.
func damage(spoil func([]byte) []byte) func(tr *tree) {
	return func(tr *tree) {
		err := filepath.WalkDir(tr.cache, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, spoil(data), 0o644)
		})
		if err != nil {
			tr.t.Fatal(err)
		}
	}
}

func mutations() []mutation {
	return []mutation{
		// Controls: nothing that matters changes.
		{name: "nothing changed", mutate: func(tr *tree) {}},
		{name: "a handler file touched", mutate: func(tr *tree) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(tr.path("h/value/value.go"), later, later); err != nil {
				tr.t.Fatal(err)
			}
		}},

		// Handler types and their methods.
		{name: "handler method signature changed", want: 1, mutate: func(tr *tree) {
			tr.edit("h/value/value.go", "in string", "in int")
		}},
		{name: "handler method receiver made a pointer", want: 1, mutate: func(tr *tree) {
			tr.edit("h/value/value.go", "func (T)", "func (*T)")
		}},
		{name: "handler method removed", want: 1, mutate: func(tr *tree) {
			tr.write("h/ptr/ptr.go", "package ptr\n\ntype T struct{}\n")
		}},
		{name: "handler method moved to another file", mutate: func(tr *tree) {
			tr.write("h/value/value.go", "package value\n\ntype T struct{}\n")
			tr.write("h/value/handle.go", method("", "value", "T", handle))
		}},
		{name: "handler type renamed", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/value.go", strings.ReplaceAll(handler("value", "T", handle), "T", "U"))
		}},
		{name: "handler package fails to compile elsewhere", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/broken.go", "package value\n\nfunc broken() int { return \"x\" }\n")
		}},
		{name: "constructor NewT added", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/new.go", "package value\n\nfunc NewT() *T { return &T{} }\n")
		}},
		{name: "constructor NewT removed", want: 1, mutate: func(tr *tree) {
			tr.write("h/ctor/ctor.go", handler("ctor", "*T", handle))
		}},
		{name: "constructor NewT given a parameter", want: 1, mutate: func(tr *tree) {
			tr.edit("h/ctor/ctor.go", "NewT()", "NewT(n int)")
		}},
		{name: "interface method added", want: 1, mutate: func(tr *tree) {
			tr.edit("iface/iface.go", handle, handle+"\n\tClose() error")
		}},
		{name: "interface parameter renamed", mutate: func(tr *tree) {
			tr.edit("iface/iface.go", "in string", "input string")
		}},
		{name: "type alias retargeted to a pointer implementation", want: 1, mutate: func(tr *tree) {
			tr.edit("h/alias/alias.go", "impl.A", "impl.B")
		}},
		{name: "type alias retargeted to a non-implementation", want: 1, mutate: func(tr *tree) {
			tr.edit("h/alias/alias.go", "impl.A", "impl.C")
		}},
		{name: "type alias target's method changed", want: 1, mutate: func(tr *tree) {
			tr.edit("h/alias/impl/impl.go", "func (A) "+handle, "func (A) "+handleWrong)
		}},
		{name: "embedding by pointer", mutate: func(tr *tree) {
			tr.edit("h/embed/embed.go", "{ base.Base }", "{ *base.Base }")
		}},
		{name: "embedding removed", want: 1, mutate: func(tr *tree) {
			tr.edit("h/embed/embed.go", "import \"example.com/app/h/embed/base\"\n\ntype T struct{ base.Base }", "type T struct{}")
		}},
		{name: "embedded type's method changed", want: 1, mutate: func(tr *tree) {
			tr.edit("h/embed/base/base.go", "in string", "in int")
		}},
		{name: "embedded type's method receiver made a pointer", want: 1, mutate: func(tr *tree) {
			tr.edit("h/embed/base/base.go", "func (Base)", "func (*Base)")
		}},
		{name: "embedded file removed", want: 1, mutate: func(tr *tree) {
			tr.remove("h/emb/data.txt")
		}},

		// Build constraints and the build environment.
		{name: "go:build excludes the handler file", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/value.go", "//go:build ignore\n\n"+tr.read("h/value/value.go"))
		}},
		{name: "go:build excludes the method's file", want: 1, mutate: func(tr *tree) {
			tr.write("h/split/handle.go", "//go:build never\n\n"+tr.read("h/split/handle.go"))
		}},
		{name: "method's file renamed to another GOOS's", want: 1, mutate: func(tr *tree) {
			tr.rename("h/split/handle.go", "h/split/handle_"+otherGOOS()+".go")
		}},
		{name: "GOOS changed: a _GOOS.go file left out", want: 1, mutate: func(tr *tree) {
			tr.setenv("GOOS", otherGOOS())
		}},
		{name: "GOARCH changed: a _GOARCH.go file left out", want: 1, mutate: func(tr *tree) {
			tr.setenv("GOARCH", otherGOARCH())
		}},
		{name: "GOFLAGS sets a build tag", want: 1, mutate: func(tr *tree) {
			tr.setenv("GOFLAGS", "-tags=legacy")
		}},
		{name: "a go env file sets GOFLAGS", want: 1, mutate: func(tr *tree) {
			tr.write("goenv", "GOFLAGS=-tags=legacy\n")
			tr.setenv("GOENV", tr.path("goenv"))
		}},

		// cgo.
		{name: "cgo: .S file broken", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.write("h/cgoasm/a.S", "#error broken\n")
		}},
		{name: "cgo: .sx file broken", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.write("h/cgoasm/b.sx", "#error broken\n")
		}},
		{name: "cgo: .c file broken", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.write("h/cgoasm/hg.c", "#error broken\n")
		}},
		{name: "cgo: header broken", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.write("h/cgoasm/hg.h", "#error broken\n")
		}},
		{name: "cgo: CGO_CFLAGS defines a macro the header refuses", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.setenv("CGO_CFLAGS", "-DHG_BROKEN")
		}},
		{name: "cgo: the C compiler leaves PATH, CGO_ENABLED unset", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.setenv("PATH", tr.s.nocc)
		}},
		{name: "cgo: CGO_ENABLED=0", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.setenv("CGO_ENABLED", "0")
		}},
		{name: "cgo: CC names no compiler", cgo: true, want: 1, mutate: func(tr *tree) {
			tr.setenv("CC", "handlergen-no-such-cc")
		}},

		// Modules, replacements, workspaces and vendoring.
		{name: "replaced directory's handler changed", want: 1, mutate: func(tr *tree) {
			tr.edit("lib/h/h.go", "in string", "in int")
		}},
		{name: "replace retargeted to another directory", want: 1, mutate: func(tr *tree) {
			lib2(tr, "*T", handle)
			tr.edit("go.mod", "=> ./lib\n", "=> ./lib2\n")
		}},
		// (go/packages asks the go command for its version with
		// GO111MODULE=off, which refuses -modfile: every run fails, 012.)
		{name: "GOFLAGS=-modfile with another replacement", want: 1, mutate: func(tr *tree) {
			lib2(tr, "T", handleWrong)
			tr.write("alt.mod", strings.Replace(tr.read("go.mod"), "=> ./lib\n", "=> ./lib2\n", 1))
			tr.write("alt.sum", tr.read("go.sum"))
			tr.setenv("GOFLAGS", "-modfile=alt.mod")
		}},
		{name: "go.sum removed", mutate: func(tr *tree) {
			tr.remove("go.sum")
		}},
		{name: "module path changed", want: 1, mutate: func(tr *tree) {
			tr.edit("go.mod", "module example.com/app", "module example.com/other")
		}},
		{name: "go.mod file in a handler package (a nested module)", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/go.mod", "module example.com/app/h/value\n\ngo 1.26\n")
		}},
		{name: "go.work added", mutate: workspace("")},
		{name: "go.work added with the replaced module as a workspace module", mutate: func(tr *tree) {
			tr.write("go.work", "go 1.26\n\nuse (\n\t.\n\t./lib\n)\n")
		}},
		{name: "go.work added with a replacement", want: 1, mutate: func(tr *tree) {
			lib2(tr, "T", handleWrong)
			workspace("\nreplace example.com/lib => ./lib2\n")(tr)
		}},
		{name: "go.work edited: a replacement added", prepare: workspace(""), want: 1, mutate: func(tr *tree) {
			lib2(tr, "T", handleWrong)
			tr.write("go.work", tr.read("go.work")+"\nreplace example.com/lib => ./lib2\n")
		}},
		{name: "go.work removed", want: 1, prepare: func(tr *tree) {
			lib2(tr, "*T", handle)
			workspace("\nreplace example.com/lib => ./lib2\n")(tr)
		}, mutate: func(tr *tree) {
			tr.remove("go.work")
		}},
		{name: "GOWORK=off", want: 1, prepare: func(tr *tree) {
			lib2(tr, "*T", handle)
			workspace("\nreplace example.com/lib => ./lib2\n")(tr)
		}, mutate: func(tr *tree) {
			tr.setenv("GOWORK", "off")
		}},
		{name: "go mod vendor, then an edit in vendor/", want: 1, mutate: func(tr *tree) {
			vendor(tr)
			tr.edit("vendor/example.com/lib/h/h.go", "in string", "in int")
		}},
		{name: "vendored: an edit in vendor/", prepare: vendor, want: 1, mutate: func(tr *tree) {
			tr.edit("vendor/example.com/lib/h/h.go", "in string", "in int")
		}},
		{name: "vendored: the replaced directory edited (vendor/ wins)", prepare: vendor, mutate: func(tr *tree) {
			tr.edit("lib/h/h.go", "in string", "in int")
		}},
		{name: "vendored: GOFLAGS=-mod=mod and the replaced directory edited", prepare: vendor, want: 1, mutate: func(tr *tree) {
			tr.edit("lib/h/h.go", "in string", "in int")
			tr.setenv("GOFLAGS", "-mod=mod")
		}},
		{name: "vendored: vendor/modules.txt removed", prepare: vendor, want: 1, mutate: func(tr *tree) {
			tr.remove("vendor/modules.txt")
		}},
		{name: "go work vendor, then an edit in vendor/", prepare: func(tr *tree) {
			workspace("")(tr)
			tr.gocmd("work", "vendor")
		}, want: 1, mutate: func(tr *tree) {
			tr.edit("vendor/example.com/lib/h/h.go", "in string", "in int")
		}},

		// Toolchains.
		{name: "toolchain line older than the go command", mutate: func(tr *tree) {
			tr.edit("go.mod", "go 1.26\n", "go 1.26\n\ntoolchain go1.26.0\n")
		}},
		{name: "toolchain line names a toolchain that is not there", want: 1, mutate: func(tr *tree) {
			tr.edit("go.mod", "go 1.26\n", "go 1.26\n\ntoolchain go1.99.0\n")
		}},
		{name: "go line newer than the go command, GOTOOLCHAIN=local", want: 1, mutate: func(tr *tree) {
			tr.edit("go.mod", "go 1.26\n", "go 1.99\n")
			tr.setenv("GOTOOLCHAIN", "local")
		}},
		{name: "GOTOOLCHAIN=path, go line newer, no such toolchain on PATH", want: 1, mutate: func(tr *tree) {
			tr.edit("go.mod", "go 1.26\n", "go 1.99\n")
			tr.setenv("GOTOOLCHAIN", "path")
		}},
		{name: "GOTOOLCHAIN names a toolchain not on PATH", want: 1, mutate: func(tr *tree) {
			tr.setenv("GOTOOLCHAIN", "go1.99.0+path")
		}},

		// The cache itself.
		{name: "cache damaged: every entry truncated", mutate: damage(func(b []byte) []byte { return b[:len(b)/2] })},
		{name: "cache damaged: a bit of every entry flipped", mutate: damage(func(b []byte) []byte {
			if len(b) > 1 {
				b[len(b)-2] ^= 1
			}
			return b
		})},

		// Directories the go command reads packages from by import path,
		// or that are not what their names say.
		{name: "init added in a handler package below .hg/", mutate: func(tr *tree) {
			tr.write("h/.hg/legacy/init.go", "package legacy\n\nfunc init() {}\n")
		}},
		{name: "handler method changed in a package below .svn/", want: 1, mutate: func(tr *tree) {
			tr.edit("h/.svn/old/old.go", "in string", "in int")
		}},
		{name: "handler method changed in a package holding a directory named go.mod", want: 1, mutate: func(tr *tree) {
			tr.edit("h/odd/odd.go", "in string", "in int")
		}},
		{name: "directory named go.mod added to a handler package whose method changed", want: 1, mutate: func(tr *tree) {
			tr.write("h/value/go.mod/.keep", "")
			tr.edit("h/value/value.go", "in string", "in int")
		}},
		{name: "handler method changed in a package below testdata/", want: 1, mutate: func(tr *tree) {
			tr.edit("h/testdata/td/td.go", "in string", "in int")
		}},
		{name: "handler method changed in a package below _under/", want: 1, mutate: func(tr *tree) {
			tr.edit("h/_under/under/under.go", "in string", "in int")
		}},

		{name: "handler method changed through a linked directory", want: 1, mutate: func(tr *tree) {
			tr.edit("shared/linked/linked.go", "in string", "in int")
		}},
		{name: "linked directory retargeted", want: 1, mutate: func(tr *tree) {
			tr.write("shared/other/linked.go", handler("linked", "T", handleWrong))
			tr.remove("h/linked")
			if err := os.Symlink(filepath.Join("..", "shared", "other"), tr.path("h/linked")); err != nil {
				tr.t.Fatal(err)
			}
		}},

		// Contracts.
		{name: "contract: name edited", want: 1, mutate: func(tr *tree) {
			tr.edit("c/value/handler_contract.yaml", "handler_name: value", "handler_name: value2")
		}},
		{name: "contract: type edited", want: 1, mutate: func(tr *tree) {
			tr.edit("c/value/handler_contract.yaml", "compute", "effect")
		}},
		{name: "contract: class edited", want: 1, mutate: func(tr *tree) {
			tr.edit("c/value/handler_contract.yaml", "h/value.T", "h/ptr.T")
		}},
		{name: "contract: class names no type", want: 1, mutate: func(tr *tree) {
			tr.edit("c/value/handler_contract.yaml", "h/value.T", "h/value.Nope")
		}},
		{name: "contract: added", want: 1, mutate: func(tr *tree) {
			tr.write("c/extra/handler_contract.yaml", "handler_name: extra\nhandler_class: example.com/app/h/value.T\nhandler_type: effect\n")
		}},
		{name: "contract: removed", want: 1, mutate: func(tr *tree) {
			tr.remove("c/ptr")
		}},
		{name: "contract: renamed to contract.yaml", want: 1, mutate: func(tr *tree) {
			tr.rename("c/ptr/handler_contract.yaml", "c/ptr/contract.yaml")
		}},
		{name: "contract: invalid YAML", want: 1, mutate: func(tr *tree) {
			tr.write("c/value/handler_contract.yaml", "handler_name: [value\n")
		}},
		{name: "contract: duplicate name", want: 1, mutate: func(tr *tree) {
			tr.edit("c/ptr/handler_contract.yaml", "handler_name: ptr", "handler_name: value")
		}},
		{name: "contract: both file names in one directory", want: 1, mutate: func(tr *tree) {
			tr.write("c/ptr/contract.yaml", tr.read("c/ptr/handler_contract.yaml"))
		}},

		// The registry.
		{name: "registry hand-edited", want: 1, mutate: func(tr *tree) {
			tr.write("reg/registry_gen.go", tr.read("reg/registry_gen.go")+"\n// edited\n")
		}},
		{name: "registry deleted", want: 1, mutate: func(tr *tree) {
			tr.remove("reg/registry_gen.go")
		}},
		{name: "registry made read-only", mutate: func(tr *tree) {
			if err := os.Chmod(tr.path("reg/registry_gen.go"), 0o444); err != nil {
				tr.t.Fatal(err)
			}
		}},
		{name: "registry's go:generate directive removed", mutate: func(tr *tree) {
			tr.write("reg/reg.go", "// Package reg holds the registry.\npackage reg\n")
		}},
		{name: "registry's go:generate directive edited", want: 1, mutate: func(tr *tree) {
			tr.edit("reg/reg.go", "-o registry_gen.go", "-var Handlers -o registry_gen.go")
		}},
	}
}

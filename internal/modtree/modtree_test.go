package modtree

import (
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/internal/output"
)

// TestWithin: inside the tree, not above it, beside it or in its
// version-control metadata, however spelt.
func TestWithin(t *testing.T) {
	root := filepath.FromSlash("/repo/mod")
	for p, want := range map[string]bool{
		"/repo/mod":                       true,
		"/repo/mod/a/registry_gen.go":     true,
		"/repo/mod/..x/y.go":              true,
		"/repo/mod/.github/r.go":          true,
		"/repo/mod/git/r.go":              true,
		"/repo":                           false,
		"/repo/mod2/r.go":                 false,
		"/repo/other/r.go":                false,
		"/elsewhere/r.go":                 false,
		"/repo/mod/.git/hooks/pre-commit": false,
		"/repo/mod/.git":                  false,
		"/repo/mod/sub/.GIT/config":       false,
		"/repo/mod/.hg/hgrc":              false,
		"/repo/mod/a/.svn/x":              false,
		"/repo/mod/.bzr/x":                false,
	} {
		if got := Within(root, filepath.FromSlash(p)); got != want {
			t.Errorf("Within(%s, %s) = %v, want %v", root, p, got, want)
		}
	}
}

// TestIsModule: a go.mod is anything os.Stat finds that is not a
// directory, as for the go command: a link to a file counts; a directory
// named go.mod, a dangling link and a link to a directory do not.
func TestIsModule(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, setup func(p string) error) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := setup(filepath.Join(d, "go.mod")); err != nil {
			t.Fatal(err)
		}
		return d
	}
	target := filepath.Join(dir, "target.mod")
	if err := os.WriteFile(target, []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		setup func(p string) error
		want  bool
	}{
		{"file", func(p string) error { return os.WriteFile(p, []byte("module x\n"), 0o644) }, true},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, true},
		{"dir", func(p string) error { return os.Mkdir(p, 0o755) }, false},
		{"linkfile", func(p string) error { return os.Symlink(target, p) }, true},
		{"dangling", func(p string) error { return os.Symlink(filepath.Join(dir, "nope"), p) }, false},
		{"linkdir", func(p string) error { return os.Symlink(dir, p) }, false},
		{"none", func(string) error { return nil }, false},
	} {
		d := mk(tc.name, tc.setup)
		if got := IsModule(os.Stat, d); got != tc.want {
			t.Errorf("%s: IsModule = %v, want %v", tc.name, got, tc.want)
		}
		sub := filepath.Join(d, "sub")
		os.Mkdir(sub, 0o755)
		want := ""
		if tc.want {
			want = d
		}
		if got := ModuleRoot(sub); got != want && !(want == "" && got != "" && !Within(d, got)) {
			t.Errorf("%s: ModuleRoot(sub) = %q, want %q", tc.name, got, want)
		}
	}
}

// TestWorkFile: GOWORK=off, an explicit GOWORK and the nearest go.work
// above, as the go command chooses.
func TestWorkFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	os.MkdirAll(sub, 0o755)
	work := filepath.Join(dir, "go.work")
	os.WriteFile(work, []byte("go 1.22\n\nuse ./a\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "a", "go.work"), 0o755) // a directory is not a go.work
	t.Setenv("GOWORK", "")
	if got := WorkFile(sub); got != work {
		t.Errorf("WorkFile = %q, want %q", got, work)
	}
	t.Setenv("GOWORK", "off")
	if got := WorkFile(sub); got != "" {
		t.Errorf("GOWORK=off: WorkFile = %q", got)
	}
	other := filepath.Join(t.TempDir(), "other.work")
	t.Setenv("GOWORK", other)
	if got := WorkFile(sub); got != other {
		t.Errorf("GOWORK=%s: WorkFile = %q", other, got)
	}
	t.Setenv("GOWORK", "rel.work")
	if got := WorkFile(sub); got != "" {
		t.Errorf("relative GOWORK: WorkFile = %q", got)
	}
	t.Setenv("GOWORK", "auto") // as unset
	if got := WorkFile(sub); got != work {
		t.Errorf("GOWORK=auto: WorkFile = %q, want %q", got, work)
	}
	// Unset in the environment, GOWORK is the go env file's (go env -w).
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("GOWORK=off\n"), 0o644)
	t.Setenv("GOENV", envFile)
	t.Setenv("GOWORK", "")
	if got := WorkFile(sub); got != "" {
		t.Errorf("GOWORK=off in the go env file: WorkFile = %q", got)
	}
}

// TestUsed: the local modules a build uses, read through ModuleFiles, as
// the preflight reads them: replace targets of the go.mod, or of the
// -modfile that stands in for it, and of the go.work, and its modules.
func TestUsed(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("m/go.mod", "module example.com/m\n\nreplace example.com/a => ./a\n\nreplace example.com/v => example.com/v2 v2.0.0\n")
	write("m/alt.mod", "module example.com/m\n\nreplace example.com/b => ./b\n")
	m := filepath.Join(dir, "m")
	t.Setenv("GOWORK", "off")
	if got := Used(m, ""); len(got) != 1 || got[filepath.Join(m, "a")] != "go.mod replaces example.com/a with it" {
		t.Errorf("Used = %v", got)
	}
	if got := Used(m, "alt.mod"); len(got) != 1 || got[filepath.Join(m, "b")] != "alt.mod replaces example.com/b with it" {
		t.Errorf("Used with -modfile = %v", got)
	}
	write("go.work", "go 1.22\n\nuse ./m\n\nreplace example.com/w => ./w\n")
	t.Setenv("GOWORK", "")
	got := Used(m, "")
	for d, why := range map[string]string{m: "go.work uses it", filepath.Join(m, "a"): "go.mod replaces example.com/a with it", filepath.Join(dir, "w"): "go.work replaces example.com/w with it"} {
		if got[d] != why {
			t.Errorf("workspace: Used[%s] = %q, want %q (all: %v)", d, got[d], why, got)
		}
	}
}

// TestReadModule: go.mod is read with output's bound and without following
// it into a non-regular file; one that is there but unusable stops the
// search instead of letting a parent module claim the directory, and the
// errors name it relative to the directory. A -modfile stands in for it.
func TestReadModule(t *testing.T) {
	maxSize := output.MaxSize
	defer func() { output.MaxSize = maxSize }()
	for _, tc := range []struct {
		name, gomod, err string
		max              int64
	}{
		{name: "too large", gomod: "module example.com/sub\n" + strings.Repeat("// pad\n", 20), max: 64, err: "go.mod: it is larger than"},
		{name: "no module line", gomod: "go 1.26\n", err: "go.mod has no module line"},
		{name: "syntax", gomod: "module example.com/sub\nbogus\n", err: "go.mod:2: unknown directive: bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "go.mod"), "module example.com/root\n")
			write(t, filepath.Join(root, "sub", "go.mod"), tc.gomod)
			output.MaxSize = cmp.Or(tc.max, maxSize)
			m, err := ReadModule(filepath.Join(root, "sub"), "")
			output.MaxSize = maxSize
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) || strings.Contains(err.Error(), root) {
				t.Fatalf("ReadModule = %+v, %v; want an error starting %q, without the absolute path", m, err, tc.err)
			}
		})
	}

	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/root\ntool example.com/tool\n")
	write(t, filepath.Join(root, "alt.mod"), "module example.com/root\ntool example.com/other\n")
	sub := filepath.Join(root, "sub")
	// A directory named go.mod is no go.mod: sub is the root module's.
	if err := os.MkdirAll(filepath.Join(sub, "go.mod"), 0o777); err != nil {
		t.Fatal(err)
	}
	m, err := ReadModule(sub, "")
	if err != nil || m.Dir != root || m.File.Module.Mod.Path != "example.com/root" || len(m.File.Tool) != 1 || m.File.Tool[0].Path != "example.com/tool" {
		t.Fatalf("ReadModule = %+v, %v; want the root module with its tool", m, err)
	}
	for dir, want := range map[string]string{root: "example.com/root", filepath.Join(sub, "new", "pkg"): "example.com/root/sub/new/pkg", t.TempDir(): ""} {
		if got := m.ImportPath(dir); got != want {
			t.Errorf("ImportPath(%s) = %q, want %q", dir, got, want)
		}
	}
	m, err = ReadModule(sub, "../alt.mod")
	if err != nil || m.Dir != root || len(m.File.Tool) != 1 || m.File.Tool[0].Path != "example.com/other" {
		t.Fatalf("ReadModule with -modfile = %+v, %v; want alt.mod's tool", m, err)
	}
	if _, err := ReadModule(t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("ReadModule outside a module: %v", err)
	}
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

// TestGoModModFile: a -modfile stands in for the go.mod of the module the
// go command runs in, and only that one: its module path is the main
// module's, for MainModules and ImportPath alike.
func TestGoModModFile(t *testing.T) {
	t.Setenv("GOWORK", "off")
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/a\n")
	write(t, filepath.Join(root, "alt.mod"), "module example.com/b\n")
	sub := filepath.Join(root, "sub")
	write(t, filepath.Join(sub, "go.mod"), "module example.com/c\n")
	for _, tc := range []struct{ root, wd, modFile, want string }{
		{root, root, "alt.mod", filepath.Join(root, "alt.mod")},
		{root, filepath.Join(root, "x"), "../alt.mod", filepath.Join(root, "alt.mod")},
		{root, root, "", filepath.Join(root, "go.mod")},
		{sub, root, "alt.mod", filepath.Join(sub, "go.mod")},
	} {
		if got := GoMod(tc.root, tc.wd, tc.modFile); got != tc.want {
			t.Errorf("GoMod(%s, %s, %q) = %s, want %s", tc.root, tc.wd, tc.modFile, got, tc.want)
		}
	}
	if got := MainModules(root, "alt.mod"); len(got) != 1 || got["example.com/b"] != root {
		t.Errorf("MainModules with -modfile = %v, want example.com/b at the root", got)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(root, "x"), "example.com/b/x"},
		{filepath.Join(sub, "y"), "example.com/c/y"},
	} {
		if got := ImportPath(tc.dir, root, "alt.mod"); got != tc.want {
			t.Errorf("ImportPath(%s) with -modfile = %q, want %q", tc.dir, got, tc.want)
		}
	}
}

// TestIgnore: the rule of go.mod's ignore directives as the go command
// (go1.26, search.IgnorePatterns) applies it, checked against go list
// ./... on such modules: "./p" is the path p from the module's root and
// all below it; a bare path is a directory of that path at any depth;
// nothing is cleaned, so "../a" and "./x/../a" leave out nothing, while
// "." and "./" leave out the root and so everything.
func TestIgnore(t *testing.T) {
	for _, c := range []struct {
		ignore []string
		rel    string
		want   bool
	}{
		{[]string{"./a"}, "a", true},
		{[]string{"./a"}, "a/b", true},
		{[]string{"./a"}, "ab", false},
		{[]string{"./a"}, "b/a", false},
		{[]string{"./a"}, ".", false},
		{[]string{"./a/"}, "a/b", true},
		{[]string{"./b/a"}, "b/a/c", true},
		{[]string{"./b/a"}, "b", false},
		{[]string{"a"}, "a", true},
		{[]string{"a"}, "x/a", true},
		{[]string{"a"}, "y/x/a/z", true},
		{[]string{"a"}, "ab", false},
		{[]string{"a"}, "xa", false},
		{[]string{"a/"}, "x/a", true},
		{[]string{"/a"}, "x/a", true},
		{[]string{"x/a"}, "y/x/a", true},
		{[]string{"x/a"}, "x/a/b", true},
		{[]string{"x/a"}, "a", false},
		{[]string{"x/a"}, "x", false},
		{[]string{"../a"}, "a", false},
		{[]string{"./x/../a"}, "a", false},
		{[]string{"."}, ".", true},
		{[]string{"."}, "a", false},
		{[]string{"./"}, ".", true},
		{[]string{"./"}, "a", true},
		{[]string{"a"}, "", false}, // outside the module
		{[]string{"b", "./c"}, "c/d", true},
		{nil, "a", false},
	} {
		if got := NewIgnore(c.ignore).Match(c.rel); got != c.want {
			t.Errorf("ignore %q: Match(%q) = %v, want %v", c.ignore, c.rel, got, c.want)
		}
	}
	if (*Ignore)(nil).Match("a") {
		t.Error("nil Ignore matches")
	}
}

// TestWalkIgnore: Walk leaves out what the go.mod of the module it walks
// ignores, relative to that module's root wherever the walk starts, the
// root of the walk too; a nested module's own ignore lines do not reach
// its parent's walk, and an ignored nested module is not reported as one.
// WalkModule reads the go.mod it is given and never leaves out the root.
func TestWalkIgnore(t *testing.T) {
	t.Setenv("GOWORK", "off")
	root := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.25\n\nignore (\n\t./a\n\tgen\n\t./b/c\n\t./n2\n)\n")
	write("alt.mod", "module example.com/m\n\ngo 1.25\n\nignore ./b\n")
	for _, d := range []string{"", "a", "a/x", "ab", "b", "b/c", "b/c/d", "b/cd", "b/gen", "x/gen/y", "x/genx", "n/a", "n/k", "n2/z"} {
		write(filepath.Join(d, "p.go"), "package p\n")
	}
	write("n/go.mod", "module example.com/n\n\ngo 1.25\n\nignore k\n")
	write("n2/go.mod", "module example.com/n2\n")
	walk := func(w func(string, func(string, []fs.DirEntry, []string, error)), from string) (dirs, nested []string) {
		w(filepath.Join(root, from), func(d string, _ []fs.DirEntry, n []string, err error) {
			if err != nil {
				t.Fatal(err)
			}
			r, _ := filepath.Rel(root, d)
			dirs = append(dirs, filepath.ToSlash(r))
			for _, x := range n {
				r, _ := filepath.Rel(root, x)
				nested = append(nested, filepath.ToSlash(r))
			}
		})
		slices.Sort(dirs)
		return dirs, nested
	}
	for _, c := range []struct {
		from         string
		dirs, nested []string
	}{
		{".", []string{".", "ab", "b", "b/cd", "x", "x/genx"}, []string{"n"}},
		{"b", []string{"b", "b/cd"}, nil},
		{"b/c", nil, nil},
		{"a", nil, nil},
		{"n", []string{"n", "n/a"}, nil},
	} {
		dirs, nested := walk(Walk, c.from)
		if !slices.Equal(dirs, c.dirs) || !slices.Equal(nested, c.nested) {
			t.Errorf("Walk(%s) = %v, nested %v; want %v, nested %v", c.from, dirs, nested, c.dirs, c.nested)
		}
	}
	alt := func(gomod string) func(string, func(string, []fs.DirEntry, []string, error)) {
		return func(r string, fn func(string, []fs.DirEntry, []string, error)) { WalkModule(r, gomod, fn) }
	}
	if dirs, _ := walk(alt(filepath.Join(root, "alt.mod")), "."); !slices.Equal(dirs, []string{".", "a", "a/x", "ab", "x", "x/gen", "x/gen/y", "x/genx"}) {
		t.Errorf("WalkModule with alt.mod = %v", dirs)
	}
	write("dot.mod", "module example.com/m\n\ngo 1.25\n\nignore .\n")
	if dirs, _ := walk(alt(filepath.Join(root, "dot.mod")), "."); len(dirs) == 0 || dirs[0] != "." {
		t.Errorf("WalkModule with ignore . left out the root: %v", dirs)
	}
}

package cmdline

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFindRegistriesAsGoList is differential: on generated trees (nested
// modules, directories and links named go.mod, dangling links, .hg and
// .svn, _x, testdata, vendor, links to directories, go.work workspaces,
// go.mod ignore directives in ./relative and bare forms) the
// directories whose registries FindRegistries finds for ./... are exactly
// the packages go list ./... matches, which go generate ./... runs.
func TestFindRegistriesAsGoList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	seeds := 40
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "m")
			rng := rand.New(rand.NewPCG(uint64(seed), 17))
			tr := &tree{rng: rng, root: root}
			tr.dir(root, 0)
			tr.ignore(filepath.Join(root, "go.mod"), root)
			for _, m := range tr.modules {
				// Its own lines, which must not reach the root's walk.
				tr.ignore(filepath.Join(m, "go.mod"), m)
			}
			if seed%2 == 1 {
				// A workspace of the root and every nested module: ./...
				// from the root still stops at each of them.
				uses := []string{"."}
				for _, m := range tr.modules {
					rel, _ := filepath.Rel(root, m)
					uses = append(uses, "./"+filepath.ToSlash(rel))
				}
				os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.22\n\nuse (\n\t"+strings.Join(uses, "\n\t")+"\n)\n"), 0o644)
			}
			t.Setenv("GOWORK", "")
			cmd := exec.Command("go", "list", "-e", "-f", "{{.Dir}}", "./...")
			cmd.Dir = root
			// A directory named vendor must not switch the go command to
			// vendor mode: what matches is the question, not vendoring.
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local", "GOPROXY=off")
			if seed%2 == 0 {
				cmd.Env = append(cmd.Env, "GOWORK=off", "GOFLAGS=-mod=mod")
				t.Setenv("GOWORK", "off")
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderr.String())
			}
			var want []string
			for _, l := range strings.Fields(string(out)) {
				want = append(want, tr.rel(l))
			}
			slices.Sort(want)
			found, tree, diags := Search(root, []string{"./..."})
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			// What the walk reports it left out as nested modules is a
			// module, and holds no package go list matched.
			for _, n := range tree.Nested {
				if fi, err := os.Stat(filepath.Join(n, "go.mod")); err != nil || fi.IsDir() {
					t.Errorf("Search reports %s as a nested module", tr.rel(n))
				}
				for _, w := range want {
					if rn := tr.rel(n); w == rn || strings.HasPrefix(w, rn+"/") {
						t.Errorf("Search left out nested module %s, but go list matched %s", rn, w)
					}
				}
			}
			var got []string
			for _, f := range found {
				got = append(got, tr.rel(filepath.Dir(f.Output)))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("FindRegistries ./... = %v\ngo list ./...        = %v\ntree:\n%s", got, want, tr.log.String())
			}
		})
	}
}

// tree makes a random module tree.
type tree struct {
	rng     *rand.Rand
	root    string
	modules []string // nested modules
	log     strings.Builder
}

func (tr *tree) rel(p string) string {
	real, err := filepath.EvalSymlinks(tr.root)
	if err == nil {
		if r, err := filepath.Rel(real, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
	}
	r, _ := filepath.Rel(tr.root, p)
	return filepath.ToSlash(r)
}

// ignore appends to the go.mod file gomod (a link's target) of the module
// at root a few ignore directives naming directories of its tree: from the
// root ("./a/b"), by name at any depth ("b", "a/b"), and forms that name
// nothing ("../a", "./a/../b").
func (tr *tree) ignore(gomod, root string) {
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			r, _ := filepath.Rel(root, p)
			dirs = append(dirs, filepath.ToSlash(r))
		}
		return nil
	})
	n := tr.rng.IntN(4)
	if len(dirs) == 0 || n == 0 {
		return
	}
	var lines []string
	for range n {
		d := dirs[tr.rng.IntN(len(dirs))]
		elems := strings.Split(d, "/")
		var l string
		switch r := tr.rng.IntN(10); {
		case r < 4:
			l = "./" + d
		case r < 7:
			l = elems[len(elems)-1]
		case r < 8 && len(elems) > 1:
			l = strings.Join(elems[len(elems)-2:], "/")
		case r < 9:
			l = "../" + d
		default:
			l = "./" + elems[0] + "/../" + elems[len(elems)-1]
		}
		lines = append(lines, l)
	}
	fmt.Fprintf(&tr.log, "%s: ignore %q\n", tr.rel(root), lines)
	f, err := os.OpenFile(gomod, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\nignore (\n\t%s\n)\n", strings.Join(lines, "\n\t"))
}

var treeNames = []string{"a", "b", "c", "testdata", "vendor", "_u", ".d", ".hg", ".svn", "go.mod", "x.go"}

func (tr *tree) dir(d string, depth int) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(os.MkdirAll(d, 0o755))
	note := func(what string) { fmt.Fprintf(&tr.log, "%s: %s\n", tr.rel(d), what) }
	if depth == 0 {
		must(os.WriteFile(filepath.Join(d, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644))
	} else if _, err := os.Lstat(filepath.Join(d, "go.mod")); err != nil {
		switch r := tr.rng.IntN(20); {
		case r < 3:
			note("module")
			tr.modules = append(tr.modules, d)
			must(os.WriteFile(filepath.Join(d, "go.mod"), []byte(fmt.Sprintf("module example.com/n%d\n\ngo 1.22\n", len(tr.modules))), 0o644))
		case r == 3:
			note("go.mod link to a file")
			tr.modules = append(tr.modules, d)
			must(os.WriteFile(filepath.Join(d, "real.mod"), []byte(fmt.Sprintf("module example.com/n%d\n\ngo 1.22\n", len(tr.modules))), 0o644))
			must(os.Symlink("real.mod", filepath.Join(d, "go.mod")))
		case r == 4:
			note("dangling go.mod")
			must(os.Symlink("nowhere", filepath.Join(d, "go.mod")))
		case r == 5:
			note("go.mod link to a directory")
			must(os.Symlink(".", filepath.Join(d, "go.mod")))
		}
	}
	if tr.rng.IntN(10) < 8 {
		must(os.WriteFile(filepath.Join(d, "p.go"), []byte("package p\n\n//go:generate handlergen -o registry_gen.go .\n"), 0o644))
	}
	if tr.rng.IntN(10) == 0 {
		note("link to a directory")
		must(os.Symlink(".", filepath.Join(d, "self")))
	}
	if depth >= 3 {
		return
	}
	for range tr.rng.IntN(4) {
		name := treeNames[tr.rng.IntN(len(treeNames))]
		c := filepath.Join(d, name)
		if _, err := os.Lstat(c); err == nil {
			continue
		}
		tr.dir(c, depth+1)
	}
}

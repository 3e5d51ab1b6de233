package gen

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTreeDigestSpecialFiles: the repeat-check digest reads the files of
// the tree, and a committed symbolic link may name /dev/zero (an endless
// read) or a FIFO (a read that never returns): each is refused, bounded
// and without blocking, as every read of handlergen is, and hashed as
// what it is, so the digest is still made.
func TestTreeDigestSpecialFiles(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, data := range map[string]string{"go.mod": "module example.com/m\n", "a.go": "package m\n"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"zero.h": "/dev/zero", "fifo.c": fifo, "z.go": "/dev/zero", "go.work": fifo} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	first, ok := treeDigest(root)
	if !ok {
		t.Fatal("no digest")
	}
	if again, ok := treeDigest(root); !ok || again != first {
		t.Error("the digest of an unchanged tree changed")
	}
	// go.mod and go.work are read for replace targets too.
	if err := os.Remove(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if got, _ := replaceTargets([]string{root}); len(got) != 0 {
		t.Errorf("replace targets of a device and a FIFO: %q", got)
	}
	// So is the go env file.
	t.Setenv("GOENV", fifo)
	checkKey(&cache{}, nil)
}

// TestTreeDigestSeesWhatTheBuildReads: every change of a file a build of
// the module reads changes the repeat-check digest, and nothing else does.
// The go command finds a package through a directory that is a link (here
// to a directory in a nested module, which is not walked otherwise: a link
// leaving the module makes the check run in full, see
// TestTreeDigestDirectoryLinks), and compiles in the files a //go:embed
// directive names, which may be any file below the package's directory.
func TestTreeDigestSeesWhatTheBuildReads(t *testing.T) {
	write := func(t *testing.T, p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		change func(t *testing.T, root, ext string)
		same   bool
	}{
		{name: "Go file through a linked directory", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(ext, "h.go"), "package h\n\nfunc F(int) {}\n")
		}},
		{name: "Go file added through a linked directory", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(ext, "sub", "s.go"), "package sub\n")
		}},
		{name: "link retargeted to another directory the digest reads anyway", change: func(t *testing.T, root, ext string) {
			// l1 and l2 lead to ext and sub: l3, which led to ext as
			// l1 does, now leads to sub. Its files are sub's, read
			// already, but the package at example.com/m/l3 changed.
			p := filepath.Join(root, "l3")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, "sub"), p); err != nil {
				t.Fatal(err)
			}
		}},
		// The go command imports these; only patterns with ... leave
		// them out.
		{name: "Go file in testdata", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "testdata", "t", "t.go"), "package t\n")
		}},
		{name: "Go file in a directory starting with _", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "_u", "u.go"), "package u\n")
		}},
		{name: "Go file in a directory starting with .", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "p", ".v", "v.go"), "package v\n")
		}},
		{name: "Go file in a VCS directory (never committed)", same: true, change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, ".git", "w", "w.go"), "package w\n")
		}},
		{name: "embedded file edited (its content never decides whether the package builds)", same: true, change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "e", "static", "data.txt"), "changed\n")
		}},
		{name: "embedded file replaced by a link, which cannot be embedded", change: func(t *testing.T, root, ext string) {
			p := filepath.Join(root, "e", "static", "data.txt")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, "README.md"), p); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "embedded file made unreadable", change: func(t *testing.T, root, ext string) {
			if err := os.Chmod(filepath.Join(root, "e", "static", "data.txt"), 0o200); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "embedded file removed", change: func(t *testing.T, root, ext string) {
			if err := os.Remove(filepath.Join(root, "e", "static", "data.txt")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "empty directory below an embedding package", change: func(t *testing.T, root, ext string) {
			if err := os.Mkdir(filepath.Join(root, "e", "static", "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "empty directory beside Go files", same: true, change: func(t *testing.T, root, ext string) {
			if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "hidden file below an embedding package", change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "e", "static", ".hidden"), "x\n")
		}},
		{name: "go.work named by GOWORK", change: func(t *testing.T, root, ext string) {
			write(t, os.Getenv("GOWORK"), "go 1.26\n\nuse ./x\n")
		}},
		{name: "Go file touched", same: true, change: func(t *testing.T, root, ext string) {
			now := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(root, "a.go"), now, now); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "text file beside a package that embeds nothing", same: true, change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "README.md"), "changed\n")
		}},
		{name: "VCS directory below an embedding package", same: true, change: func(t *testing.T, root, ext string) {
			write(t, filepath.Join(root, "e", ".git", "HEAD"), "changed\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			ext := filepath.Join(root, "store", "ext", "h")
			write(t, filepath.Join(root, "go.mod"), "module example.com/m\n")
			write(t, filepath.Join(root, "a.go"), "package m\n")
			write(t, filepath.Join(root, "README.md"), "m\n")
			write(t, filepath.Join(root, "store", "go.mod"), "module example.com/store\n") // reached only through links
			write(t, filepath.Join(ext, "h.go"), "package h\n\nfunc F(string) {}\n")
			write(t, filepath.Join(root, "e", "e.go"), "package e\n\nimport \"embed\"\n\n//go:embed all:static\nvar FS embed.FS\n")
			write(t, filepath.Join(root, "e", "static", "data.txt"), "data\n")
			write(t, filepath.Join(root, "e", ".git", "HEAD"), "ref\n")
			write(t, filepath.Join(root, "sub", "s.go"), "package sub\n")
			write(t, filepath.Join(outside, "alt.work"), "go 1.26\n\nuse .\n")
			t.Setenv("GOWORK", filepath.Join(outside, "alt.work"))
			for link, target := range map[string]string{"h": ext, "l1": ext, "l2": filepath.Join(root, "sub"), "l3": ext} {
				if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
					t.Fatal(err)
				}
			}
			before, ok := treeDigest(root)
			if !ok {
				t.Fatal("no digest")
			}
			tt.change(t, root, ext)
			after, ok := treeDigest(root)
			if !ok {
				t.Fatal("no digest after the change")
			}
			if same := before == after; same != tt.same {
				t.Errorf("digest unchanged: %v, want %v", same, tt.same)
			}
		})
	}
}

// TestCheckKeyGOFLAGSFiles: a file GOFLAGS makes the go command read is an
// input of the check: an edit of a -modfile (or its go.sum) changes the
// digest, and an -overlay, whose files the digest does not follow, makes
// every check run in full.
func TestCheckKeyGOFLAGSFiles(t *testing.T) {
	dir := t.TempDir()
	mod, sum := filepath.Join(dir, "alt.mod"), filepath.Join(dir, "alt.sum")
	for _, f := range []string{mod, sum} {
		if err := os.WriteFile(f, []byte("module example.com/m\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOENV", "off")
	t.Setenv("GOFLAGS", "-mod=mod -modfile="+mod)
	c := &cache{}
	key := func() [32]byte {
		k, _, _, ok := checkKey(c, nil)
		if !ok {
			t.Fatal("no key")
		}
		return k
	}
	first := key()
	if key() != first {
		t.Fatal("the key of unchanged inputs changed")
	}
	for _, f := range []string{mod, sum} {
		if err := os.WriteFile(f, []byte("module example.com/m\n\nrequire example.com/x v1.0.0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if next := key(); next == first {
			t.Errorf("editing %s did not change the key", filepath.Base(f))
		} else {
			first = next
		}
	}
	t.Setenv("GOFLAGS", "-overlay="+filepath.Join(dir, "overlay.json"))
	if _, _, _, ok := checkKey(c, nil); ok {
		t.Error("a check with -overlay can be answered from the cache")
	}
}

// TestCheckKeyEnvironment: each variable the go command reads changes the
// repeat-check key; one it does not read does not. PATH decides which go
// command runs, and the go command looks up compilers (CC) and, with
// GOTOOLCHAIN=path, toolchains in it; GOROOT, GOTOOLCHAIN, GOENV and
// GOWORK decide which toolchain and which configuration it uses.
func TestCheckKeyEnvironment(t *testing.T) {
	t.Setenv("GOENV", "off")
	key := func() [32]byte {
		k, _, _, ok := checkKey(&cache{}, nil)
		if !ok {
			t.Fatal("no key")
		}
		return k
	}
	for _, tt := range []struct {
		name string
		same bool
	}{
		{"PATH", false}, {"GOROOT", false}, {"GOTOOLCHAIN", false}, {"GOFLAGS", false}, {"GOENV", false}, {"GOWORK", false},
		{"GOPATH", false}, {"GOMODCACHE", false}, {"GOPROXY", false}, {"GO111MODULE", false}, {"GOEXPERIMENT", false}, {"GODEBUG", false},
		{"GOOS", false}, {"GOARCH", false}, {"GOAMD64", false}, {"CGO_ENABLED", false}, {"CGO_CFLAGS", false},
		{"CC", false}, {"CXX", false}, {"FC", false}, {"PKG_CONFIG", false}, {"AR", false}, {"GCCGO", false}, {"GCCGOTOOLDIR", false},
		{"HOME", false}, {"XDG_CONFIG_HOME", false}, {"APPDATA", false}, {"home", false},
		{"HANDLERGEN_UNRELATED", true}, {"TERM", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := key()
			v := "changed-" + tt.name
			if tt.name == "PATH" {
				// The same go command is found first.
				v = os.Getenv("PATH") + string(os.PathListSeparator) + t.TempDir()
			}
			t.Setenv(tt.name, v)
			if same := key() == before; same != tt.same {
				t.Errorf("key unchanged: %v, want %v", same, tt.same)
			}
		})
	}
}

// TestCheckKeyGoCommand: the key follows which go command and toolchain
// run, and their configuration files, also when the file the go command's
// path names keeps its size and time: a link on PATH retargeted to
// another toolchain, a toolchain's VERSION, GOROOT/go.env, the go env file.
func TestCheckKeyGoCommand(t *testing.T) {
	dir := t.TempDir()
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Two toolchains whose go commands are alike in size and time; b's
	// is in bin/GOOS_GOARCH, as a cross-compiled toolchain's is.
	bins := map[string]string{"a": "bin/go", "b": "bin/" + runtime.GOOS + "_" + runtime.GOARCH + "/go"}
	for v, bin := range bins {
		writeFiles(t, filepath.Join(dir, v), map[string]string{bin: "#!/bin/sh\n", "VERSION": "go1.26.0\n", "go.env": "GOTOOLCHAIN=auto\n", "pkg/tool/compile": ""})
		if err := os.Chmod(filepath.Join(dir, v, bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, v, bin), stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, dir, map[string]string{"env": "GOPROXY=off\n"})
	if err := os.Symlink(filepath.Join(dir, "a", bins["a"]), filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("GOROOT", "")
	t.Setenv("GOENV", filepath.Join(dir, "env"))
	key := func() [32]byte {
		k, _, _, ok := checkKey(&cache{}, nil)
		if !ok {
			t.Fatal("no key")
		}
		return k
	}
	for _, tt := range []struct {
		name   string
		change func(t *testing.T)
	}{
		{"go command rewritten in place, keeping its size and time", func(t *testing.T) {
			// Its inode's change time tells (on Linux: fileIdentity).
			p := filepath.Join(dir, "a", bins["a"])
			if err := os.WriteFile(p, []byte("#!/bin/ab\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}},
		{"go command on PATH retargeted", func(t *testing.T) {
			if err := os.Remove(filepath.Join(dir, "go")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(dir, "b", bins["b"]), filepath.Join(dir, "go")); err != nil {
				t.Fatal(err)
			}
		}},
		{"toolchain's VERSION", func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"b/VERSION": "go1.26.1\n"})
		}},
		{"GOROOT/go.env", func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"b/go.env": "GOTOOLCHAIN=local\n"})
		}},
		{"go env file", func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"env": "GOPROXY=direct\n"})
		}},
		{"GOROOT the go env file names", func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"c/VERSION": "go1.27.0\n", "c/pkg/tool/compile": "", "env": "GOPROXY=direct\nGOROOT=" + filepath.Join(dir, "c") + "\n"})
		}},
		{"VERSION of the GOROOT the go env file names", func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"c/VERSION": "go1.27.1\n"})
		}},
	} {
		before := key()
		if key() != before {
			t.Fatal("the key of unchanged inputs changed")
		}
		tt.change(t)
		if key() == before && (runtime.GOOS == "linux" || !strings.Contains(tt.name, "in place")) {
			t.Errorf("a change of the %s did not change the key", tt.name)
		}
	}
}

// TestCheckKeyGoLauncher: a go command that is no toolchain's own (not in
// GOROOT/bin, as a version manager's shim, or a launcher, is not) may run a
// toolchain chosen by files the key does not read (.go-version,
// .tool-versions, a snap's revision): no key is made, and every check runs
// in full.
func TestCheckKeyGoLauncher(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"shims/go": "#!/bin/sh\nexec asdf exec go \"$@\"\n", "sdk/VERSION": "go1.26.0\n", "sdk/pkg/tool/compile": ""})
	if err := os.Chmod(filepath.Join(dir, "shims", "go"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Join(dir, "shims"))
	t.Setenv("GOENV", "off")
	for _, goroot := range []string{"", filepath.Join(dir, "sdk")} {
		t.Setenv("GOROOT", goroot)
		if _, _, _, ok := checkKey(&cache{}, nil); ok {
			t.Errorf("GOROOT=%q: a key made with a go command outside any GOROOT", goroot)
		}
	}
}

// TestTreeDigestDirectoryLinks: a committed link to a directory must not
// steer the repeat-check digest into the file system. The go command
// imports a package through a link wherever it leads, so a link the digest
// does not follow could let a repeat check answer for a package that
// changed: a link that leaves the module (to /, to an ancestor such as
// $HOME, to a sibling, at the end of a chain of links, around a cycle of
// directories outside) makes the digest give up, and the check runs in
// full. Links that stay inside the module, however many and however they
// loop, are followed, and what they lead to is in the digest.
func TestTreeDigestDirectoryLinks(t *testing.T) {
	link := func(t *testing.T, target, link string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		make func(t *testing.T, root, outside string)
		edit string // for a digest that is made: a file the edit of which must change it
	}{
		{name: "link to /", make: func(t *testing.T, root, outside string) { link(t, "/", filepath.Join(root, "r")) }},
		{name: "link to an ancestor of the module", make: func(t *testing.T, root, outside string) {
			link(t, filepath.Dir(root), filepath.Join(root, "up"))
		}},
		{name: "relative link to an ancestor", make: func(t *testing.T, root, outside string) {
			link(t, "../..", filepath.Join(root, "p", "up"))
		}},
		{name: "link to a sibling outside the module", make: func(t *testing.T, root, outside string) {
			writeFiles(t, outside, map[string]string{"h/h.go": "package h\n"})
			link(t, filepath.Join(outside, "h"), filepath.Join(root, "h"))
		}},
		{name: "chain of links that ends outside", make: func(t *testing.T, root, outside string) {
			writeFiles(t, outside, map[string]string{"h/h.go": "package h\n"})
			link(t, filepath.Join(root, "store", "b"), filepath.Join(root, "a"))
			link(t, filepath.Join(root, "store", "c"), filepath.Join(root, "store", "b"))
			link(t, filepath.Join(outside, "h"), filepath.Join(root, "store", "c"))
		}},
		{name: "link inside the module to a directory with a link out", make: func(t *testing.T, root, outside string) {
			writeFiles(t, outside, map[string]string{"h/h.go": "package h\n"})
			link(t, filepath.Join(root, "store", "x"), filepath.Join(root, "a"))
			link(t, filepath.Join(outside, "h"), filepath.Join(root, "store", "x", "y"))
		}},
		{name: "cycle through many directories outside", make: func(t *testing.T, root, outside string) {
			const n = 50
			for i := range n {
				d := filepath.Join(outside, "d"+strconv.Itoa(i))
				writeFiles(t, d, map[string]string{"f.go": "package d\n"})
				link(t, filepath.Join(outside, "d"+strconv.Itoa((i+1)%n)), filepath.Join(d, "next"))
			}
			link(t, filepath.Join(outside, "d0"), filepath.Join(root, "l"))
		}},
		{name: "cycle through many directories of the module", edit: "store/d7/f.go", make: func(t *testing.T, root, outside string) {
			const n = 50
			for i := range n {
				d := filepath.Join(root, "store", "d"+strconv.Itoa(i))
				writeFiles(t, d, map[string]string{"f.go": "package d\n"})
				link(t, filepath.Join(root, "store", "d"+strconv.Itoa((i+1)%n)), filepath.Join(d, "next"))
				link(t, root, filepath.Join(d, "top"))
			}
			link(t, filepath.Join(root, "store", "d0"), filepath.Join(root, "l"))
		}},
		{name: "fan-out of links inside the module", edit: "store/x/h.go", make: func(t *testing.T, root, outside string) {
			writeFiles(t, root, map[string]string{"store/x/h.go": "package x\n", "store/x/deep/a/b/c/d.go": "package c\n"})
			for i := range 200 {
				link(t, filepath.Join(root, "store", "x"), filepath.Join(root, "fan", "l"+strconv.Itoa(i)))
				link(t, filepath.Join(root, "fan"), filepath.Join(root, "store", "x", "deep", "a", "f"+strconv.Itoa(i)))
				link(t, "..", filepath.Join(root, "store", "x", "deep", "a", "b", "up"+strconv.Itoa(i)))
			}
		}},
		{name: "relative link to a directory of the module", edit: "store/y/y.go", make: func(t *testing.T, root, outside string) {
			writeFiles(t, root, map[string]string{"store/y/y.go": "package y\n"})
			link(t, "../store/y", filepath.Join(root, "p", "y"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, outside := filepath.Join(t.TempDir(), "m"), t.TempDir()
			// The directories the links lead to are in a nested module,
			// which the digest reaches only through them.
			writeFiles(t, root, map[string]string{"go.mod": "module example.com/m\n", "a.go": "package m\n", "store/go.mod": "module example.com/store\n"})
			tt.make(t, root, outside)
			first, ok := treeDigest(root)
			if tt.edit == "" {
				if ok {
					t.Error("digest made of a tree with a link that leaves the module")
				}
				return
			}
			if !ok {
				t.Fatal("no digest")
			}
			if again, ok := treeDigest(root); !ok || again != first {
				t.Fatal("the digest of an unchanged tree changed")
			}
			writeFiles(t, root, map[string]string{tt.edit: "package edited\n"})
			if after, ok := treeDigest(root); !ok || after == first {
				t.Errorf("editing %s, reached through a link, did not change the digest (ok %v)", tt.edit, ok)
			}
		})
	}
}

// TestTreeDigestBound: past maxTreeEntries files, directories or links,
// or maxTreeBytes read, whether of a huge tree or of a fan-out of links
// (to directories, or to one large file, which each link reads again),
// the digest gives up and the check runs in full; below them the digest
// is made. (The bounds are lowered for the test, so that it needs no huge
// tree.)
func TestTreeDigestBound(t *testing.T) {
	defer func(n int, b int64) { maxTreeEntries, maxTreeBytes = n, b }(maxTreeEntries, maxTreeBytes)
	maxTreeEntries, maxTreeBytes = 300, 64<<10
	large := "package m\n\n//" + strings.Repeat("x", 4<<10) + "\n"
	linkLarge := func(t *testing.T, root string, i int) {
		if i == 0 {
			writeFiles(t, filepath.Dir(root), map[string]string{"large.go": large})
		}
		if err := os.Symlink(filepath.Join(filepath.Dir(root), "large.go"), filepath.Join(root, "l"+strconv.Itoa(i)+".go")); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		n    int
		make func(t *testing.T, root string, i int)
		ok   bool
	}{
		{"files", 100, func(t *testing.T, root string, i int) {
			writeFiles(t, root, map[string]string{"f" + strconv.Itoa(i) + ".go": "package m\n"})
		}, true},
		{"files", 400, func(t *testing.T, root string, i int) {
			writeFiles(t, root, map[string]string{"f" + strconv.Itoa(i) + ".go": "package m\n"})
		}, false},
		{"directories", 200, func(t *testing.T, root string, i int) {
			if err := os.Mkdir(filepath.Join(root, "d"+strconv.Itoa(i)), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"links to the module", 400, func(t *testing.T, root string, i int) {
			if err := os.Symlink(root, filepath.Join(root, "l"+strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"large files", 10, func(t *testing.T, root string, i int) {
			writeFiles(t, root, map[string]string{"f" + strconv.Itoa(i) + ".go": large})
		}, true},
		{"large files", 20, func(t *testing.T, root string, i int) {
			writeFiles(t, root, map[string]string{"f" + strconv.Itoa(i) + ".go": large})
		}, false},
		{"links to a large file", 10, linkLarge, true},
		{"links to a large file", 20, linkLarge, false},
	} {
		t.Run(tt.name+"/"+strconv.Itoa(tt.n), func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "m")
			writeFiles(t, root, map[string]string{"go.mod": "module example.com/m\n"})
			for i := range tt.n {
				tt.make(t, root, i)
			}
			if _, ok := treeDigest(root); ok != tt.ok {
				t.Errorf("digest made: %v, want %v", ok, tt.ok)
			}
		})
	}
}

// TestTreeDigestLinkToReplaceTarget: a link into a local replace target,
// which the check hashes anyway, is followed; one into the same directory
// when nothing replaces a module with it leaves the hashed trees.
func TestTreeDigestLinkToReplaceTarget(t *testing.T) {
	t.Setenv("GOWORK", "off")
	dir := t.TempDir()
	root, dep := filepath.Join(dir, "m"), filepath.Join(dir, "dep")
	writeFiles(t, root, map[string]string{"go.mod": "module example.com/m\n\nreplace example.com/dep => ../dep\n", "a.go": "package m\n"})
	writeFiles(t, dep, map[string]string{"go.mod": "module example.com/dep\n", "p/p.go": "package p\n"})
	if err := os.Symlink(filepath.Join(dep, "p"), filepath.Join(root, "p")); err != nil {
		t.Fatal(err)
	}
	if _, ok := treeDigest(root); ok {
		t.Error("digest made of a module alone, with a link out of it")
	}
	targets, ok := replaceTargets([]string{root})
	if !ok || len(targets) != 1 || targets[0] != dep {
		t.Fatalf("replace targets %q, %v", targets, ok)
	}
	w := newTreeWalk([]string{root, dep})
	first, ok := w.digest(root)
	if !ok {
		t.Fatal("no digest of a module with a link into its replace target")
	}
	writeFiles(t, dep, map[string]string{"p/p.go": "package p\n\nfunc F() {}\n"})
	if after, ok := newTreeWalk([]string{root, dep}).digest(root); !ok || after == first {
		t.Errorf("an edit through the link did not change the digest (ok %v)", ok)
	}
}

// TestTreeDigestReplaceTargetWithoutModule: the go command reads nothing
// of a replacement directory without a go.mod but the go.mod it lacks (a
// build that needs the module fails), so the digest reads no more either:
// a go.mod that names / or $HOME as a replacement does not make every
// check walk it, and a link into such a directory leaves the hashed trees.
func TestTreeDigestReplaceTargetWithoutModule(t *testing.T) {
	dir := t.TempDir()
	root, dep := filepath.Join(dir, "m"), filepath.Join(dir, "dep")
	writeFiles(t, root, map[string]string{"go.mod": "module example.com/m\n", "a.go": "package m\n"})
	writeFiles(t, dep, map[string]string{"p/p.go": "package p\n"})
	defer func(n int) { maxTreeEntries = n }(maxTreeEntries)
	maxTreeEntries = 10 // more than m's tree, less than /
	digest := func() (string, bool) {
		return newTreeWalk([]string{root, dep}).digest(dep)
	}
	first, ok := digest()
	if !ok {
		t.Fatal("no digest of a replacement directory without go.mod")
	}
	if _, ok := newTreeWalk([]string{root, "/"}).digest("/"); !ok && !exists("/go.mod") {
		t.Error("no digest of / named as a replacement directory: it was walked")
	}
	writeFiles(t, dep, map[string]string{"p/p.go": "package p\n\nfunc F() {}\n", "q/q.go": "package q\n"})
	if again, ok := digest(); !ok || again != first {
		t.Errorf("files the go command does not read changed the digest (ok %v)", ok)
	}
	if err := os.Symlink(filepath.Join(dep, "p"), filepath.Join(root, "p")); err != nil {
		t.Fatal(err)
	}
	if _, ok := newTreeWalk([]string{root, dep}).digest(root); ok {
		t.Error("a link into a replacement directory without go.mod was followed")
	}
	writeFiles(t, dep, map[string]string{"go.mod": "module example.com/dep\n"})
	if after, ok := digest(); !ok || after == first {
		t.Errorf("the go.mod added to the replacement directory did not change the digest (ok %v)", ok)
	}
}

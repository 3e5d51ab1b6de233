package gen

import (
	"os"
	"path/filepath"
	"syscall"
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
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
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
// The go command finds a package through a directory that is a link, and
// compiles in the files a //go:embed directive names, which may be any
// file below the package's directory.
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
			write(t, filepath.Join(ext, "..", "alt.work"), "go 1.26\n\nuse ./x\n")
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
			ext := filepath.Join(outside, "h")
			write(t, filepath.Join(root, "go.mod"), "module example.com/m\n")
			write(t, filepath.Join(root, "a.go"), "package m\n")
			write(t, filepath.Join(root, "README.md"), "m\n")
			write(t, filepath.Join(ext, "h.go"), "package h\n\nfunc F(string) {}\n")
			write(t, filepath.Join(root, "e", "e.go"), "package e\n\nimport \"embed\"\n\n//go:embed all:static\nvar FS embed.FS\n")
			write(t, filepath.Join(root, "e", "static", "data.txt"), "data\n")
			write(t, filepath.Join(root, "e", ".git", "HEAD"), "ref\n")
			write(t, filepath.Join(outside, "alt.work"), "go 1.26\n\nuse .\n")
			t.Setenv("GOWORK", filepath.Join(outside, "alt.work"))
			if err := os.Symlink(ext, filepath.Join(root, "h")); err != nil {
				t.Fatal(err)
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
// repeat-check key; one it does not read does not.
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
	}{{"GOFLAGS", false}, {"GOOS", false}, {"CGO_ENABLED", false}, {"CC", false}, {"CXX", false}, {"PKG_CONFIG", false}, {"AR", false}, {"GCCGO", false}, {"HOME", false}, {"HANDLERGEN_UNRELATED", true}} {
		t.Run(tt.name, func(t *testing.T) {
			before := key()
			t.Setenv(tt.name, "changed-"+tt.name)
			if same := key() == before; same != tt.same {
				t.Errorf("key unchanged: %v, want %v", same, tt.same)
			}
		})
	}
}

package gen

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
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
	if got := replaceTargets([]string{root}); len(got) != 0 {
		t.Errorf("replace targets of a device and a FIFO: %q", got)
	}
	// So is the go env file.
	t.Setenv("GOENV", fifo)
	checkKey(&cache{}, nil)
}

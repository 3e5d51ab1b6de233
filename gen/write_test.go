package gen

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteThroughLink: an output that is a symbolic link stays one; the
// file it names (even one that does not exist yet) gets the bytes.
func TestWriteThroughLink(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "real", "target.go")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, to := range map[string]string{"link.go": "real/target.go", "dangling.go": "real/new.go", "chain.go": "link.go"} {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ link, file string }{
		{"link.go", "real/target.go"},
		{"chain.go", "real/target.go"},
		{"dangling.go", "real/new.go"},
	} {
		if err := writeAtomic(filepath.Join(dir, tc.link), []byte("new "+tc.link)); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(filepath.Join(dir, tc.link)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link (%v)", tc.link, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, tc.file)); string(b) != "new "+tc.link {
			t.Errorf("%s = %q after writing through %s", tc.file, b, tc.link)
		}
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want the target's 0600 kept", fi.Mode().Perm())
	}
	if err := os.Symlink("loop.go", filepath.Join(dir, "loop.go")); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(filepath.Join(dir, "loop.go"), nil); err == nil {
		t.Error("a link loop was written through")
	}
}

package pathx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestRel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	for _, tc := range []struct{ p, want string }{
		{filepath.Join(dir, "a", "b.yaml"), "a/b.yaml"},
		{filepath.Join("a", ".", "b.yaml"), "a/b.yaml"},
		{filepath.Join(filepath.Dir(dir), "other", "c.yaml"), "../other/c.yaml"},
	} {
		if got := Rel(dir, tc.p); got != tc.want {
			t.Errorf("Rel(%q, %q) = %q, want %q", dir, tc.p, got, tc.want)
		}
	}
}

func TestPathless(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &os.PathError{Op: "open", Path: "/secret/dir/x", Err: fs.ErrPermission})
	got := Pathless(err)
	if got.Error() != "open: permission denied" || !errors.Is(got, fs.ErrPermission) {
		t.Errorf("Pathless = %v", got)
	}
	plain := errors.New("plain")
	if Pathless(plain) != plain {
		t.Error("Pathless changed an error without a path")
	}
}

package gen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCheckModuleFiles: the module files the go command reads where it
// runs are examined — a workspace's, its modules' and their local
// replacements' — and each that is not a regular file is a problem, named
// by its path; files that do not exist and directories named go.mod or
// go.work where the go command looks for a module root are not.
func TestCheckModuleFiles(t *testing.T) {
	t.Setenv("GOWORK", "")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.work":      "go 1.26\n\nuse (\n\t./app\n\t./lib\n)\n\nreplace example.com/w => ./wrep\n",
		"app/go.mod":   "module example.com/app\n\nreplace example.com/r => ../rep\n\nreplace example.com/v => example.com/v2 v2.0.0\n",
		"app/sub/x.go": "package sub\n",
		"lib/go.mod":   "module example.com/lib\n",
		"rep/go.mod":   "module example.com/r\n",
		"solo/go.mod":  "module example.com/solo\n",
	})
	problems := func(d string) (got []string) {
		t.Helper()
		for _, p := range checkModuleFiles(d) {
			rel, err := filepath.Rel(dir, p.path)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %03d", filepath.ToSlash(rel), p.code))
		}
		slices.Sort(got)
		return got
	}
	if got := problems(filepath.Join(dir, "app", "sub")); len(got) != 0 {
		t.Fatalf("a sound workspace has problems: %q", got)
	}

	fifo := func(rel string) {
		t.Helper()
		if err := mkfifo(filepath.Join(dir, rel)); errors.Is(err, errors.ErrUnsupported) {
			t.Skip("no named pipes here")
		} else if err != nil {
			t.Fatal(err)
		}
	}
	fifo("lib/go.sum")
	fifo("rep/go.sum") // not read: a replacement's go.sum is not the go command's
	fifo("go.work.sum")
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "app", "go.sum")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "wrep", "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := []string{"app/go.sum 007", "go.work.sum 007", "lib/go.sum 007", "wrep/go.mod 007"}
	if got := problems(filepath.Join(dir, "app", "sub")); !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}

	// Outside the workspace, only the module's own files count.
	t.Setenv("GOWORK", "off")
	if got := problems(filepath.Join(dir, "app", "sub")); !slices.Equal(got, []string{"app/go.sum 007"}) {
		t.Errorf("GOWORK=off: problems = %q", got)
	}
	if got := problems(filepath.Join(dir, "solo")); len(got) != 0 {
		t.Errorf("another module: problems = %q", got)
	}
	// A directory named go.mod is no module root: solo's go.mod governs.
	if err := os.MkdirAll(filepath.Join(dir, "solo", "d", "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "solo", "vendor"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo("solo/vendor/modules.txt")
	if got := problems(filepath.Join(dir, "solo", "d")); !slices.Equal(got, []string{"solo/vendor/modules.txt 007"}) {
		t.Errorf("below a directory named go.mod: problems = %q", got)
	}
}

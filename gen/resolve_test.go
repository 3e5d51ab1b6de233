package gen

import (
	"path/filepath"
	"testing"
)

func TestCleanMsg(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"go.mod": "module example.com/app\n", "sub/x.go": "package sub\n"})
	dir := filepath.Join(root, "sub")
	for _, tc := range []struct{ in, want string }{
		{"build constraints exclude all Go files in " + filepath.Join(root, "excl"), "build constraints exclude all Go files in ../excl"},
		{filepath.Join(dir, "x.go") + ":3:1: expected declaration", "x.go:3:1: expected declaration"},
		{"stat " + dir + ": permission denied", "stat .: permission denied"},
		{"in (" + filepath.Join(root, "a", "b.go") + ")", "in (../a/b.go)"},
		{"a longer name " + root + "ple/x stays", "a longer name " + root + "ple/x stays"},
		{"err: exit status 1: stderr: go: inconsistent vendoring in " + root + ":", "go: inconsistent vendoring in ..:"},
		{"no required module provides package example.com/nope; to add it:\n\tgo get example.com/nope", "no required module provides package example.com/nope; to add it: go get example.com/nope"},
		{"go: updates to go.mod needed; to update it:\n\tgo mod tidy", "go: updates to go.mod needed; to update it: go mod tidy"},
		{"missing go.sum entry for module providing package example.com/x (imported by example.com/app/y); to add:\n\tgo get example.com/app/y", "missing go.sum entry for module providing package example.com/x (imported by example.com/app/y); to add: go get example.com/app/y"},
	} {
		if got := cleanMsg(dir, tc.in); got != tc.want {
			t.Errorf("cleanMsg(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// A module at the file system's root (common in containers).
	if got, want := relativize("cannot find /app/x.go or /srv", "/", "/app"), "cannot find x.go or ../srv"; got != want {
		t.Errorf("relativize at / = %q, want %q", got, want)
	}
	t.Setenv("GOMODCACHE", filepath.Join(root, ".cache", "mod"))
	if got, want := cleanMsg(dir, "in "+filepath.Join(root, ".cache", "mod", "example.com", "x@v1.0.0", "x.go")), "in $GOMODCACHE/example.com/x@v1.0.0/x.go"; got != want {
		t.Errorf("module cache inside the module: %q, want %q", got, want)
	}
}

// TestLoadErrPos: a failed load's message gives the place in the go.mod or
// go.work it is about, and nothing when it names none (or a file in the
// module cache, which is no place to edit).
func TestLoadErrPos(t *testing.T) {
	for _, tc := range []struct {
		msg       string
		file      string
		line, col int
	}{
		{"go: cannot load module ../b listed in go.work file: errors parsing ../b/go.mod:\n../b/go.mod:5: syntax error (unterminated block started at ../b/go.mod:4:1)", "../b/go.mod", 5, 0},
		{"go: errors parsing go.mod:\ngo.mod:3:9: unknown directive: bogus", "go.mod", 3, 9},
		{"go: errors parsing go.work:\ngo.work:2: unknown directive: x", "go.work", 2, 0},
		{"go: inconsistent vendoring in .:\n\texample.com/x@v1.0.0: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt", "", 0, 0},
		{"go: $GOMODCACHE/example.com/x@v1.0.0/go.mod:3: bad", "", 0, 0},
		{"$GOMODCACHE/example.com/x@v1.0.0/go.mod:3: bad", "", 0, 0},
		{"notes/go.mod.txt:3: not a go.mod", "", 0, 0},
	} {
		file, line, col := loadErrPos(tc.msg)
		if file != tc.file || line != tc.line || col != tc.col {
			t.Errorf("loadErrPos(%q) = %q %d %d, want %q %d %d", tc.msg, file, line, col, tc.file, tc.line, tc.col)
		}
	}
}

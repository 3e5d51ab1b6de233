package contracts

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// TestHostileYAML covers inputs from the security review that the main
// tables do not: each gives a coded diagnostic, never a panic.
func TestHostileYAML(t *testing.T) {
	named := "handler_name: n\nhandler_class: example.com/h.T\nhandler_type: effect\n"
	for _, tc := range []struct {
		name, src string
		code      registry.Code
		line      int
	}{
		{"tab indentation", "handler_name: n\nhandler_version:\n\tmajor: 1\n", registry.InvalidYAMLSyntax, 3},
		{"unclosed double quote", named + "protocol_type: \"open\n", registry.InvalidYAMLSyntax, 0},
		{"unclosed single quote", named + "protocol_type: 'open\n", registry.InvalidYAMLSyntax, 0},
		{"unclosed mapping", named + "handler_routing: {a: 1\n", registry.InvalidYAMLSyntax, 0},
		{"undefined alias", named + "protocol_type: *nowhere\n", registry.InvalidYAMLSyntax, 0},
		{"custom tag on root", "!custom\n" + named, registry.InvalidYAMLSyntax, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := Parse("c.yaml", []byte(tc.src))
			if c != nil || len(diags) == 0 || diags[0].Code != tc.code {
				t.Fatalf("Parse = %v, %v; want %s", c, diags, tc.code)
			}
			if tc.line != 0 && diags[0].Pos.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", diags[0].Pos.Line, tc.line, diags[0])
			}
		})
	}
}

// TestLongLine: a single 5 MiB line is within the size limit and parses
// into a contract (the value is only carried, never interpreted).
func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", 5<<20)
	src := "handler_name: n\nhandler_class: example.com/h.T\nhandler_type: effect\nprotocol_type: " + long + "\n"
	c, diags := Parse("c.yaml", []byte(src))
	if diags.HasErrors() || c == nil || len(c.ProtocolType) != len(long) {
		t.Fatalf("Parse: %v", diags)
	}
	// And as one unbroken flow of keys, a syntax error is still found.
	if _, diags := Parse("c.yaml", []byte("handler_name: ["+long)); !diags.HasErrors() || diags[0].Code != registry.InvalidYAMLSyntax {
		t.Fatalf("unterminated long flow: %v", diags)
	}
}

// TestSymlinkLoop: a loop is skipped in a walk and reported when named.
func TestSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"ok/contract.yaml": valid})
	for _, l := range [][2]string{{"a", "b"}, {"b", "a"}, {"ok/loop", "../ok"}} {
		if err := os.Symlink(l[1], filepath.Join(dir, filepath.FromSlash(l[0]))); err != nil {
			t.Skip("symlinks:", err)
		}
	}
	if err := os.Symlink("contract.yaml", filepath.Join(dir, "ok", "self.yaml")); err != nil {
		t.Fatal(err)
	}
	files, diags := Discover([]string{"."}, Options{Dir: dir})
	if len(files) != 1 || files[0] != "ok/contract.yaml" || diags.HasErrors() {
		t.Errorf("walk: %q %v", files, diags)
	}
	_, diags = Discover([]string{"a"}, Options{Dir: dir})
	if !diags.HasErrors() {
		t.Fatal("a named symlink loop gave no error")
	}
	if c := diags[0].Code; c != registry.FileStatError && c != registry.FileNotFound {
		t.Errorf("named loop: %v", diags)
	}
}

// TestVanishingFile: a contract that disappears between discovery and
// reading is reported, and the others still load.
func TestVanishingFile(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"a/contract.yaml": valid, "b/contract.yaml": contractFor("other")})
	fsys := &faultFS{open: map[string]error{}}
	fsys.open["contract.yaml"] = nil
	vanish := &vanishFS{faultFS: fsys, gone: filepath.Join(dir, "a", "contract.yaml")}
	cs, diags := Load([]string{"."}, Options{Dir: dir, fsys: vanish})
	if len(cs) != 1 || cs[0].Path != "b/contract.yaml" {
		t.Errorf("contracts: %v", cs)
	}
	if len(diags) != 1 || diags[0].Pos.File != "a/contract.yaml" || (diags[0].Code != registry.FileNotFound && diags[0].Code != registry.FileReadError) {
		t.Errorf("diags: %v", diags)
	}
}

// vanishFS deletes one file as soon as discovery has seen it.
type vanishFS struct {
	*faultFS
	gone string
}

func (v *vanishFS) Open(name string) (io.ReadCloser, error) {
	if name == v.gone {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	return v.faultFS.Open(name)
}

// TestSwappedForFIFO: a contract that is a link to a named pipe is refused
// without blocking: named, with 007, and in a walk, where it is no
// contract, skipped. Opening it refuses it too (fstat of what was opened),
// so one that a stat took for a regular file — swapped since — is 007
// whether named or found by the walk, never a read that waits for a
// writer.
func TestSwappedForFIFO(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"ok/contract.yaml": valid, "walk/": ""})
	pipes := map[string]bool{}
	for l, p := range map[string]string{"named.yaml": "pipe1", "walk/contract.yaml": "pipe2"} {
		p = filepath.Join(dir, p)
		if err := mkfifo(p); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		if err := os.Symlink(p, filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		pipes[real] = true
	}
	load := func(fsys fileSystem) diag.List {
		t.Helper()
		done := make(chan diag.List, 1)
		go func() {
			_, diags := Load([]string{"ok", "named.yaml", "walk"}, Options{Dir: dir, fsys: fsys})
			done <- diags
		}()
		select {
		case diags := <-done:
			return diags
		case <-time.After(10 * time.Second):
			t.Fatal("loading a contract linked to a named pipe blocks")
			return nil
		}
	}
	checkDiscoverDiags(t, load(osFS{}), []dwant{{registry.NotAFile, "named.yaml", "not a regular file (p---------)"}})
	checkDiscoverDiags(t, load(staleStatFS{pipes: pipes}), []dwant{
		{registry.NotAFile, "named.yaml", "not a regular file (p---------)"},
		{registry.NotAFile, "walk/contract.yaml", "not a regular file (p---------)"},
	})
}

// staleStatFS answers a stat of a link to one of pipes as if the link led
// to a regular file, as a stat taken before the file was swapped for the
// pipe.
type staleStatFS struct {
	osFS
	pipes map[string]bool
}

func (f staleStatFS) Stat(name string) (fs.FileInfo, error) {
	if real, err := filepath.EvalSymlinks(name); err == nil && f.pipes[real] {
		return regularInfo{filepath.Base(name)}, nil
	}
	return f.osFS.Stat(name)
}

type regularInfo struct{ name string }

func (i regularInfo) Name() string       { return i.name }
func (i regularInfo) Size() int64        { return 10 }
func (i regularInfo) Mode() fs.FileMode  { return 0o644 }
func (i regularInfo) ModTime() time.Time { return time.Time{} }
func (i regularInfo) IsDir() bool        { return false }
func (i regularInfo) Sys() any           { return nil }

package output

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// specials makes one of each kind of file that is not a regular file,
// named for its kind, in dir, and a symbolic link to each.
func specials(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{
		"char device null": "/dev/null",
		"char device zero": "/dev/zero",
		"directory":        filepath.Join(dir, "adir"),
		"fifo":             filepath.Join(dir, "fifo"),
		"socket":           filepath.Join(dir, "sock"),
	}
	if err := os.Mkdir(m["directory"], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(m["fifo"]); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	l, err := net.Listen("unix", m["socket"])
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	for name, p := range map[string]string{"null": "/dev/null", "zero": "/dev/zero", "fifo": m["fifo"], "sock": m["socket"], "adir": m["directory"]} {
		link := filepath.Join(dir, "link-to-"+name)
		if err := os.Symlink(p, link); err != nil {
			t.Fatal(err)
		}
		m["link to "+name] = link
		rel := filepath.Join(dir, "rel-link-to-"+name)
		if filepath.Dir(p) == dir {
			if err := os.Symlink(filepath.Base(p), rel); err != nil {
				t.Fatal(err)
			}
			m["relative link to "+name] = rel
		}
	}
	return m
}

// TestReadRefusesNonRegular: every kind of file that is not a regular
// file, and every link to one, is refused without being read: a FIFO
// with no writer would block an open or a read, /dev/zero would never
// end, and /dev/null would read as an empty file, which is "ours".
func TestReadRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	for name, p := range specials(t, dir) {
		f, err := Read(p)
		var nr *NotRegularError
		if !errors.As(err, &nr) {
			t.Errorf("%s: Read = %+v, %v; want a NotRegularError", name, f, err)
			continue
		}
		if f.Data != nil || f.Exists {
			t.Errorf("%s: data %q, exists %v", name, f.Data, f.Exists)
		}
		// Write refuses the resolved path too, so it cannot replace it.
		if err := Write(f.Path, []byte("x"), 0o644); !errors.As(err, &nr) {
			t.Errorf("%s: Write(%s) = %v", name, f.Path, err)
		}
		if _, err := ReadFile(p); !errors.As(err, &nr) {
			t.Errorf("%s: ReadFile = %v", name, err)
		}
		if r, _, err := Open(p); !errors.As(err, &nr) || r != nil {
			t.Errorf("%s: Open = %v, %v", name, r, err)
		}
	}
	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi, err)
	}
}

// TestReadBounded: a file over MaxSize is refused, not read whole, and
// none is written.
func TestReadBounded(t *testing.T) {
	defer func(n int64) { MaxSize = n }(MaxSize)
	MaxSize = 10
	p := filepath.Join(t.TempDir(), "big.go")
	if err := os.WriteFile(p, []byte("0123456789A"), 0o644); err != nil {
		t.Fatal(err)
	}
	var tl *TooLargeError
	if _, err := Read(p); !errors.As(err, &tl) {
		t.Errorf("Read = %v", err)
	}
	if _, err := ReadFile(p); !errors.As(err, &tl) {
		t.Errorf("ReadFile = %v", err)
	}
	os.WriteFile(p, []byte("0123456789"), 0o644)
	if f, err := Read(p); err != nil || string(f.Data) != "0123456789" {
		t.Errorf("at the limit: %q %v", f.Data, err)
	}
	// Nothing is written that the next run would refuse to read back.
	if err := Write(p, []byte("0123456789A"), 0o644); err == nil {
		t.Error("Write over the limit succeeded")
	}
	if b, _ := os.ReadFile(p); string(b) != "0123456789" {
		t.Errorf("after a refused write: %q", b)
	}
	if err := Write(p, []byte("9876543210"), 0o644); err != nil {
		t.Errorf("Write at the limit: %v", err)
	}
}

// TestResolveAsKernel: Resolve reaches the file the kernel reaches,
// through linked directories, relative targets and "..", which a lexical
// join gets wrong whenever a directory on the way is a link.
func TestResolveAsKernel(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	mk := func(p, data string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("elsewhere/real.go", "real")
	mk("elsewhere/deep/real.go", "deep")
	mk("work/real.go", "decoy") // where a lexical join of ../real.go from work/sub lands
	link("../elsewhere/deep", "work/sub")
	link("../real.go", "elsewhere/deep/reg.go") // relative to the link's own directory
	link("work", "wl")                          // a linked working directory
	link("sub/reg.go", "work/chain.go")
	for _, p := range []string{
		"work/sub/reg.go",
		"wl/sub/reg.go",
		"work/chain.go",
		"wl/sub/../deep/real.go", // ".." from the link's target, not from wl
		"wl/sub/../../elsewhere/deep/real.go",
	} {
		raw := dir + "/" + p
		want, err := os.ReadFile(raw) // the kernel's answer
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f, err := Read(raw)
		if err != nil || string(f.Data) != string(want) {
			t.Errorf("Read(%s) = %q from %s, %v; the kernel reads %q", p, f.Data, f.Path, err, want)
		}
		if fi, err := os.Lstat(f.Path); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("Read(%s) resolved to %s, not a regular file", p, f.Path)
		}
		// The write goes where the read came from.
		if err := Write(f.Path, []byte("new "+p), f.Perm); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(raw); string(got) != "new "+p {
			t.Errorf("after writing %s, the kernel reads %q", p, got)
		}
		mk("elsewhere/real.go", "real")
		mk("elsewhere/deep/real.go", "deep")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "work/real.go")); string(b) != "decoy" {
		t.Errorf("work/real.go = %q: a write followed a lexical join", b)
	}
	for _, p := range []string{"work/sub/reg.go", "work/chain.go", "wl"} {
		if fi, err := os.Lstat(filepath.Join(dir, p)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link", p)
		}
	}
	// A dangling link names the file to create; a loop is an error.
	link("missing/new.go", "work/dangling.go")
	if f, err := Read(filepath.Join(dir, "work/dangling.go")); err != nil || f.Exists || f.Path != filepath.Join(dir, "work/missing/new.go") {
		t.Errorf("dangling: %+v %v", f, err)
	}
	link("loop.go", "work/loop.go")
	if _, err := Read(filepath.Join(dir, "work/loop.go")); err == nil {
		t.Error("a link loop resolved")
	}
}

// TestWriteKeepsPerm: a replaced file keeps its permissions.
func TestWriteKeepsPerm(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.go")
	os.WriteFile(p, []byte("old"), 0o600)
	f, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f.Path, []byte("new"), f.Perm); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

// TestRemoveStale: temporary files of writers that are gone are removed
// by the next write into the directory, including files from before
// writers were named (for the output's own name); a live writer's file,
// and files that only look similar, are kept.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	dead := strconv.Itoa(cmd.Process.Pid)
	live := strconv.Itoa(os.Getpid())
	files := map[string]bool{ // name → kept
		".registry_gen.go." + dead + "-123.tmp":  false,
		".other_gen.go." + dead + "-9.tmp":       false, // another registry of the directory
		".registry_gen.go.987654.tmp":            false, // before the PID was in the name
		".registry_gen.go." + live + "-456.tmp":  true,  // a concurrent run
		".other_gen.go.987654.tmp":               true,  // old-style, but not this output's
		"registry_gen.go." + dead + "-1.tmp":     true,  // not hidden: not ours
		".registry_gen.go." + dead + "-1.tmp.go": true,
		// Named like a temporary file, but of no Go output: someone else's.
		".notes." + dead + "-1.tmp":        true,
		".notes.20240101-1.tmp":            true,
		".registry_gen.txt.1-2.tmp":        true,
		".x." + dead + "-" + dead + ".tmp": true,
	}
	for n := range files {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	// A link named like a stale temporary file is not ours either: neither
	// it nor what it names is removed.
	target := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := ".registry_gen.go." + dead + "-7.tmp"
	if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
		t.Fatal(err)
	}
	files[link] = true
	if err := Write(filepath.Join(dir, "registry_gen.go"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
		t.Errorf("the link's target: %q, %v", b, err)
	}
	for n, kept := range files {
		if _, err := os.Stat(filepath.Join(dir, n)); (err == nil) != kept {
			t.Errorf("%s: kept = %v, want %v", n, err == nil, kept)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(files)-3+1 {
		t.Errorf("%d entries left: the write left a temporary file of its own?", len(entries))
	}
}

// TestReadMagicLink: /proc/self/fd/N of a pipe is a link whose target
// ("pipe:[…]") names no path; the kernel still reaches the pipe, and so
// it is refused, not taken for an absent file. (/dev/stdout is such a link.)
func TestReadMagicLink(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p := "/proc/self/fd/" + strconv.Itoa(int(r.Fd()))
	if _, err := os.Lstat(p); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var nr *NotRegularError
	if f, err := Read(p); !errors.As(err, &nr) {
		t.Errorf("Read(%s) = %+v, %v", p, f, err)
	}
}

// TestResolveThroughMissing: a path that climbs back out of a directory
// that does not exist yet ("new/../link/x.go") is resolved as the kernel
// resolves it once the directory exists — the link is followed — not
// joined lexically past the link, which would let a check of the result
// pass while the write lands where the link points.
func TestResolveThroughMissing(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	for _, d := range []string{"work", "elsewhere"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../elsewhere", filepath.Join(dir, "work/out")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "work/file.go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, want string
		create     []string // the directories a write creates, for the kernel's answer
	}{
		{"work/new/../out/x.go", "elsewhere/x.go", []string{"work/new"}},
		{"work/new/a/../../out/x.go", "elsewhere/x.go", []string{"work/new/a"}},
		{"work/new/../../elsewhere/x.go", "elsewhere/x.go", []string{"work/new"}},
		{"work/new/../new2/out/x.go", "work/new2/out/x.go", []string{"work/new", "work/new2/out"}},
		{"work/new/b/../c/x.go", "work/new/c/x.go", []string{"work/new/b", "work/new/c"}},
		{"work/out/new/../x.go", "elsewhere/x.go", []string{"elsewhere/new"}},
		{"work/new/../../../x.go", filepath.Join("..", "x.go"), nil},
	} {
		got, err := Resolve(dir + "/" + c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		want := filepath.Clean(filepath.Join(dir, c.want))
		if got != want {
			t.Errorf("Resolve(%s) = %s, want %s", c.path, got, want)
			continue
		}
		if c.create == nil {
			continue
		}
		// The kernel agrees once the missing directories exist.
		for _, d := range c.create {
			os.MkdirAll(filepath.Join(dir, d), 0o755)
		}
		if err := os.WriteFile(dir+"/"+c.path, []byte(c.path), 0o644); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if b, err := os.ReadFile(got); err != nil || string(b) != c.path {
			t.Errorf("%s: the kernel wrote elsewhere than %s (%q, %v)", c.path, got, b, err)
		}
		for _, p := range []string{"elsewhere/x.go", "work/new", "work/new2", "elsewhere/new"} {
			os.RemoveAll(filepath.Join(dir, p))
		}
	}
	// A path element that is a file is no directory: what lies past it is
	// missing, and a ".." back out of it resolves from the file's directory.
	if got, err := Resolve(dir + "/work/file.go/x/../../out/y.go"); err != nil || got != filepath.Join(dir, "elsewhere/y.go") {
		t.Errorf("through a file: %s, %v", got, err)
	}
}

// TestWriteDirBecameLink: a directory on the way to a resolved output that
// is replaced by a link between the read and the write does not lead the
// write through the link: the write is refused, and nothing is created
// where the link points.
func TestWriteDirBecameLink(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	outside := filepath.Join(root, "outside")
	sub := filepath.Join(root, "mod", "sub")
	for _, d := range []string{outside, sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, path, swap string }{
		{"parent", filepath.Join(sub, "r.go"), sub},
		{"grandparent", filepath.Join(sub, "deep", "r.go"), sub},
	} {
		os.MkdirAll(filepath.Dir(c.path), 0o755)
		f, err := Read(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(c.swap, c.swap+".moved"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, c.swap); err != nil {
			t.Fatal(err)
		}
		if err := Write(f.Path, []byte("x"), 0o644); err == nil {
			t.Errorf("%s: Write through a swapped directory succeeded", c.name)
		}
		if entries, _ := os.ReadDir(outside); len(entries) > 0 {
			t.Errorf("%s: written where the link points: %v", c.name, entries)
		}
		os.Remove(c.swap)
		os.RemoveAll(outside)
		os.Mkdir(outside, 0o755)
		if err := os.Rename(c.swap+".moved", c.swap); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNewFileUmask: a new output gets the permissions the user's umask
// gives a new file (as go build -o and os.WriteFile give them), not a
// fixed 0644 that a umask of 077 means to refuse others.
func TestNewFileUmask(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	old := setUmask(0o077)
	defer setUmask(old)
	p := filepath.Join(t.TempDir(), "new.go")
	f, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f.Path, []byte("x"), f.Perm); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("umask 077: mode %v, want 0600", fi.Mode().Perm())
	}
	setUmask(0o022)
	p = filepath.Join(filepath.Dir(p), "new2.go")
	f, _ = Read(p)
	if err := Write(f.Path, []byte("x"), f.Perm); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("umask 022: mode %v, want 0644", fi.Mode().Perm())
	}
}

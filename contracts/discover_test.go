package contracts

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// makeTree creates files under dir. A name ending in "/" is a directory; a
// value starting with "@" makes a symbolic link to the rest.
func makeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(mapsKeys(files)) {
		content := files[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "@"):
			err = os.Symlink(filepath.FromSlash(content[1:]), p)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestDiscover(t *testing.T) {
	tree := map[string]string{
		"a/handler_contract.yaml":     valid,
		"b/contract.yaml":             valid,
		"b/sub/deeper/contract.yaml":  valid,
		"b/other.yaml":                valid,
		"b/Contract.yaml":             valid,
		"b/contract.yml":              valid,
		".hidden/contract.yaml":       valid,
		"b/.hidden/contract.yaml":     valid,
		"b/_skip/contract.yaml":       valid,
		"b/vendor/x/contract.yaml":    valid,
		"b/testdata/contract.yaml":    valid,
		"b/.git/contract.yaml":        valid,
		"b/mod/go.mod":                "module example.com/mod\n",
		"b/mod/contract.yaml":         valid,
		"b/mod/x/contract.yaml":       valid,
		"both/contract.yaml":          valid,
		"both/handler_contract.yaml":  valid,
		"both/sub/contract.yaml":      valid,
		"outside/contract.yaml":       valid,
		"tree/x/contract.yaml":        valid,
		"tree/dirlink":                "@../outside",
		"tree/filelink/contract.yaml": "@../../outside/contract.yaml",
		"tree/broken/contract.yaml":   "@missing.yaml",
		"named.yaml":                  valid,
		"link.yaml":                   "@a/handler_contract.yaml",
		"empty/":                      "",
		"fifo/":                       "",
	}
	dir := t.TempDir()
	makeTree(t, dir, tree)
	if err := mkfifo(filepath.Join(dir, "fifo", "contract.yaml")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	abs := func(p string) string { return filepath.Join(dir, p) }

	for _, tc := range []struct {
		name   string
		inputs []string
		max    int
		want   []string
		diags  []dwant
	}{
		{name: "root walk", inputs: []string{"b"}, want: []string{"b/contract.yaml", "b/sub/deeper/contract.yaml"}},
		{name: "nested module named is searched", inputs: []string{"b/mod"}, want: []string{"b/mod/contract.yaml", "b/mod/x/contract.yaml"}},
		{name: "skipped root named", inputs: []string{"b/testdata", "b/_skip/", "b/.hidden"}, want: []string{"b/.hidden/contract.yaml", "b/_skip/contract.yaml", "b/testdata/contract.yaml"}},
		{name: "dot", inputs: []string{"."}, want: []string{
			"a/handler_contract.yaml", "b/contract.yaml", "b/sub/deeper/contract.yaml", "both/sub/contract.yaml",
			"outside/contract.yaml", "tree/x/contract.yaml", // tree/filelink/contract.yaml is outside/contract.yaml
		}, diags: []dwant{{registry.AmbiguousContractConfiguration, "both", "ambiguous contract configuration: found both handler_contract.yaml and contract.yaml"}}},
		{name: "sorted and deduped", inputs: []string{"tree", "a", "./a/handler_contract.yaml", "a/../a/handler_contract.yaml"}, want: []string{
			"a/handler_contract.yaml", "tree/filelink/contract.yaml", "tree/x/contract.yaml",
		}},
		{name: "dedupe by real path keeps first spelling", inputs: []string{"link.yaml", "a", "outside", "tree/filelink"}, want: []string{"link.yaml", "outside/contract.yaml"}},
		{name: "symlinked dir named is followed", inputs: []string{"tree/dirlink"}, want: []string{"tree/dirlink/contract.yaml"}},
		{name: "symlinked dir and its target are one tree", inputs: []string{"tree/dirlink", "outside", "tree/dirlink/./contract.yaml"}, want: []string{"tree/dirlink/contract.yaml"}},
		{name: "glob through a symlinked dir dedupes with its target", inputs: []string{"outside/*.yaml", "tree/dirlink/*.yaml"}, want: []string{"outside/contract.yaml"}},
		{name: "file of any name", inputs: []string{"named.yaml", "b/other.yaml"}, want: []string{"b/other.yaml", "named.yaml"}},
		{name: "absolute input", inputs: []string{abs("a")}, want: []string{"a/handler_contract.yaml"}},
		{name: "os separators", inputs: []string{filepath.Join("b", "sub")}, want: []string{"b/sub/deeper/contract.yaml"}},
		{name: "empty directory", inputs: []string{"empty"}},
		{name: "fifo is skipped in a walk", inputs: []string{"fifo"}},
		{name: "fifo named", inputs: []string{"fifo/contract.yaml"}, diags: []dwant{{registry.NotAFile, "fifo/contract.yaml", "not a regular file"}}},
		{name: "missing", inputs: []string{"nope.yaml", "a"}, want: []string{"a/handler_contract.yaml"},
			diags: []dwant{{registry.FileNotFound, "nope.yaml", "no such file or directory"}}},
		{name: "missing dir", inputs: []string{"nope/"}, diags: []dwant{{registry.DirectoryNotFound, "nope", "no such directory"}}},
		{name: "broken symlink named", inputs: []string{"tree/broken/contract.yaml"}, diags: []dwant{{registry.FileNotFound, "tree/broken/contract.yaml", "no such file"}}},
		{name: "file with slash", inputs: []string{"named.yaml/"}, diags: []dwant{{registry.NotADirectory, "named.yaml", "not a directory"}}},
		{name: "no inputs", inputs: nil, diags: []dwant{{registry.EmptyPatternsList, "", "patterns list cannot be empty"}}},
		{name: "empty input", inputs: []string{""}, diags: []dwant{{registry.InvalidGlobPattern, "", "empty"}}},
		{name: "limit", inputs: []string{"."}, max: 2, want: []string{"a/handler_contract.yaml", "b/contract.yaml"}, diags: []dwant{
			{registry.HandlerLimitReached, "", "found 6 contract files, using the first 2"},
			{registry.AmbiguousContractConfiguration, "both", "ambiguous"},
		}},
		{name: "limit not reached", inputs: []string{"a"}, max: 1, want: []string{"a/handler_contract.yaml"}},

		// Globs.
		// Globs match literally, like Python's pathlib: '*' matches dot files,
		// and no ambiguity check applies.
		{name: "glob star", inputs: []string{"*/contract.yaml"}, want: []string{".hidden/contract.yaml", "b/contract.yaml", "both/contract.yaml", "outside/contract.yaml"}},
		{name: "glob any name", inputs: []string{"b/*.y*ml"}, want: []string{"b/Contract.yaml", "b/contract.yaml", "b/contract.yml", "b/other.yaml"}},
		{name: "glob doublestar", inputs: []string{"b/**/contract.yaml"}, want: []string{
			"b/.git/contract.yaml", "b/.hidden/contract.yaml", "b/_skip/contract.yaml", "b/contract.yaml",
			"b/mod/contract.yaml", "b/mod/x/contract.yaml",
			"b/sub/deeper/contract.yaml", "b/testdata/contract.yaml", "b/vendor/x/contract.yaml",
		}},
		{name: "glob does not follow dir links", inputs: []string{"tree/**/*.yaml"}, want: []string{"tree/filelink/contract.yaml", "tree/x/contract.yaml"}},
		{name: "glob matching dirs walks them", inputs: []string{"{a,both}"}, want: []string{"a/handler_contract.yaml", "both/sub/contract.yaml"},
			diags: []dwant{{registry.AmbiguousContractConfiguration, "both", "ambiguous"}}},
		{name: "glob alternation", inputs: []string{"{a/*,named}.yaml"}, want: []string{"a/handler_contract.yaml", "named.yaml"}},
		{name: "glob no match", inputs: []string{"zzz/*.yaml", "*.json"}, diags: []dwant{
			{registry.FileNotFound, "", `pattern "*.json" matched no files`},
			{registry.FileNotFound, "", `pattern "zzz/*.yaml" matched no files`},
		}},
		{name: "glob base is a file", inputs: []string{"named.yaml/*"}, diags: []dwant{{registry.FileNotFound, "", "matched no files"}}},
		{name: "glob invalid", inputs: []string{"b/[a-"}, diags: []dwant{{registry.InvalidGlobPattern, "", `invalid glob pattern "b/[a-"`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := Discover(tc.inputs, Options{Dir: dir, MaxHandlers: tc.max})
			if !slices.Equal(got, tc.want) {
				t.Errorf("Discover = %q\nwant       %q", got, tc.want)
			}
			checkDiscoverDiags(t, diags, tc.diags)
		})
	}
}

// dwant is an expected discovery diagnostic: code, file, message part.
type dwant struct {
	code registry.Code
	file string
	msg  string
}

func checkDiscoverDiags(t *testing.T, got diag.List, wants []dwant) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(wants), render(got))
	}
	for i, w := range wants {
		if d := got[i]; d.Code != w.code || d.Pos.File != w.file || !strings.Contains(d.Message, w.msg) {
			t.Errorf("diagnostic %d = %q, want %v at %q containing %q", i, d.Error(), w.code, w.file, w.msg)
		}
	}
}

func TestDiscoverAmbiguousRelated(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"h/contract.yaml": valid, "h/handler_contract.yaml": valid})
	_, diags := Discover([]string{"."}, Options{Dir: dir})
	if len(diags) != 1 {
		t.Fatalf("diagnostics:\n%s", render(diags))
	}
	var related []string
	for _, r := range diags[0].Related {
		related = append(related, r.Pos.File)
	}
	if want := []string{"h/contract.yaml", "h/handler_contract.yaml"}; !slices.Equal(related, want) {
		t.Errorf("related = %q, want %q", related, want)
	}
}

// TestDiscoverOutsideDir checks inputs above Dir, as ../ paths and globs.
func TestDiscoverOutsideDir(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"other/x/contract.yaml": valid, "other/y/c.yaml": valid, "work/": ""})
	got, diags := Discover([]string{"../other", "../other/**/*.yaml"}, Options{Dir: filepath.Join(dir, "work")})
	want := []string{"../other/x/contract.yaml", "../other/y/c.yaml"}
	if !slices.Equal(got, want) || len(diags) != 0 {
		t.Errorf("Discover = %q, %s; want %q", got, render(diags), want)
	}
}

// TestDiscoverDefaultDir checks that Dir "" is the working directory.
func TestDiscoverDefaultDir(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"h/contract.yaml": valid})
	t.Chdir(dir)
	got, diags := Discover([]string{"."}, Options{})
	if !slices.Equal(got, []string{"h/contract.yaml"}) || len(diags) != 0 {
		t.Errorf("Discover = %q, %s", got, render(diags))
	}
}

// faultFS is the real file system with errors injected by base name, and
// a count of the bytes read through it.
type faultFS struct {
	osFS
	stat, readDir, open, eval, read map[string]error
	// size, when set, makes Stat report this size for every regular file.
	size int64
	// endless makes files read as an endless stream of spaces.
	endless bool
	bytes   atomic.Int64
}

func (f *faultFS) fault(m map[string]error, name string) error { return m[filepath.Base(name)] }

func (f *faultFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.fault(f.stat, name); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	fi, err := f.osFS.Stat(name)
	if err == nil && f.size > 0 && fi.Mode().IsRegular() {
		fi = sizedInfo{fi, f.size}
	}
	return fi, err
}

func (f *faultFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.fault(f.readDir, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f.osFS.ReadDir(name)
}

func (f *faultFS) Open(name string) (io.ReadCloser, error) {
	if err := f.fault(f.open, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if f.endless {
		return io.NopCloser(&countingReader{spaces{}, &f.bytes, nil}), nil
	}
	r, err := f.osFS.Open(name)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{&countingReader{r, &f.bytes, f.fault(f.read, name)}, r}, nil
}

func (f *faultFS) EvalSymlinks(name string) (string, error) {
	if err := f.fault(f.eval, name); err != nil {
		return "", &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return f.osFS.EvalSymlinks(name)
}

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// countingReader counts the bytes read and fails with err at EOF.
type countingReader struct {
	r   io.Reader
	n   *atomic.Int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	if err == io.EOF && c.err != nil {
		err = c.err
	}
	return n, err
}

func TestDiscoverFaults(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{
		"ok/contract.yaml":           valid,
		"locked/contract.yaml":       valid,
		"g/locked/x.yaml":            valid,
		"g/ok/x.yaml":                valid,
		"stat/contract.yaml":         valid,
		"link/contract.yaml":         "@../ok/contract.yaml",
		"eval/handler_contract.yaml": valid,
	})
	fsys := &faultFS{
		readDir: map[string]error{"locked": syscall.EACCES},
		stat:    map[string]error{"stat": syscall.EIO},
		// A walk resolves its root once and resolves a file only when its
		// root could not be: both failures end in the file's diagnostic.
		eval: map[string]error{"eval": syscall.ELOOP, "handler_contract.yaml": syscall.ELOOP},
	}
	cases := []struct {
		name   string
		inputs []string
		want   []string
		diags  []dwant
	}{
		{"unreadable directory is skipped, others walked", []string{"ok", "locked"}, []string{"ok/contract.yaml"},
			[]dwant{{registry.PermissionDenied, "locked", "cannot read directory: permission denied"}}},
		{"unreadable directory in a glob", []string{"g/**/*.yaml"}, []string{"g/ok/x.yaml"},
			[]dwant{{registry.PermissionDenied, "g/locked", "permission denied"}}},
		{"stat error", []string{"stat"}, nil,
			[]dwant{{registry.FileStatError, "stat", "cannot stat: input/output error"}}},
		{"stat error of glob base", []string{"stat/*.yaml"}, nil,
			[]dwant{{registry.FileStatError, "stat", "cannot stat: input/output error"}}},
		{"resolve error", []string{"eval/handler_contract.yaml"}, nil,
			[]dwant{{registry.FileStatError, "eval/handler_contract.yaml", "cannot resolve symbolic links"}}},
		{"resolve error of a walked root", []string{"eval"}, nil,
			[]dwant{{registry.FileStatError, "eval/handler_contract.yaml", "cannot resolve symbolic links"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := Discover(tc.inputs, Options{Dir: dir, fsys: fsys})
			if !slices.Equal(got, tc.want) {
				t.Errorf("Discover = %q, want %q", got, tc.want)
			}
			checkDiscoverDiags(t, diags, tc.diags)
			for _, d := range diags {
				if strings.Contains(d.Message, dir) {
					t.Errorf("message holds an absolute path: %s", d.Message)
				}
			}
		})
	}

	t.Run("stat error of linked file in a walk", func(t *testing.T) {
		fsys := &faultFS{stat: map[string]error{"contract.yaml": syscall.EACCES}}
		got, diags := Discover([]string{"link"}, Options{Dir: dir, fsys: fsys})
		if len(got) != 0 {
			t.Errorf("Discover = %q", got)
		}
		checkDiscoverDiags(t, diags, []dwant{{registry.FileStatError, "link/contract.yaml", "permission denied"}})
	})
}

func TestErrText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/abs/x", Err: syscall.EACCES}, "permission denied"},
		{&os.LinkError{Op: "symlink", Old: "/a", New: "/b", Err: syscall.EEXIST}, "file exists"},
		{errors.New("plain"), "plain"},
	} {
		if got := errText(tc.err); got != tc.want {
			t.Errorf("errText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

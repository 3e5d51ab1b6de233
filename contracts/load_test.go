package contracts

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

func contractFor(name string) string {
	return fmt.Sprintf("handler_name: %s\nhandler_class: example.com/h.%s\nhandler_type: effect\n", name, strings.ToUpper(name[:1])+name[1:])
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{
		"bad/contract.yaml":    "handler_name: 1\nhandler_class: a/b.C\nhandler_type: effect\n",
		"broken/contract.yaml": "a: [\n",
		"warn/contract.yaml":   contractFor("warn") + "tags: [1]\n",
		"empty/contract.yaml":  "",
	}
	var want []string
	for i := range 40 {
		name := fmt.Sprintf("h%02d", i)
		tree[name+"/contract.yaml"] = contractFor(name)
		want = append(want, name)
	}
	want = append(want, "warn")
	makeTree(t, dir, tree)

	var first diag.List
	for _, procs := range []int{1, 4, runtime.NumCPU()} {
		prev := runtime.GOMAXPROCS(procs)
		cs, diags := Load([]string{"."}, Options{Dir: dir})
		runtime.GOMAXPROCS(prev)

		var names []string
		for i, c := range cs {
			names = append(names, c.Name)
			if i > 0 && cs[i-1].Path >= c.Path {
				t.Errorf("contracts not sorted: %s before %s", cs[i-1].Path, c.Path)
			}
			if c.Path != c.Name+"/contract.yaml" {
				t.Errorf("contract %s has path %s", c.Name, c.Path)
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("GOMAXPROCS=%d: names = %q, want %q", procs, names, want)
		}
		checkDiscoverDiags(t, diags, []dwant{
			{registry.SchemaValidationFailed, "bad/contract.yaml", "handler_name must be a string, got int"},
			{registry.InvalidYAMLSyntax, "broken/contract.yaml", "invalid YAML syntax"},
			{registry.SchemaValidationFailed, "empty/contract.yaml", "contract file is empty"},
			{registry.SchemaValidationFailed, "warn/contract.yaml", "tags item 1 is int"},
		})
		if first == nil {
			first = diags
		} else if !slices.EqualFunc(first, diags, func(a, b diag.Diagnostic) bool { return a.Error() == b.Error() }) {
			t.Errorf("diagnostics differ between runs:\n%s\n%s", render(first), render(diags))
		}
	}
}

func TestLoadDiscoveryErrors(t *testing.T) {
	cs, diags := Load(nil, Options{Dir: t.TempDir()})
	if len(cs) != 0 {
		t.Errorf("contracts: %v", cs)
	}
	checkDiscoverDiags(t, diags, []dwant{{registry.EmptyPatternsList, "", "patterns list cannot be empty"}})
}

func TestLoadSizeLimit(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"big/contract.yaml": valid + strings.Repeat("#", 100) + "\n", "small/contract.yaml": valid})
	cs, diags := Load([]string{"."}, Options{Dir: dir, MaxSize: int64(len(valid))})
	if len(cs) != 1 || cs[0].Path != "small/contract.yaml" {
		t.Errorf("contracts: %v", cs)
	}
	checkDiscoverDiags(t, diags, []dwant{{registry.FileSizeExceeded, "big/contract.yaml",
		fmt.Sprintf("contract file exceeds size limit: %d bytes (max: %d bytes)", len(valid)+101, len(valid))}})

	// At the limit exactly is fine.
	cs, diags = Load([]string{"small"}, Options{Dir: dir, MaxSize: int64(len(valid))})
	if len(cs) != 1 || len(diags) != 0 {
		t.Errorf("at the limit: %v\n%s", cs, render(diags))
	}
	// The largest limits do not overflow the byte read past them: the
	// file is read, not taken for empty.
	for _, max := range []int64{MaxMaxSize, MaxMaxSize + 1, math.MaxInt64} {
		cs, diags = Load([]string{"small"}, Options{Dir: dir, MaxSize: max})
		if len(cs) != 1 || len(diags) != 0 {
			t.Errorf("MaxSize %d: %v\n%s", max, cs, render(diags))
		}
	}
}

// TestLoadReadsAtMostMaxPlusOne checks a file that is larger than its stat
// says (it grows, or is a stream): reading stops one byte past the limit.
func TestLoadReadsAtMostMaxPlusOne(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"h/contract.yaml": valid})
	const max = 1000
	fsys := &faultFS{size: 10, endless: true}
	cs, diags := Load([]string{"h"}, Options{Dir: dir, MaxSize: max, fsys: fsys})
	if len(cs) != 0 {
		t.Errorf("contracts: %v", cs)
	}
	checkDiscoverDiags(t, diags, []dwant{{registry.FileSizeExceeded, "h/contract.yaml", "more than 1000 bytes (max: 1000 bytes)"}})
	if n := fsys.bytes.Load(); n > max+1 {
		t.Errorf("read %d bytes, want at most %d", n, max+1)
	}
}

func TestLoadFaults(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{
		"ok/contract.yaml":       valid,
		"open/open.yaml":         valid,
		"read/read.yaml":         valid,
		"stat/stat.yaml":         valid,
		"locked/x/contract.yaml": valid,
	})
	fsys := &faultFS{
		open:    map[string]error{"open.yaml": syscall.EACCES},
		read:    map[string]error{"read.yaml": syscall.EIO},
		readDir: map[string]error{"locked": syscall.EACCES},
	}
	cs, diags := Load([]string{"ok", "open/open.yaml", "read/read.yaml", "locked"}, Options{Dir: dir, fsys: fsys})
	if len(cs) != 1 || cs[0].Path != "ok/contract.yaml" {
		t.Errorf("contracts: %v", cs)
	}
	checkDiscoverDiags(t, diags, []dwant{
		{registry.PermissionDenied, "locked", "cannot read directory: permission denied"},
		{registry.FileReadError, "open/open.yaml", "cannot read: permission denied"},
		{registry.FileReadError, "read/read.yaml", "cannot read: input/output error"},
	})
}

// TestReadFile covers what can change between discovery and reading.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"f.yaml": valid, "d/": ""})
	for _, tc := range []struct {
		name string
		fsys fileSystem
		file string
		want dwant
	}{
		{"vanished", osFS{}, "gone.yaml", dwant{registry.FileNotFound, "gone.yaml", "no such file"}},
		{"stat fails", &faultFS{stat: map[string]error{"f.yaml": syscall.EIO}}, "f.yaml", dwant{registry.FileStatError, "f.yaml", "cannot stat: input/output error"}},
		{"now a directory", osFS{}, "d", dwant{registry.NotAFile, "d", "not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, diags := readFile(tc.fsys, file{rel: tc.file, abs: dir + "/" + tc.file}, DefaultMaxSize)
			if data != nil {
				t.Errorf("data = %q", data)
			}
			checkDiscoverDiags(t, diags, []dwant{tc.want})
		})
	}
}

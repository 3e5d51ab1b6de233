package gen

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCover(t *testing.T) {
	have := []string{"m", "m/a", "m/a/x", "m/a/y", "m/b", "m/b/x", "m/c"}
	for _, tc := range []struct {
		wanted, want []string
	}{
		{[]string{"m/a", "m/a/x", "m/a/y"}, []string{"m/a/..."}},
		{[]string{"m/a/x", "m/a/y"}, []string{"m/a/x", "m/a/y"}},
		{[]string{"m/b/x"}, []string{"m/b/x"}},
		{[]string{"m/b"}, []string{"m/b"}}, // m/b/x exists and is not wanted
		{have, []string{"m/..."}},
		{[]string{"m", "m/c"}, []string{"m", "m/c"}},
	} {
		if got := cover("m", tc.wanted, have); !slices.Equal(got, tc.want) {
			t.Errorf("cover(%q) = %q, want %q", tc.wanted, got, tc.want)
		}
	}
}

func TestCompactPatterns(t *testing.T) {
	t.Setenv("GOWORK", "off")
	dir := t.TempDir()
	files := map[string]string{"go.mod": "module example.com/big\n", "other/o.go": "package other\n", "handlers/testdata/t.go": "package t\n"}
	var paths []string
	for i := range 600 {
		p := fmt.Sprintf("handlers/h%04d", i)
		files[p+"/h.go"] = "package h\n"
		paths = append(paths, "example.com/big/"+p)
	}
	writeFiles(t, dir, files)
	paths = append(paths, "net/http")
	slices.Sort(paths)

	got := compactPatterns(dir, paths)
	if want := []string{"example.com/big/handlers/...", "net/http"}; !slices.Equal(got, want) {
		t.Errorf("compactPatterns = %q, want %q", got, want)
	}
	// Short lists are left alone: one go list run takes them as they are.
	if got := compactPatterns(dir, paths[:10]); !slices.Equal(got, paths[:10]) {
		t.Errorf("short list changed: %q", got)
	}
	// A package that is not wanted keeps its siblings spelled out.
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, "h0007") })
	got = compactPatterns(dir, paths)
	if slices.Contains(got, "example.com/big/handlers/...") || !slices.Contains(got, "example.com/big/handlers/h0008") {
		t.Errorf("compactPatterns with a gap = %q", got[:5])
	}
}

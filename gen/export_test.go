package gen

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// What runs did that their output does not show, counted through the
// testEvent seam.
var (
	cacheStats   struct{ hits, misses atomic.Int64 }
	prefetchUses atomic.Int64
)

func init() {
	testEvent = func(what string) {
		switch what {
		case "cache hit":
			cacheStats.hits.Add(1)
		case "cache miss":
			cacheStats.misses.Add(1)
		case "prefetch used":
			prefetchUses.Add(1)
		default:
			panic("gen: unknown test event " + what)
		}
	}
}

// CopyCase copies testdata/cases/name to dst, less want/: the expected
// output is no input of the run.
func CopyCase(t *testing.T, name, dst string) string {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", "cases", name))); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dst, "want")); err != nil {
		t.Fatal(err)
	}
	return dst
}

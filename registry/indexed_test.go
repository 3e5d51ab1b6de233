package registry_test

import (
	"fmt"
	"testing"

	"github.com/handlergen/handlergen/internal/phash"
	"github.com/handlergen/handlergen/registry"
)

// TestNewIndexed checks the generated-code path against New: the same
// entries are found with and without a table, names outside are not, and
// a table of the wrong shape falls back to binary search.
func TestNewIndexed(t *testing.T) {
	for _, n := range []int{0, 1, 7, 300} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("h.%03d", i)
		}
		tab, err := phash.Build(names)
		if err != nil {
			t.Fatal(err)
		}
		entries := stubEntries(names...)
		regs := map[string]*registry.Registry[registry.Handler]{
			"indexed":  registry.NewIndexed(entries, registry.Index{Seed: tab.Seed, Pilots: tab.Pilots, Slots: tab.Slots}),
			"fallback": registry.NewIndexed(entries, registry.Index{}),
			"new":      registry.New(entries),
		}
		for kind, r := range regs {
			if r.Len() != n {
				t.Errorf("%s n=%d: Len = %d", kind, n, r.Len())
			}
			for _, name := range names {
				if e, ok := r.Lookup(name); !ok || e.Name != name {
					t.Errorf("%s n=%d: Lookup(%q) = %q, %v", kind, n, name, e.Name, ok)
				}
			}
			for _, name := range []string{"", "h.", "h.1000", "x"} {
				if _, ok := r.Lookup(name); ok {
					t.Errorf("%s n=%d: Lookup(%q) found", kind, n, name)
				}
			}
		}
	}
}

func TestNewIndexedDoesNotAllocateMuch(t *testing.T) {
	names := []string{"a", "b", "c"}
	tab, _ := phash.Build(names)
	in, ix := stubEntries(names...), registry.Index{Seed: tab.Seed, Pilots: tab.Pilots, Slots: tab.Slots}
	if n := testing.AllocsPerRun(100, func() { _ = registry.NewIndexed(in, ix) }); n > 1 {
		t.Errorf("NewIndexed allocates %v times, want at most 1 (the Registry)", n)
	}
}

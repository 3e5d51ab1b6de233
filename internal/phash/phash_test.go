package phash

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func names(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func TestBuild(t *testing.T) {
	sets := map[string][]string{
		"empty":        nil,
		"one":          {"x"},
		"empty-string": {"", "a", "ab", "abc", "abcd"},
		"short":        names(50, "%d"),
		"medium":       names(1000, "handler.%04d"),
		"long":         names(300, "github.com/acme/app/handlers/some/deeply/nested/path/h%d.Handler"),
	}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			tab, err := Build(set)
			if err != nil {
				t.Fatal(err)
			}
			if !tab.Valid() {
				t.Fatalf("invalid shape: %d pilots, %d slots", len(tab.Pilots), len(tab.Slots))
			}
			for i, s := range set {
				if got := tab.Find(s); got != uint32(i) {
					t.Errorf("Find(%q) = %d, want %d", s, got, i)
				}
			}
			// Names outside the set land on some slot whose name differs.
			for _, s := range []string{"nope", "handler.10000", "", "x "} {
				if i := tab.Find(s); int(i) < len(set) && set[i] == s && !slices.Contains(set, s) {
					t.Errorf("Find(%q) matched", s)
				}
			}
			again, _ := Build(set)
			if again.Seed != tab.Seed || !slices.Equal(again.Pilots, tab.Pilots) || !slices.Equal(again.Slots, tab.Slots) {
				t.Error("Build is not deterministic")
			}
		})
	}
}

func TestBuildDuplicate(t *testing.T) {
	if _, err := Build([]string{"a", "b", "a"}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v, want ErrDuplicate", err)
	}
}

func TestHashLengths(t *testing.T) {
	// Every length up to 40 reads only its own bytes and changes with each.
	base := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
	seen := map[uint64]string{}
	for n := 0; n <= 40; n++ {
		s := base[:n]
		h := Hash(1, s)
		if prev, dup := seen[h]; dup {
			t.Fatalf("Hash(%q) == Hash(%q)", s, prev)
		}
		seen[h] = s
		for i := range n {
			b := []byte(s)
			b[i] ^= 1
			if Hash(1, string(b)) == h {
				t.Errorf("flipping byte %d of %q does not change the hash", i, s)
			}
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		set := names(n, "handler.%05d")
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(set); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

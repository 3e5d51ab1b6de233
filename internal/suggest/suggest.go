// Package suggest finds the known names closest to a misspelt one, for the
// "did you mean" hints of contract keys, Go type names and, at run time,
// handler names. It is the one edit-distance implementation in the module
// and depends only on the standard library, so the registry runtime can
// use it too.
package suggest

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxLen bounds the work a name can cause: a longer name, which cannot be
// a typo of a real one, gets no suggestions. Unknown names can come from
// untrusted input at run time.
const MaxLen = 256

// Closest returns up to n candidates near name, nearest first, ties by
// name. Comparison ignores case. A candidate is near when its edit distance
// is at most max(2, len(name)/3) runes, or when name (of two runes or
// more) and the candidate contain one another.
func Closest(name string, candidates []string, n int) []string {
	if name == "" || len(name) > MaxLen || n <= 0 {
		return nil
	}
	want := []rune(strings.ToLower(name))
	lname := string(want)
	limit := max(2, len(want)/3)
	type scored struct {
		s string
		d int
	}
	var found []scored
	var row []int
	for _, c := range candidates {
		if c == name || len(c) > 4*MaxLen {
			continue
		}
		lc := strings.ToLower(c)
		related := len(want) >= 2 && lc != "" && (strings.Contains(lc, lname) || strings.Contains(lname, lc))
		if !related && abs(utf8.RuneCountInString(lc)-len(want)) > limit {
			continue // the distance is at least the difference in length
		}
		var d int
		d, row = distance(want, []rune(lc), row)
		if d <= limit || related {
			found = append(found, scored{c, d})
		}
	}
	slices.SortFunc(found, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.s, b.s)) })
	var out []string
	for i := 0; i < len(found) && i < n; i++ {
		out = append(out, found[i].s)
	}
	return out
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	d, _ := distance([]rune(a), []rune(b), nil)
	return d
}

// distance reuses row (returned, possibly grown) as scratch space.
func distance(a, b []rune, row []int) (int, []int) {
	row = slices.Grow(row[:0], len(b)+1)[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)], row
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Package suggest finds the known names closest to a misspelt one, for the
// "did you mean" hints of contract keys, Go type names and handler names.
package suggest

import (
	"cmp"
	"slices"
	"strings"
)

// Closest returns up to n candidates near name, nearest first (ties by
// name). A candidate is near when its edit distance is at most a quarter of
// name's length (at least 2), or when one contains the other ignoring case.
func Closest(name string, candidates []string, n int) []string {
	type scored struct {
		s string
		d int
	}
	limit := max(2, len(name)/4)
	lname := strings.ToLower(name)
	var found []scored
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := Distance(lname, strings.ToLower(c))
		lc := strings.ToLower(c)
		if d <= limit || (len(lname) >= 3 && (strings.Contains(lc, lname) || strings.Contains(lname, lc))) {
			found = append(found, scored{c, d})
		}
	}
	slices.SortFunc(found, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.s, b.s)) })
	out := make([]string, 0, min(n, len(found)))
	for i := 0; i < len(found) && i < n; i++ {
		out = append(out, found[i].s)
	}
	return out
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

package registry

import (
	"slices"
	"strings"
)

const (
	maxSuggestions = 3
	// maxSuggestLen bounds the work an unknown name can cause: a longer name
	// (which cannot be a typo of a handler name) gets no suggestions.
	maxSuggestLen = 256
)

// suggest returns up to maxSuggestions of the sorted names closest to name:
// those within a Levenshtein distance of max(2, len(name)/3), compared
// case-insensitively, and those sharing a case-insensitive prefix or
// substring with name. They are ordered by distance, then by name. This runs
// only on the error path, so it favours clear results over speed.
func suggest[H any](entries []Entry[H], name string) []string {
	if name == "" || len(name) > maxSuggestLen || len(entries) == 0 {
		return nil
	}
	want := []rune(strings.ToLower(name))
	limit := max(2, len(want)/3)
	lowWant := string(want)
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	var row []int
	for i := range entries {
		known := entries[i].Name
		if len(known) > 4*maxSuggestLen {
			continue
		}
		low := strings.ToLower(known)
		related := strings.Contains(low, lowWant) || (low != "" && strings.Contains(lowWant, low))
		have := []rune(low)
		if !related && abs(len(have)-len(want)) > limit {
			continue // the distance is at least the difference in length
		}
		var d int
		d, row = levenshtein(want, have, row)
		if d <= limit || related {
			cands = append(cands, cand{known, d})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, min(len(cands), maxSuggestions))
	for _, c := range cands[:min(len(cands), maxSuggestions)] {
		out = append(out, c.name)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// levenshtein returns the edit distance between a and b, reusing row (which
// it returns, possibly grown) as scratch space.
func levenshtein(a, b []rune, row []int) (int, []int) {
	row = slices.Grow(row[:0], len(b)+1)[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0] // distance(a[:i-1], b[:j-1])
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

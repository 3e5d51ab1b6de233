package registry

import (
	"strings"
	"testing"
)

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "", 1},
		{"", "abc", 3},
		{"auth", "auth", 0},
		{"atuh", "auth", 2},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"héllo", "hello", 1},
		{"日本語", "日本", 1},
	}
	var row []int
	for _, tt := range tests {
		var d int
		d, row = levenshtein([]rune(tt.a), []rune(tt.b), row)
		if d != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.want)
		}
		if d2, _ := levenshtein([]rune(tt.b), []rune(tt.a), nil); d2 != d {
			t.Errorf("levenshtein not symmetric for %q, %q", tt.a, tt.b)
		}
	}
}

func TestSuggestBounds(t *testing.T) {
	es := []Entry[int]{{Name: ""}, {Name: "auth"}, {Name: strings.Repeat("x", 5000)}}
	if got := suggest(es, "aut"); len(got) != 1 || got[0] != "auth" {
		t.Errorf("suggest = %q", got)
	}
	if got := suggest(es, strings.Repeat("a", maxSuggestLen+1)); got != nil {
		t.Errorf("suggest(long) = %q", got)
	}
	if got := suggest[int](nil, "auth"); got != nil {
		t.Errorf("suggest(no entries) = %q", got)
	}
}

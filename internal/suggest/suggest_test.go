package suggest

import (
	"slices"
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"auth", "atuh", 2}, {"same", "same", 0},
		{"café", "cafe", 1}, {"日本", "日本語", 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"handler_name", "handler_class", "handler_type", "capability_tags", "protocol_type"}
	for _, tc := range []struct {
		name string
		n    int
		want []string
	}{
		{"handler_nme", 1, []string{"handler_name"}},
		{"handler_typ", 1, []string{"handler_type"}},
		{"zzz", 3, nil},
		{"HANDLER_CLASS", 1, []string{"handler_class"}},
		{"tags", 3, []string{"capability_tags"}},
		{"", 3, nil},
		{strings.Repeat("x", MaxLen+1), 3, nil},
		{"handler_name", 3, []string{"handler_type", "handler_class"}},
		{"handler_nme", 0, nil},
	} {
		if got := Closest(tc.name, keys, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("Closest(%q, %d) = %q, want %q", tc.name, tc.n, got, tc.want)
		}
	}
}

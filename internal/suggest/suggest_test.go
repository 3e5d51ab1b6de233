package suggest

import (
	"slices"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"auth", "atuh", 2}, {"same", "same", 0},
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
		max  int
		want []string
	}{
		{"handler_nme", 3, []string{"handler_name"}},
		{"handler_typ", 1, []string{"handler_type"}},
		{"zzz", 3, []string{}},
		{"HANDLER_CLASS", 3, []string{"handler_class"}},
		{"tags", 3, []string{"capability_tags"}},
	} {
		if got := Closest(tc.name, keys, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

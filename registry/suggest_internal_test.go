package registry

import (
	"strings"
	"testing"

	internalsuggest "github.com/handlergen/handlergen/internal/suggest"
)

func TestSuggestBounds(t *testing.T) {
	es := []Entry[int]{{Name: ""}, {Name: "auth"}, {Name: strings.Repeat("x", 5000)}}
	if got := nearest(es, "aut"); len(got) != 1 || got[0] != "auth" {
		t.Errorf("nearest = %q", got)
	}
	if got := nearest(es, strings.Repeat("a", internalsuggest.MaxLen+1)); got != nil {
		t.Errorf("nearest(long) = %q", got)
	}
	if got := nearest[int](nil, "auth"); got != nil {
		t.Errorf("nearest(no entries) = %q", got)
	}
}

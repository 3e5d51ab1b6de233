package contracts

import (
	"fmt"
	"strings"
	"testing"
)

// TestLocateCostBounded gives the position search the inputs that make it
// work hardest — a fault far from yaml.v3's line, thousands of mentions of
// an unknown alias, candidates that all have to be tried, one long line —
// and holds what it hands the decoder to locateBudget, counted by the
// decoder. Each case also says how much a search that finds the answer
// should take, so a search grown costlier fails here before it reaches
// the budget. Where the budget allows, the answer is exact; where it runs
// out, the answer is yaml.v3's line and no column, never a wrong position.
func TestLocateCostBounded(t *testing.T) {
	lines := func(n int, f string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, f, i)
		}
		return b.String()
	}
	const many = 5000
	for _, tc := range []struct {
		name      string
		src       string
		hint      int // yaml.v3's line, as Parse would pass it
		line, col int
		within    int // the most it may decode, in multiples of the file; 0: the budget runs out
	}{
		{"fault on the last line, hinted", lines(many, "a%d: b\n") + `x: "\q"` + "\n", many + 1, many + 1, 5, 10},
		{"fault on the last line, hint 1", lines(many, "a%d: b\n") + `x: "\q"` + "\n", 1, many + 1, 5, 40},
		{"fault on the first line of many", `x: "\q"` + "\n" + lines(many, "a%d: b\n"), 1, 1, 5, 1},
		{"alias mentioned on every line", lines(many, "# *x %d\n") + "---\na: *x\n", 1, many + 2, 4, 4},
		// The renaming trick is defeated (the alias renamed x-5000 is
		// defined), so the candidate lines are decoded in turn, a longer
		// prefix each time: the budget runs out, and yaml.v3's line stands.
		{"every candidate tried", "a: &x-5000 1\n" + lines(many, "# *x %d\n") + "b: *x\n", 1, 1, 0, 0},
		{"fault at the end of a long line", "a: [" + strings.Repeat("b, ", 1<<17) + "\n", 1, 1, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := decodeError([]byte(tc.src))
			if msg == "" {
				t.Fatal("the source decodes")
			}
			decoded := 0
			s := search{data: []byte(tc.src), msg: msg, budget: locateBudget(len(tc.src)), decode: func(b []byte) string {
				decoded += len(b)
				return decodeError(b)
			}}
			line, col := s.locate(tc.hint)
			if line != tc.line || col != tc.col {
				t.Errorf("%s: got %d:%d, want %d:%d", msg, line, col, tc.line, tc.col)
			}
			if decoded > s.budget {
				t.Errorf("decoded %d bytes of a %d-byte file, over the budget of %d", decoded, len(tc.src), s.budget)
			}
			switch {
			case tc.within == 0 && !s.over:
				t.Errorf("the search did not run out of budget (decoded %d bytes)", decoded)
			case tc.within > 0 && (s.over || decoded > tc.within*len(tc.src)):
				t.Errorf("decoded %d bytes, %.1f× the file, where %d× should do", decoded, float64(decoded)/float64(len(tc.src)), tc.within)
			}
			t.Logf("decoded %.1f× the file (%d bytes)", float64(decoded)/float64(len(tc.src)), len(tc.src))
		})
	}
}

// BenchmarkLocateWorst is the most a syntax error's position costs: a
// contract at the size limit whose search exhausts the budget.
func BenchmarkLocateWorst(b *testing.B) {
	src := []byte("# *x-0\n" + strings.Repeat("# *x\n", (DefaultMaxSize-16)/5) + "a: *x\n")
	msg := decodeError(src)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		locate(src, msg, 1)
	}
}

package gen

import "sync/atomic"

// What runs did that their output does not show, counted through the
// testEvent seam.
var (
	cacheStats   struct{ hits, misses atomic.Int64 }
	prefetchUses atomic.Int64
)

func init() {
	testEvent = func(what string) {
		switch what {
		case "cache hit":
			cacheStats.hits.Add(1)
		case "cache miss":
			cacheStats.misses.Add(1)
		case "prefetch used":
			prefetchUses.Add(1)
		default:
			panic("gen: unknown test event " + what)
		}
	}
}

//go:build race

package gen

// raceEnabled: single-goroutine property tests run a sample under the race
// detector, which has nothing to find in them and slows them tenfold; make
// test runs them whole without it.
const raceEnabled = true

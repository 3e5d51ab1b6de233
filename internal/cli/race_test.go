//go:build race

package cli_test

// raceEnabled: under the race detector every handlergen a test runs is
// race-built and several times slower. TestStaleness runs a sample of its
// mutations then; make test runs it whole without -race.
const raceEnabled = true

//go:build race

package isolate_test

// raceEnabled: the race detector's shadow-memory updates of a large copy
// stall the whole process, so time bounds on 100 MB payloads are checked
// in the run without it (make test runs both).
const raceEnabled = true

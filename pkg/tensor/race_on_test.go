//go:build race

package tensor

// raceEnabled tells allocation-counting tests that the race detector adds
// allocations of its own.
const raceEnabled = true

//go:build race

package local

// The crash test runs fewer kills under the race detector: the child is one goroutine, so
// the detector adds cost and no coverage there.
const crashKills = 6

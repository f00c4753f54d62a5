package loadtest_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/debugvars"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/stretchr/testify/assert"
)

func samples(goroutines []int, heapMiB []int) []debugvars.Sample {
	out := make([]debugvars.Sample, len(goroutines))
	for i := range goroutines {
		out[i] = debugvars.Sample{Goroutines: goroutines[i], HeapAlloc: uint64(heapMiB[i]) << 20}
	}
	return out
}

func TestGrowthRule(t *testing.T) {
	idle := debugvars.Sample{Goroutines: 40}
	steady := samples([]int{90, 120, 118, 125, 119, 122, 121, 124, 120}, []int{20, 30, 45, 28, 33, 41, 30, 36, 29})
	assert.Empty(t, loadtest.Growth(steady, idle, debugvars.Sample{Goroutines: 45}), "a steady sawtooth holds")

	leak := samples([]int{90, 100, 150, 200, 250, 300, 350, 400, 450}, []int{20, 30, 30, 31, 30, 32, 30, 31, 30})
	assert.Len(t, loadtest.Growth(leak, idle, idle), 1, "goroutines that keep growing fail")

	bloat := samples([]int{90, 120, 118, 125, 119, 122, 121, 124, 120}, []int{20, 30, 40, 50, 60, 70, 80, 90, 100})
	assert.Len(t, loadtest.Growth(bloat, idle, idle), 1, "a heap that keeps growing fails")

	assert.Len(t, loadtest.Growth(steady, idle, debugvars.Sample{Goroutines: 80}), 1, "goroutines left behind after the load fail")
	assert.Len(t, loadtest.Growth(steady[:3], idle, idle), 1, "too few samples cannot pass")
}

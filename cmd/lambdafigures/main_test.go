package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The size check fails a function under the budget that grows over it and
// one over it (in Over) that grows at all; one that got smaller is a note.
func TestCheckSizesIsARatchet(t *testing.T) {
	grew, notes := CheckSizes(map[string]int64{"meta": SizeBudget, "issues": Over["issues"]})
	assert.Empty(t, grew, "at the budget and at the ceiling")
	assert.Contains(t, notes, "billing is in cmd/lambdafigures.Over but not in the template: remove it")

	grew, _ = CheckSizes(map[string]int64{"meta": SizeBudget + 1, "issues": Over["issues"] + 65536, "users": -1})
	assert.Equal(t, []string{
		"issues: 10223778 bytes, 65536 over its ceiling 10158242 (cmd/lambdafigures.Over)",
		"meta: 10000001 bytes, 1 over the 10 MB budget",
		"users: not built",
	}, grew)

	grew, notes = CheckSizes(map[string]int64{"issues": SizeBudget - 1, "billing": Over["billing"] - 65536})
	assert.Empty(t, grew)
	assert.Contains(t, notes, "issues is within the 10 MB budget now (9999999 bytes): remove it from cmd/lambdafigures.Over")
	assert.Contains(t, notes, fmt.Sprintf("billing is %d bytes, under its ceiling %d: lower its entry in cmd/lambdafigures.Over",
		Over["billing"]-65536, Over["billing"]))
}

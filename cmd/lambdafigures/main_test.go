package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The size check fails a function without a ceiling that grows over the
// budget, and one with a ceiling (over the budget or under it) that grows
// past it at all; one that got smaller is a note.
func TestCheckSizesIsARatchet(t *testing.T) {
	for fn, c := range Ceilings {
		assert.LessOrEqual(t, c, int64(SizeBudget), "%s's ceiling is its size, under the budget", fn)
	}

	grew, notes := CheckSizes(map[string]int64{"meta": SizeBudget, "issues": Ceilings["issues"]})
	assert.Empty(t, grew, "at the budget and at the ceiling")
	assert.Contains(t, notes, "billing is in cmd/lambdafigures.Ceilings but not in the template: remove it")

	grew, _ = CheckSizes(map[string]int64{"meta": SizeBudget + 1, "issues": Ceilings["issues"] + 65536,
		"billing": Ceilings["billing"] + 65536, "users": -1})
	assert.Equal(t, []string{
		fmt.Sprintf("billing: %d bytes, 65536 over its ceiling %d (cmd/lambdafigures.Ceilings)", Ceilings["billing"]+65536, Ceilings["billing"]),
		fmt.Sprintf("issues: %d bytes, 65536 over its ceiling %d (cmd/lambdafigures.Ceilings)", Ceilings["issues"]+65536, Ceilings["issues"]),
		"meta: 10000001 bytes, 1 over the 10 MB budget",
		"users: not built",
	}, grew, "billing may not grow back, though it would still be under the budget")

	grew, notes = CheckSizes(map[string]int64{"issues": Ceilings["issues"] - 1, "billing": Ceilings["billing"] - 65536})
	assert.Empty(t, grew)
	assert.Contains(t, notes, fmt.Sprintf("issues is %d bytes, under its ceiling %d: lower its entry in cmd/lambdafigures.Ceilings", Ceilings["issues"]-1, Ceilings["issues"]))
	assert.Contains(t, notes, fmt.Sprintf("billing is %d bytes, under its ceiling %d: lower its entry in cmd/lambdafigures.Ceilings",
		Ceilings["billing"]-65536, Ceilings["billing"]))
}

package main

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// The room before the next step: the lead's issues function's read-only
// segment ended at 0x90f860 (readelf -lW), 1,952 bytes under 0x910000.
// On a deployed build (linux/arm64, the minimal function), each segment
// starts at the previous one's end rounded up to the step, and the file
// ends at the last one's rounded up, then the section-name table: a
// segment that grows past its room moves the file's end a step.
func TestStepRoomIsTheDistanceToTheNextStep(t *testing.T) {
	assert.Equal(t, int64(1952), roomToStep(0x430000+0x4df860))
	assert.Equal(t, int64(0), roomToStep(0x910000))
	assert.Equal(t, int64(Step-1), roomToStep(0x910001))

	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	bins, err := buildDeployed(root, t.TempDir(), []string{minimal})
	require.NoError(t, err)
	f, err := elf.Open(bins[minimal])
	require.NoError(t, err)
	defer f.Close()
	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	require.Len(t, loads, 3, "text, read-only data, data")
	least := int64(Step)
	for i, p := range loads {
		end := p.Off + p.Filesz
		least = min(least, roomToStep(end))
		next := uint64(fileSize(bins[minimal])) - f.Section(".shstrtab").Size
		if i+1 < len(loads) {
			next = loads[i+1].Off
		}
		assert.Equal(t, end+uint64(roomToStep(end)), next, "segment %d", i)
	}
	room, seg, err := stepRoom(bins[minimal])
	require.NoError(t, err)
	assert.Equal(t, least, room)
	assert.Contains(t, []string{"text", "read-only", "data"}, seg)
}

// Every function whose size was cut keeps it as its ceiling: issues
// (bin27), billing (bin26), and registration and tenants, which bin29 cut
// a 64 KiB step (9,765,026 -> 9,699,490) and which had none until left9:
// registration grew back that step, under the budget, unnoticed.
func TestFunctionsCutUnderTheBudgetMayNotGrowBack(t *testing.T) {
	for _, fn := range []string{"issues", "billing", "registration", "tenants"} {
		c, ok := Ceilings[fn]
		if !assert.True(t, ok, "%s has a ceiling", fn) {
			continue
		}
		grew, _ := CheckSizes(map[string]int64{fn: c + Step})
		assert.Equal(t, []string{fmt.Sprintf("%s: %d bytes, %d over its ceiling %d (cmd/lambdafigures.Ceilings)", fn, c+Step, Step, c)}, grew,
			"%s may not grow a step", fn)
	}
}

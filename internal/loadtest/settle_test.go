package loadtest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCPU is a process that uses busy of a CPU for its first n readings'
// intervals, then nothing; each reading is one interval of every later.
func fakeCPU(busy float64, n int, every time.Duration) func() Reading {
	var reads atomic.Int32
	var spent time.Duration
	return func() Reading {
		if int(reads.Add(1)) <= n+1 && reads.Load() > 1 {
			spent += time.Duration(busy * float64(every))
		}
		return Reading{"dynamodb": {CPU: spent}}
	}
}

func TestSettleWaitsForTheProcessesToGoQuiet(t *testing.T) {
	every := 20 * time.Millisecond
	var out strings.Builder
	took, ok := settle(context.Background(), &out, fakeCPU(5, 3, every), 0.1, every, 5*time.Second)
	assert.True(t, ok)
	// three busy intervals, then two quiet ones in a row
	assert.GreaterOrEqual(t, took, 5*every)
	assert.Less(t, took, 2*time.Second)
	assert.Equal(t, 5, strings.Count(out.String(), "settling"), out.String())
	assert.Contains(t, out.String(), "dynamodb 0.")

	took, ok = settle(context.Background(), io.Discard, fakeCPU(5, 1<<30, every), 0.1, every, 10*every)
	assert.False(t, ok, "a process that never goes quiet: the wait ends at its limit")
	assert.GreaterOrEqual(t, took, 10*every)

	took, ok = settle(context.Background(), io.Discard, func() Reading { return Reading{} }, 0.1, every, time.Second)
	assert.False(t, ok)
	assert.Zero(t, took, "nothing metered: no wait")
}

// A metered process counts with its children: a child that spins (as the
// platform's synth worker does) is its parent's CPU, so keeps it from
// settling.
func TestSettleCountsAProcesssChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sh -c 'while :; do :; done' & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: the spinning child goes with it
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	c := &CPU{Procs: []Proc{{"parent", cmd.Process.Pid}, {"self", os.Getpid()}}}
	r := c.readTrees()
	assert.NotContains(t, r, "self", "the load tool is not waited for")
	require.Contains(t, r, "parent")
	deadline := time.Now().Add(30 * time.Second) // however loaded the machine
	for c.readTrees()["parent"].CPU < 100*time.Millisecond && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, c.readTrees()["parent"].CPU, 100*time.Millisecond, "the spinning child's CPU is the parent's")
	own, err := procCPU(cmd.Process.Pid)
	require.NoError(t, err)
	assert.Less(t, own, 50*time.Millisecond, "the parent itself only waits")
}

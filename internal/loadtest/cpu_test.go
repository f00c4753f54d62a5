package loadtest

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCPUReadsAProcesssCPUTimeFromProc(t *testing.T) {
	procs, err := ParseProcs("load=self, platform=1")
	require.NoError(t, err)
	assert.Equal(t, []Proc{{"load", os.Getpid()}, {"platform", 1}}, procs)
	for _, bad := range []string{"load", "x=abc", "x=-3"} {
		_, err := ParseProcs(bad)
		assert.Error(t, err, bad)
	}

	c := &CPU{Procs: []Proc{{"self", os.Getpid()}, {"gone", 1 << 30}}}
	before := c.Read()
	assert.NotContains(t, before, "gone", "a process that cannot be read is left out")
	// Spin until the kernel's own account (getrusage) shows 200 ms more CPU
	// for this process, however loaded the machine.
	rusage := func() time.Duration {
		var ru syscall.Rusage
		require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := rusage()
	for rusage()-start < 200*time.Millisecond {
	}
	spent := rusage() - start
	use := c.Since(before)
	assert.InDelta(t, spent.Seconds(), use.Spent["self"].Seconds(), 0.05, "/proc says what getrusage says, to its 10 ms ticks")
}

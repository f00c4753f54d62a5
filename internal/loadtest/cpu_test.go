package loadtest

import (
	"os"
	"runtime"
	"strings"
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

// Context switches are read from the process's threads: a thread of its
// own that waits 50 times (a sleep on a locked OS thread) adds at least 50
// voluntary switches, and the phase's line says so per answer.
func TestCPUCountsContextSwitches(t *testing.T) {
	c := &CPU{Procs: []Proc{{"self", os.Getpid()}}}
	before := c.Read()
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // its own thread, not main's
		defer runtime.UnlockOSThread()
		for range 50 {
			time.Sleep(time.Millisecond)
		}
		close(done)
	}()
	<-done
	use := c.Since(before)
	assert.GreaterOrEqual(t, use.Switched["self"].Voluntary, int64(50))
	var out strings.Builder
	use.PerAnswer(&out, 10)
	assert.Regexp(t, `context switches per answer \(voluntary/involuntary\): self [0-9.]+/[0-9.]+\n`, out.String())
}

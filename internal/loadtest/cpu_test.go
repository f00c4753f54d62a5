package loadtest

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/testing/eventually"
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

// A thread that ends between two readings took its switches with it: the
// sums of each reading's threads then went down (a negative count per
// answer in the phase's line). Thread by thread, a thread of both
// readings adds what it switched since, a new thread (or a reused id whose
// count went down) all of its count, an ended one nothing.
func TestContextSwitchesNeverGoNegative(t *testing.T) {
	before := map[int]Switches{1: {10, 2}, 2: {500, 40}, 3: {70, 9}}
	now := map[int]Switches{1: {15, 3}, 3: {4, 1}, 4: {6, 0}} // 2 ended; 3 is a new thread with a reused id; 4 is new
	assert.Equal(t, Switches{5 + 4 + 6, 1 + 1 + 0}, switchesSince(before, now))

	// The same with a real thread: it waits 200 times, is read, then ends
	// (a goroutine that returns with its OS thread locked ends the thread;
	// but the main thread is kept, so a goroutine that lands there holds it
	// and another one is started).
	c := &CPU{Procs: []Proc{{"self", os.Getpid()}}}
	hold := make(chan struct{})
	defer close(hold)
	waited, end, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var tid int
	for tid == 0 {
		got := make(chan int)
		go func() {
			runtime.LockOSThread() // never unlocked but on the main thread: the thread ends with the goroutine
			id := syscall.Gettid()
			if id == os.Getpid() {
				got <- 0
				<-hold
				runtime.UnlockOSThread()
				return
			}
			got <- id
			defer close(ended)
			for range 200 {
				time.Sleep(time.Millisecond)
			}
			close(waited)
			<-end
		}()
		tid = <-got
	}
	<-waited
	r0 := c.Read()
	require.GreaterOrEqual(t, r0["self"].Threads[tid].Voluntary, int64(200))
	close(end)
	<-ended
	var left Switches
	require.Eventually(t, func() bool { // the runtime ends the thread soon after
		r := c.Read()
		left = c.Since(r0).Switched["self"]
		_, alive := r["self"].Threads[tid]
		return !alive
	}, eventually.Deadline, 10*time.Millisecond)
	assert.GreaterOrEqual(t, left.Voluntary, int64(0))
	assert.GreaterOrEqual(t, left.Involuntary, int64(0))
}

package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Settle waits until every metered process other than the load tool itself
// has used at most quiet of a CPU (0.1: a tenth of one core) over two
// successive intervals of every, or until limit has passed. A freshly
// started platform keeps working for seconds after the preload with no
// request in flight: the stream consumers read the preload's records and
// write what they derive (analytics, webhooks, notifications), and DynamoDB
// Local's JIT compiles in threads of its own, and the in-process platform
// warms the Platinum tenant templates (a CDK build and synth in child
// processes: node, go) in its first minute. A round that starts while that
// runs measures it, not the request path. Each metered process counts with
// its descendants that are not metered themselves (the platform with its
// synth worker and its services but DynamoDB Local, metered on its own),
// and with its children that ended. The CPU used per second, as seen each
// interval, is written to w; Settle reports how long it waited and whether
// the processes went quiet.
func (c *CPU) Settle(ctx context.Context, w io.Writer, quiet float64, every, limit time.Duration) (time.Duration, bool) {
	return settle(ctx, w, c.readTrees, quiet, every, limit)
}

// readTrees is the CPU of every metered process but this one, each with
// its descendants that are not metered and its children that ended.
func (c *CPU) readTrees() Reading {
	metered := map[int]string{}
	for _, p := range c.Procs {
		if p.PID != os.Getpid() {
			metered[p.PID] = p.Name
		}
	}
	if len(metered) == 0 {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	spent := map[int]time.Duration{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, d, err := procTreeStat(pid)
		if err != nil {
			continue
		}
		parent[pid], spent[pid] = ppid, d
	}
	r := Reading{}
	for pid, d := range spent {
		p := pid
		for range 64 {
			if name, ok := metered[p]; ok {
				s := r[name]
				s.CPU += d
				r[name] = s
				break
			}
			pp, ok := parent[p]
			if !ok || pp <= 1 {
				break
			}
			p = pp
		}
	}
	return r
}

// procTreeStat is pid's parent and its user + system time with that of its
// children that ended (fields 14-17 of /proc/<pid>/stat).
func procTreeStat(pid int) (int, time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ppid, err := strconv.Atoi(f[1]) // field 4
	if err != nil {
		return 0, 0, err
	}
	var ticks int64
	for _, x := range f[11:15] { // utime, stime, cutime, cstime
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		ticks += n
	}
	return ppid, time.Duration(ticks) * clockTick, nil
}

func settle(ctx context.Context, w io.Writer, read func() Reading, quiet float64, every, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	prev, prevAt := read(), time.Now()
	if len(prev) == 0 {
		return 0, false // nothing to watch
	}
	calm := 0
	t := time.NewTicker(every)
	defer t.Stop()
	for time.Since(start) < limit {
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-t.C:
		}
		now, at := read(), time.Now()
		busy := false
		var parts []string
		for name, s := range now {
			b, ok := prev[name]
			if !ok {
				continue
			}
			use := (s.CPU - b.CPU).Seconds() / at.Sub(prevAt).Seconds()
			if use > quiet {
				busy = true
			}
			parts = append(parts, fmt.Sprintf("%s %.2f", name, use))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "  settling, %4.1fs: CPUs used: %s\n", time.Since(start).Seconds(), strings.Join(parts, ", "))
		prev, prevAt = now, at
		if busy {
			calm = 0
			continue
		}
		if calm++; calm >= 2 {
			return time.Since(start), true
		}
	}
	return time.Since(start), false
}

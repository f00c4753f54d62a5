package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Settle waits until every metered process other than the load tool itself
// has used at most quiet of a CPU (0.1: a tenth of one core) over two
// successive intervals of every, or until limit has passed. A freshly
// started platform keeps working for seconds after the preload with no
// request in flight: the stream consumers read the preload's records and
// write what they derive (analytics, webhooks, notifications), and DynamoDB
// Local's JIT compiles in threads of its own. A round that starts while
// that runs measures it, not the request path. The CPU the processes used
// per second, as seen each interval, is written to w; Settle reports how
// long it waited and whether the processes went quiet.
func (c *CPU) Settle(ctx context.Context, w io.Writer, quiet float64, every, limit time.Duration) (time.Duration, bool) {
	return settle(ctx, w, c.readOthers, quiet, every, limit)
}

// readOthers is a Reading of every metered process but this one.
func (c *CPU) readOthers() Reading {
	r := c.Read()
	for _, p := range c.Procs {
		if p.PID == os.Getpid() {
			delete(r, p.Name)
		}
	}
	return r
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

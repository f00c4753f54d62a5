package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/debugvars"
)

// Sampler reads a process's runtime figures (debugvars) every Every while
// a soak runs.
type Sampler struct {
	URL   string // the platform's /debug/vars
	Every time.Duration
	Out   io.Writer // each sample is printed as it is read

	mu      sync.Mutex
	Samples []debugvars.Sample
}

// Sample takes one reading now.
func (s *Sampler) Sample(ctx context.Context) (debugvars.Sample, error) {
	v, err := debugvars.Read(ctx, http.DefaultClient, s.URL)
	if err != nil {
		return v, err
	}
	s.mu.Lock()
	s.Samples = append(s.Samples, v)
	s.mu.Unlock()
	if s.Out != nil {
		fmt.Fprintf(s.Out, "  sample %s  goroutines %5d  heap alloc %6.1f MiB  heap in use %6.1f MiB  sys %6.1f MiB  gc %d\n",
			v.At.Format("15:04:05"), v.Goroutines, mib(v.HeapAlloc), mib(v.HeapInuse), mib(v.Sys), v.NumGC)
	}
	return v, nil
}

// Run samples until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sample(ctx); err != nil && ctx.Err() == nil && s.Out != nil {
				fmt.Fprintln(s.Out, "  sample failed:", err)
			}
		}
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// The growth rule of a soak. Under a constant load a leak grows without
// bound, so the figures of the last third of the run are compared with those
// of the first third (after the first sample, the warm-up): the last third
// may not exceed the first by more than GrowthFactor plus a small absolute
// allowance (a GC cycle's swing, a few connections). And once the load stops
// and its connections close, goroutines return to within IdleSlack of the
// count before the load.
const (
	GrowthFactor   = 1.5
	GoroutineSlack = 25
	HeapSlack      = 16 << 20
	IdleSlack      = 10
	MinSoakSamples = 6
)

// Growth checks the rule on samples taken under load; before and after are
// idle readings. It returns the violations (none: the soak passes).
func Growth(under []debugvars.Sample, before, after debugvars.Sample) []string {
	var bad []string
	if len(under) < MinSoakSamples {
		return []string{fmt.Sprintf("only %d samples under load; the rule needs %d (run longer or sample more often)", len(under), MinSoakSamples)}
	}
	third := len(under) / 3
	first, last := under[1:third+1], under[len(under)-third:]
	g := func(s debugvars.Sample) float64 { return float64(s.Goroutines) }
	h := func(s debugvars.Sample) float64 { return float64(s.HeapAlloc) }
	if a, b := maxOf(first, g), maxOf(last, g); b > a*GrowthFactor+GoroutineSlack {
		bad = append(bad, fmt.Sprintf("goroutines grew under load: at most %.0f in the first third, %.0f in the last", a, b))
	}
	if a, b := medianOf(first, h), medianOf(last, h); b > a*GrowthFactor+HeapSlack {
		bad = append(bad, fmt.Sprintf("heap grew under load: median %.1f MiB in the first third, %.1f MiB in the last", a/(1<<20), b/(1<<20)))
	}
	if after.Goroutines > before.Goroutines+IdleSlack {
		bad = append(bad, fmt.Sprintf("goroutines did not return after the load: %d before, %d after", before.Goroutines, after.Goroutines))
	}
	return bad
}

func maxOf(s []debugvars.Sample, f func(debugvars.Sample) float64) float64 {
	m := 0.0
	for _, x := range s {
		m = max(m, f(x))
	}
	return m
}

func medianOf(s []debugvars.Sample, f func(debugvars.Sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// CloseIdle closes the load client's idle connections (before an idle sample).
func (l *Load) CloseIdle() { l.client.CloseIdleConnections() }

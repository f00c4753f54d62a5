package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Stats are the figures of one phase (through the platform, or raw).
type Stats struct {
	Name     string
	Workers  int
	Duration time.Duration
	mu       sync.Mutex
	ops      map[Op]*vegeta.Metrics
	// Status counts answers by HTTP status (raw calls: 200, 412 for a lost
	// conditional write, 0 for an error).
	Status map[int]int
	// Codes counts error answers by "status code" (e.g. "412 version_mismatch").
	Codes map[string]int
	// Throttled counts 429s per tier.
	Throttled map[string]int
	// Transport counts requests that got no HTTP answer, by error.
	Transport map[string]int
}

func newStats(name string, workers int) *Stats {
	return &Stats{Name: name, Workers: workers, ops: map[Op]*vegeta.Metrics{}, Status: map[int]int{},
		Codes: map[string]int{}, Throttled: map[string]int{}, Transport: map[string]int{}}
}

// add records one answer; body is a problem+json for errors.
func (s *Stats) add(op Op, tier string, status int, latency time.Duration, body []byte, transportErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ops[op]
	if m == nil {
		m = &vegeta.Metrics{}
		s.ops[op] = m
	}
	m.Add(&vegeta.Result{Code: uint16(status), Latency: latency, Timestamp: time.Now()})
	s.Status[status]++
	switch {
	case status == 0:
		s.Transport[shorten(transportErr)]++
	case status >= 400:
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(body, &p)
		s.Codes[fmt.Sprintf("%d %s", status, p.Code)]++
		if status == 429 {
			s.Throttled[tier]++
		}
	}
}

func shorten(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s) > 80 {
		return s[i+2:]
	}
	return s
}

// Count is the number of answers of op (all statuses).
func (s *Stats) Count(op Op) int {
	if m := s.ops[op]; m != nil {
		return int(m.Requests)
	}
	return 0
}

// Total is the number of answers of every operation.
func (s *Stats) Total() int {
	n := 0
	for op := range s.ops {
		n += s.Count(op)
	}
	return n
}

// Throughput is answers per second over the phase.
func (s *Stats) Throughput() float64 { return float64(s.Total()) / s.Duration.Seconds() }

// ServerErrors counts 5xx answers.
func (s *Stats) ServerErrors() int {
	n := 0
	for st, c := range s.Status {
		if st >= 500 {
			n += c
		}
	}
	return n
}

func (s *Stats) close() {
	for _, m := range s.ops {
		m.Close()
	}
}

// Quantile of op's latency.
func (s *Stats) Quantile(op Op, q float64) time.Duration {
	if m := s.ops[op]; m != nil {
		return m.Latencies.Quantile(q)
	}
	return 0
}

// Print writes the phase's table.
func (s *Stats) Print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d workers for %s: %d answers, %.0f/s\n", s.Name, s.Workers, s.Duration.Round(time.Millisecond), s.Total(), s.Throughput())
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  op\tcount\tper s\tp50 ms\tp95 ms\tp99 ms\t")
	for _, op := range Ops {
		if s.Count(op) == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%.0f\t%s\t%s\t%s\t\n", op, s.Count(op), float64(s.Count(op))/s.Duration.Seconds(),
			ms(s.Quantile(op, 0.5)), ms(s.Quantile(op, 0.95)), ms(s.Quantile(op, 0.99)))
	}
	tw.Flush()
	fmt.Fprintf(w, "  by status: %s\n", fmtCounts(s.Status))
	if len(s.Codes) > 0 {
		fmt.Fprintf(w, "  errors by code: %s\n", fmtCounts(s.Codes))
	}
	if len(s.Transport) > 0 {
		fmt.Fprintf(w, "  no answer: %s\n", fmtCounts(s.Transport))
	}
	if s.Throttled != nil && s.Name != RawName {
		fmt.Fprintf(w, "  429 by tier: %s\n", fmtCounts(s.Throttled))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func fmtCounts[K comparable](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(slices.Compact(parts), " ")
}

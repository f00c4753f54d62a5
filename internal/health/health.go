// Package health is the platform's health as Root's console shows it: in
// AWS the states of the platform's CloudWatch alarms (package cwalarms);
// locally, where there is no CloudWatch, a summary of the functions' EMF
// metric lines (the local metrics log): requests, error rate, p95 latency
// and throttled answers per function over a recent window.
package health

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"time"
)

// State is the overall state, and each alarm's.
type State string

const (
	StateOK    State = "ok"
	StateAlarm State = "alarm"
	// StateUnknown: alarms without enough data, or no metrics at all.
	StateUnknown State = "insufficient_data"
)

// PlatformHealth is the platform's health now.
type PlatformHealth struct {
	// Source is where the figures come from: "cloudwatch" or "local-metrics".
	Source      string    `json:"source"`
	State       State     `json:"state"`
	GeneratedAt time.Time `json:"generated_at"`
	// Alarms (AWS): every alarm of the deployment, alarming ones first.
	Alarms []Alarm `json:"alarms"`
	// Functions (local): the metrics log summarised per function over Window.
	Functions []FunctionStats `json:"functions"`
	Window    string          `json:"window,omitempty"`
	// Note says what the figures do not cover.
	Note string `json:"note,omitempty"`
}

// Alarm is one CloudWatch alarm.
type Alarm struct {
	Name      string    `json:"name"`
	State     State     `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	Metric    string    `json:"metric,omitempty"`
}

// FunctionStats are one function's answers over the window.
type FunctionStats struct {
	Function     string `json:"function"`
	Requests     int    `json:"requests"`
	ServerErrors int    `json:"server_errors"`
	ClientErrors int    `json:"client_errors"`
	// Throttled are the answers with status 429.
	Throttled int `json:"throttled"`
	// ErrorRate is ServerErrors / Requests.
	ErrorRate float64 `json:"error_rate"`
	P95MS     float64 `json:"p95_ms"`
	State     State   `json:"state"`
}

// Source reports the platform's health.
type Source interface {
	Health(ctx context.Context) (PlatformHealth, error)
}

// Thresholds of the local summary, the same as the platform's alarms on
// error rate (constructs/monitoring: 5xx above 1% of requests).
const (
	MaxErrorRate = 0.01
)

// MetricsLog summarises the local metrics log (envvars.MetricsLog: the EMF
// lines the functions write outside Lambda).
type MetricsLog struct {
	Path string
	// Window is how far back the summary looks (default 15 minutes);
	// MaxBytes how much of the end of the file it reads (default 8 MiB).
	Window   time.Duration
	MaxBytes int64
	Now      func() time.Time
	// Flush, when set, writes the process's buffered lines before the
	// file is read (the local platform buffers its metrics log).
	Flush func() error
}

// line is what the summary reads of an EMF line.
type line struct {
	AWS struct {
		Timestamp int64 `json:"Timestamp"`
	} `json:"_aws"`
	Function     string  `json:"Function"`
	Status       int     `json:"Status"`
	ServerErrors int     `json:"ServerErrors"`
	Latency      float64 `json:"Latency"`
}

// Health implements Source.
func (m MetricsLog) Health(ctx context.Context) (PlatformHealth, error) {
	if m.Flush != nil {
		_ = m.Flush() // a failed write shows as the lines missing
	}
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	win := m.Window
	if win == 0 {
		win = 15 * time.Minute
	}
	rep := PlatformHealth{Source: "local-metrics", State: StateUnknown, GeneratedAt: now.UTC(), Alarms: []Alarm{}, Functions: []FunctionStats{},
		Window: win.String(),
		Note: "Local platform: the functions' EMF metric lines summarised (no CloudWatch alarms). Throttles are the functions' 429 answers; " +
			"the local gateway's usage-plan throttling answers before any function and is not counted."}
	if m.Path == "" {
		rep.Note = "No metrics log is configured for this process."
		return rep, nil
	}
	f, err := os.Open(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("open metrics log: %w", err)
	}
	defer f.Close()
	if err := m.seekTail(f); err != nil {
		return rep, err
	}
	by, err := tally(f, now.Add(-win).UnixMilli())
	if err != nil {
		return rep, err
	}
	rep.Functions = append(rep.Functions, functionStats(by)...)
	rep.State = overall(len(rep.Functions) > 0, func(yield func(State) bool) {
		for _, f := range rep.Functions {
			if !yield(f.State) {
				return
			}
		}
	})
	return rep, nil
}

// seekTail moves f to the last MaxBytes (default 8 MiB) of the log when it
// is longer.
func (m MetricsLog) seekTail(f *os.File) error {
	max := m.MaxBytes
	if max == 0 {
		max = 8 << 20
	}
	if st, err := f.Stat(); err == nil && st.Size() > max {
		if _, err := f.Seek(st.Size()-max, io.SeekStart); err != nil {
			return err
		}
	}
	return nil
}

// functionTally is one function's counts and latencies in the window.
type functionTally struct {
	FunctionStats
	lat []float64
}

// tally counts the EMF lines of r from since (Unix milliseconds) on by
// function, skipping lines that are not metric lines (a partial first line
// after the seek) or are older.
func tally(r io.Reader, since int64) (map[string]*functionTally, error) {
	by := map[string]*functionTally{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l line
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Function == "" || l.AWS.Timestamp < since {
			continue // a partial first line after the seek, or too old
		}
		a := by[l.Function]
		if a == nil {
			a = &functionTally{FunctionStats: FunctionStats{Function: l.Function}}
			by[l.Function] = a
		}
		a.Requests++
		if l.Status >= 500 {
			a.ServerErrors++
		} else if l.Status >= 400 {
			a.ClientErrors++
		}
		if l.Status == 429 {
			a.Throttled++
		}
		a.lat = append(a.lat, l.Latency)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics log: %w", err)
	}
	return by, nil
}

// functionStats summarises each function's tally (error rate, p95 latency,
// state: alarm above MaxErrorRate), sorted by function.
func functionStats(by map[string]*functionTally) []FunctionStats {
	out := []FunctionStats{}
	for _, a := range by {
		s := a.FunctionStats
		s.ErrorRate = float64(s.ServerErrors) / float64(s.Requests)
		s.P95MS = Percentile(a.lat, 0.95)
		s.State = StateOK
		if s.ErrorRate > MaxErrorRate {
			s.State = StateAlarm
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function < out[j].Function })
	return out
}

// Percentile is the nearest-rank percentile p (0..1] of xs (0 when empty).
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// overall is alarm when any state is, ok when there are states and all
// are ok, and insufficient_data otherwise.
func overall(any bool, states func(func(State) bool)) State {
	if !any {
		return StateUnknown
	}
	out := StateOK
	for s := range states {
		if s == StateAlarm {
			return StateAlarm
		}
		if s != StateOK {
			out = StateUnknown
		}
	}
	return out
}

// Overall is exported for the alarms source.
func Overall(alarms []Alarm) State {
	return overall(len(alarms) > 0, func(yield func(State) bool) {
		for _, a := range alarms {
			if !yield(a.State) {
				return
			}
		}
	})
}

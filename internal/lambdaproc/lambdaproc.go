// Package lambdaproc runs Go Lambda functions as Lambda runs them, on this
// machine and without containers: each execution environment is a process
// of the function's own binary, given its event through a Lambda Runtime API
// that this package serves (one endpoint per process), with the environment
// the template gives it and nothing else. One event at a time per process;
// more processes on demand up to a cap; idle processes reaped; a timeout
// kills the process; every invocation logs a REPORT (duration, billed
// duration, memory size, max memory used, init duration on a cold start).
//
// Why not aws-lambda-runtime-interface-emulator: it is built to run one
// function inside a container (a fixed port, its own process supervision),
// and the module proxy does not serve a usable version of it; the Runtime
// API a Go function uses is five small endpoints.
package lambdaproc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Region of the local cloud (awsx.Load's).
const Region = "us-east-1"

// Spec is one function as the template declares it, resolved locally.
type Spec struct {
	// Name is the function's name (its folder under functions/).
	Name string
	// LogicalID in the template (error messages).
	LogicalID string
	// Binary is the built function (gofunction's settings, host target).
	Binary string
	// Env is the function's whole environment (Lambda's own variables are
	// added by the platform).
	Env map[string]string
	// Timeout and MemoryMB from the template.
	Timeout  time.Duration
	MemoryMB int
}

// ARN is the function's local ARN.
func (s Spec) ARN() string {
	return "arn:aws:lambda:" + Region + ":000000000000:function:" + s.Name
}

// Options of a Platform.
type Options struct {
	// MaxConcurrency caps each function's processes (DefaultMaxConcurrency
	// when zero); more invocations queue for a free process.
	MaxConcurrency int
	// IdleTimeout reaps a process that served nothing for so long
	// (DefaultIdleTimeout when zero).
	IdleTimeout time.Duration
	// InitTimeout bounds a cold start (Lambda's 10 s when zero).
	InitTimeout time.Duration
	// Log receives the processes' output, each line prefixed with the
	// function's name, and a text REPORT line per invocation.
	Log io.Writer
	// Reports receives one JSON platform.report record per invocation (the
	// local metrics log), as Lambda logs them in the JSON log format.
	Reports io.Writer
}

// Defaults of Options.
const (
	DefaultMaxConcurrency = 10
	DefaultIdleTimeout    = 5 * time.Minute
	DefaultInitTimeout    = 10 * time.Second
)

// Platform runs functions.
type Platform struct {
	opts Options
	mu   sync.Mutex
	fns  map[string]*Function
	// aliases are other names of functions (a template's FunctionName).
	aliases map[string]string
	closed  bool
	stop    chan struct{}
	reaper  sync.WaitGroup
	repMu   sync.Mutex
}

// New starts a platform (and its reaper).
func New(opts Options) *Platform {
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Reports == nil {
		opts.Reports = io.Discard
	}
	p := &Platform{opts: opts, fns: map[string]*Function{}, stop: make(chan struct{})}
	p.reaper.Add(1)
	go p.reap()
	return p
}

func (p *Platform) initTimeout() time.Duration {
	if p.opts.InitTimeout > 0 {
		return p.opts.InitTimeout
	}
	return DefaultInitTimeout
}

func (p *Platform) logWriter(name string) io.Writer {
	return &lineWriter{w: p.opts.Log, prefix: name + " | "}
}

// Add registers a function (no process starts before its first event or
// Warm).
func (p *Platform) Add(s Spec) (*Function, error) {
	if s.Name == "" || s.Binary == "" || s.Timeout <= 0 {
		return nil, fmt.Errorf("lambdaproc: function %q needs a name, a binary and a timeout", s.Name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.fns[s.Name]; dup {
		return nil, fmt.Errorf("lambdaproc: function %s added twice", s.Name)
	}
	f := &Function{spec: s, p: p, slots: make(chan struct{}, p.opts.MaxConcurrency)}
	p.fns[s.Name] = f
	return f, nil
}

// Log is where the processes' output goes.
func (p *Platform) Log() io.Writer { return p.opts.Log }

// Function returns a registered function.
func (p *Platform) Function(name string) *Function {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.fns[name]; ok {
		return f
	}
	return p.fns[p.aliases[name]]
}

// Alias makes alias another name of the function name (its physical name
// in the template, which other stacks call it by: a tenant pool's
// user-migration trigger).
func (p *Platform) Alias(alias, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aliases == nil {
		p.aliases = map[string]string{}
	}
	p.aliases[alias] = name
}

// Remove unregisters a function (and its aliases) and stops its
// processes: a tenant stack's functions when the stack is destroyed.
func (p *Platform) Remove(name string) {
	p.mu.Lock()
	f := p.fns[name]
	delete(p.fns, name)
	for a, n := range p.aliases {
		if n == name {
			delete(p.aliases, a)
		}
	}
	p.mu.Unlock()
	if f == nil {
		return
	}
	var wg sync.WaitGroup
	for _, in := range f.drain() {
		wg.Add(1)
		go func() { defer wg.Done(); in.stopAndWait() }()
	}
	wg.Wait()
}

// Close stops every process.
func (p *Platform) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.stop)
	fns := make([]*Function, 0, len(p.fns))
	for _, f := range p.fns {
		fns = append(fns, f)
	}
	p.mu.Unlock()
	p.reaper.Wait()
	var wg sync.WaitGroup
	for _, f := range fns {
		for _, in := range f.drain() {
			wg.Add(1)
			go func() { defer wg.Done(); in.stopAndWait() }()
		}
	}
	wg.Wait()
}

func (p *Platform) reap() {
	defer p.reaper.Done()
	every := p.opts.IdleTimeout / 4
	if every < 50*time.Millisecond {
		every = 50 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			fns := make([]*Function, 0, len(p.fns))
			for _, f := range p.fns {
				fns = append(fns, f)
			}
			p.mu.Unlock()
			for _, f := range fns {
				f.reapIdle(now.Add(-p.opts.IdleTimeout))
			}
		}
	}
}

// Function is one function's pool of execution environments.
type Function struct {
	spec  Spec
	p     *Platform
	slots chan struct{} // one per running invocation: the concurrency cap

	mu    sync.Mutex
	idle  []*instance // most recently used last
	all   map[*instance]bool
	stats Stats
}

// Stats count what a function's processes did.
type Stats struct {
	ColdStarts, Invocations, Timeouts, Reaped int
	// Processes running now; Peak the most at once.
	Processes, Peak int
	// Inits is the total init duration of the cold starts (process start
	// to its first /next).
	Inits time.Duration
}

// Spec returns the function's spec.
func (f *Function) Spec() Spec { return f.spec }

// Stats returns the counters so far.
func (f *Function) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Processes = len(f.all)
	return s
}

// Warm starts one process if none runs, so a broken init fails now.
func (f *Function) Warm(ctx context.Context) error {
	f.mu.Lock()
	n := len(f.all)
	f.mu.Unlock()
	if n > 0 {
		return nil
	}
	in, err := f.cold(ctx)
	if err != nil {
		return err
	}
	f.release(in)
	return nil
}

// Invoke runs one event and returns the function's answer. A function
// error (its /error, a crash, a timeout) is a *FunctionError; a failed cold
// start an *InitError. When ctx ends first, the invocation still runs to its
// end or its timeout, as in Lambda.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, &FunctionError{Type: "RequestEntityTooLargeException", Message: "the event is larger than Lambda accepts"}
	}
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	in, err := f.acquire(ctx)
	if err != nil {
		<-f.slots
		return nil, err
	}
	// The first event of a process reports its init (Lambda's REPORT of a
	// cold start), also when Warm started it ahead.
	in.mu.Lock()
	coldStart := !in.invoked
	in.invoked = true
	in.mu.Unlock()
	inv := &invocation{id: uuid.NewString(), payload: payload, deadline: time.Now().Add(f.spec.Timeout), done: make(chan result, 1)}
	out := make(chan result, 1)
	go func() {
		began := time.Now()
		r := in.invoke(inv)
		f.report(in, inv.id, time.Since(began), coldStart, r.err)
		f.release(in)
		<-f.slots
		out <- r
	}()
	select {
	case r := <-out:
		if r.err != nil {
			return nil, r.err
		}
		return r.body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquire takes the most recently used idle process, or starts one.
func (f *Function) acquire(ctx context.Context) (*instance, error) {
	f.mu.Lock()
	for len(f.idle) > 0 {
		in := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if in.alive() {
			f.mu.Unlock()
			return in, nil
		}
		delete(f.all, in)
	}
	f.mu.Unlock()
	return f.cold(ctx)
}

func (f *Function) cold(ctx context.Context) (*instance, error) {
	f.p.mu.Lock()
	closed := f.p.closed
	f.p.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	in, err := f.start(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.all == nil {
		f.all = map[*instance]bool{}
	}
	f.all[in] = true
	f.stats.ColdStarts++
	f.stats.Inits += in.initDur
	if len(f.all) > f.stats.Peak {
		f.stats.Peak = len(f.all)
	}
	f.mu.Unlock()
	return in, nil
}

func (f *Function) release(in *instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !in.alive() {
		delete(f.all, in)
		return
	}
	in.mu.Lock()
	in.lastUsed = time.Now()
	in.mu.Unlock()
	f.idle = append(f.idle, in)
}

// reapIdle stops the processes idle since before cutoff.
func (f *Function) reapIdle(cutoff time.Time) {
	f.mu.Lock()
	var keep, gone []*instance
	for _, in := range f.idle {
		in.mu.Lock()
		old := in.lastUsed.Before(cutoff)
		in.mu.Unlock()
		if old || !in.alive() {
			gone = append(gone, in)
			delete(f.all, in)
			if old {
				f.stats.Reaped++
			}
		} else {
			keep = append(keep, in)
		}
	}
	f.idle = keep
	f.mu.Unlock()
	for _, in := range gone {
		in.stop()
	}
}

// drain removes every process (Close).
func (f *Function) drain() []*instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*instance, 0, len(f.all))
	for in := range f.all {
		out = append(out, in)
	}
	f.all, f.idle = nil, nil
	return out
}

func (f *Function) timeoutError() *FunctionError {
	f.mu.Lock()
	f.stats.Timeouts++
	f.mu.Unlock()
	return &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", f.spec.Timeout.Seconds())}
}

// Report is one invocation's platform.report, as Lambda logs it.
type Report struct {
	Time     time.Time      `json:"time"`
	Type     string         `json:"type"` // "platform.report"
	Function string         `json:"function"`
	Record   ReportRecord   `json:"record"`
	Error    *FunctionError `json:"error,omitempty"`
}

// ReportRecord is the record of a Report.
type ReportRecord struct {
	RequestID string        `json:"requestId"`
	Status    string        `json:"status"` // success, error, timeout
	Metrics   ReportMetrics `json:"metrics"`
}

// ReportMetrics are Lambda's REPORT figures.
type ReportMetrics struct {
	DurationMs       float64  `json:"durationMs"`
	BilledDurationMs int64    `json:"billedDurationMs"`
	MemorySizeMB     int      `json:"memorySizeMB"`
	MaxMemoryUsedMB  int      `json:"maxMemoryUsedMB"`
	InitDurationMs   *float64 `json:"initDurationMs,omitempty"`
}

// report logs the invocation's REPORT. Billed duration is rounded up to the
// millisecond and, on a cold start of an OS-only runtime (provided.al2023),
// includes the init phase, as Lambda bills it.
func (f *Function) report(in *instance, id string, d time.Duration, coldStart bool, fe *FunctionError) {
	f.mu.Lock()
	f.stats.Invocations++
	f.mu.Unlock()
	ms := float64(d.Microseconds()) / 1000
	rep := Report{Time: time.Now().UTC(), Type: "platform.report", Function: f.spec.Name,
		Record: ReportRecord{RequestID: id, Status: "success", Metrics: ReportMetrics{DurationMs: round2(ms),
			MemorySizeMB: f.spec.MemoryMB, MaxMemoryUsedMB: in.maxRSSMB()}}}
	billed := ms
	if coldStart {
		initMs := round2(float64(in.initDur.Microseconds()) / 1000)
		rep.Record.Metrics.InitDurationMs = &initMs
		billed += initMs
	}
	rep.Record.Metrics.BilledDurationMs = int64(math.Ceil(billed))
	if fe != nil {
		rep.Record.Status, rep.Error = "error", fe
		if fe.Type == "Sandbox.Timedout" {
			rep.Record.Status = "timeout"
		}
	}
	m := rep.Record.Metrics
	line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB", id, m.DurationMs, m.BilledDurationMs, m.MemorySizeMB, m.MaxMemoryUsedMB)
	if m.InitDurationMs != nil {
		line += fmt.Sprintf("\tInit Duration: %.2f ms", *m.InitDurationMs)
	}
	if rep.Record.Status != "success" {
		line += "\tStatus: " + rep.Record.Status
	}
	if m.MemorySizeMB > 0 && m.MaxMemoryUsedMB > m.MemorySizeMB {
		line += fmt.Sprintf("\t(over the function's %d MB: Lambda would end this environment)", m.MemorySizeMB)
	}
	b, _ := json.Marshal(rep)
	f.p.repMu.Lock()
	defer f.p.repMu.Unlock()
	fmt.Fprintf(f.p.opts.Log, "%s | %s\n", f.spec.Name, line)
	_, _ = f.p.opts.Reports.Write(append(b, '\n'))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

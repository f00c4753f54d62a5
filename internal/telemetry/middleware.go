package telemetry

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Labels describe a request before it is served. They come from the
// verified caller (never from the path, body or query).
type Labels struct {
	TenantID  string
	Tier      string
	Route     string
	RequestID string
}

// Sink writes whole EMF lines, one at a time, so concurrent requests (the
// local gateway) never interleave them. Nil or a Sink on nil discards.
type Sink struct {
	mu      sync.Mutex
	w       io.Writer
	buf     *bufio.Writer // NewBufferedSink's; nil writes each line at once
	scratch []byte        // the line being encoded (under mu)
	stop    chan struct{}
	stopped sync.Once
}

// NewSink writes each line to w as it is emitted (Lambda's stdout: a line
// must be out before the invocation ends); nil discards.
func NewSink(w io.Writer) *Sink { return &Sink{w: w} }

// NewBufferedSink collects lines in a buffer of size bytes that is written
// to w when it fills and at least every flushEvery, and by Flush and Close:
// one write per buffer instead of one per request, for a process that serves
// many requests at once and lives on (the local platform's metrics log).
// Only whole lines are written. Nil w discards.
func NewBufferedSink(w io.Writer, size int, flushEvery time.Duration) *Sink {
	if w == nil {
		return &Sink{}
	}
	s := &Sink{w: w, buf: bufio.NewWriterSize(w, size), stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = s.Flush()
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

// Emit writes r as one EMF line.
func (s *Sink) Emit(r Record) error {
	if s == nil || s.w == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scratch = append(AppendEMF(s.scratch[:0], r), '\n')
	if s.buf == nil {
		_, err := s.w.Write(s.scratch)
		return err
	}
	if s.buf.Available() < len(s.scratch) && s.buf.Buffered() > 0 {
		if err := s.buf.Flush(); err != nil { // whole lines only
			return err
		}
	}
	_, err := s.buf.Write(s.scratch)
	return err
}

// Flush writes the buffered lines (NewBufferedSink); a no-op otherwise.
func (s *Sink) Flush() error {
	if s == nil || s.buf == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Flush()
}

// Close stops a buffered sink's timer and writes what it holds.
func (s *Sink) Close() error {
	if s == nil || s.buf == nil {
		return nil
	}
	s.stopped.Do(func() { close(s.stop) })
	return s.Flush()
}

// Options configure Middleware.
type Options struct {
	Function string
	Sink     *Sink
	// Labels reads the request's labels; nil leaves them empty.
	Labels func(*http.Request) Labels
	Now    func() time.Time
}

// Middleware serves next and emits one EMF line per request with its status
// and latency. It puts the labels in the request context, so every slog
// record logged with that context (ContextHandler) carries them. A panic is
// counted as a 500, then re-raised for the runtime to report.
func Middleware(next http.Handler, o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := o.Now()
		var l Labels
		if o.Labels != nil {
			l = o.Labels(r)
		}
		r = r.WithContext(WithLabels(r.Context(), l))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p != nil {
				sw.status = http.StatusInternalServerError
			}
			rec := Record{Time: start, Function: o.Function, TenantID: l.TenantID, Tier: l.Tier, Route: l.Route,
				RequestID: l.RequestID, Status: sw.code(), Latency: o.Now().Sub(start)}
			if err := o.Sink.Emit(rec); err != nil {
				slog.WarnContext(r.Context(), "emit metrics", "err", err)
			}
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status the handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK // a handler that writes nothing answers 200
	}
	return w.status
}

type labelsKey struct{}

// WithLabels returns ctx carrying l.
func WithLabels(ctx context.Context, l Labels) context.Context {
	return context.WithValue(ctx, labelsKey{}, l)
}

// LabelsFrom returns the labels of ctx, if any.
func LabelsFrom(ctx context.Context) (Labels, bool) {
	l, ok := ctx.Value(labelsKey{}).(Labels)
	return l, ok
}

// ContextHandler adds the request's labels (request_id, tenant_id, route) to
// every record logged with a request context.
type ContextHandler struct{ slog.Handler }

// Handle adds the labels, then hands the record on.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if l, ok := LabelsFrom(ctx); ok {
		for _, a := range []slog.Attr{slog.String("request_id", l.RequestID), slog.String("tenant_id", l.TenantID), slog.String("route", l.Route)} {
			if a.Value.String() != "" {
				r.AddAttrs(a)
			}
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper.
func (h *ContextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ContextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{h.Handler.WithGroup(name)}
}

// NewJSONLogger is the functions' logger in Lambda: JSON lines on w with
// the function name and the request labels.
func NewJSONLogger(w io.Writer, function string) *slog.Logger {
	return slog.New(&ContextHandler{slog.NewJSONHandler(w, nil)}).With("function", function)
}

package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve runs one request through the middleware and returns the EMF lines.
func serve(t *testing.T, l telemetry.Labels, h http.HandlerFunc) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(1500 * time.Microsecond); return clock }
	mw := telemetry.Middleware(h, telemetry.Options{Function: "issues", Sink: telemetry.NewSink(&out),
		Labels: func(*http.Request) telemetry.Labels { return l }, Now: now})
	mw.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/issues", nil))
	var lines []map[string]any
	for _, ln := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(ln), &m), "line %q", ln)
		lines = append(lines, m)
	}
	return lines
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if code != 0 {
			w.WriteHeader(code)
		}
		_, _ = w.Write([]byte("{}"))
	}
}

func TestMiddlewareEmitsOneEMFLinePerRequest(t *testing.T) {
	tenant := telemetry.Labels{TenantID: "acme", Tier: "premium", Route: "GET /v1/issues", RequestID: "req-1"}
	tests := []struct {
		name     string
		labels   telemetry.Labels
		handler  http.HandlerFunc
		wantDims [][]string
		want     map[string]any // root members beside _aws
	}{
		{
			name: "a 5xx for tenant acme counts one server error with TenantId acme", labels: tenant, handler: status(503),
			wantDims: [][]string{{"TenantId"}, {"Tier"}, {"Function"}},
			want: map[string]any{"TenantId": "acme", "Tier": "premium", "Function": "issues", "Requests": 1.0,
				"ServerErrors": 1.0, "ClientErrors": 0.0, "Latency": 1.5, "Route": "GET /v1/issues", "Status": 503.0, "RequestId": "req-1"},
		},
		{
			name: "a 404 counts a client error and no server error", labels: tenant, handler: status(404),
			wantDims: [][]string{{"TenantId"}, {"Tier"}, {"Function"}},
			want: map[string]any{"TenantId": "acme", "Tier": "premium", "Function": "issues", "Requests": 1.0,
				"ServerErrors": 0.0, "ClientErrors": 1.0, "Latency": 1.5, "Route": "GET /v1/issues", "Status": 404.0, "RequestId": "req-1"},
		},
		{
			name: "a handler that only writes a body answers 200 and counts no error", labels: tenant, handler: status(0),
			wantDims: [][]string{{"TenantId"}, {"Tier"}, {"Function"}},
			want: map[string]any{"TenantId": "acme", "Tier": "premium", "Function": "issues", "Requests": 1.0,
				"ServerErrors": 0.0, "ClientErrors": 0.0, "Latency": 1.5, "Route": "GET /v1/issues", "Status": 200.0, "RequestId": "req-1"},
		},
		{
			name: "a public route has only the Function dimension", labels: telemetry.Labels{Route: "GET /health"}, handler: status(200),
			wantDims: [][]string{{"Function"}},
			want: map[string]any{"Function": "issues", "Requests": 1.0, "ServerErrors": 0.0, "ClientErrors": 0.0,
				"Latency": 1.5, "Route": "GET /health", "Status": 200.0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := serve(t, tc.labels, tc.handler)
			require.Len(t, lines, 1)
			line := lines[0]
			aws, ok := line["_aws"].(map[string]any)
			require.True(t, ok, "no _aws object: %v", line)
			delete(line, "_aws")
			wantAWS := map[string]any{
				"Timestamp": float64(time.Date(2026, 3, 1, 12, 0, 0, 1500000, time.UTC).UnixMilli()),
				"CloudWatchMetrics": []any{map[string]any{
					"Namespace":  "IssueTracker",
					"Dimensions": toAny(tc.wantDims),
					"Metrics": []any{
						map[string]any{"Name": "Requests", "Unit": "Count"},
						map[string]any{"Name": "ServerErrors", "Unit": "Count"},
						map[string]any{"Name": "ClientErrors", "Unit": "Count"},
						map[string]any{"Name": "Latency", "Unit": "Milliseconds"},
					},
				}},
			}
			assert.Empty(t, cmp.Diff(wantAWS, aws), "_aws")
			assert.Empty(t, cmp.Diff(tc.want, line), "root members")
			// Every declared dimension and metric has its value on the root (the EMF rule).
			for _, set := range tc.wantDims {
				assert.Contains(t, line, set[0])
			}
		})
	}
}

func TestAPanicIsCountedAsAServerErrorAndReRaised(t *testing.T) {
	var out bytes.Buffer
	mw := telemetry.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		telemetry.Options{Function: "comments", Sink: telemetry.NewSink(&out),
			Labels: func(*http.Request) telemetry.Labels { return telemetry.Labels{TenantID: "x", Tier: "basic"} }})
	assert.PanicsWithValue(t, "boom", func() {
		mw.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
	var m map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &m))
	assert.Equal(t, 1.0, m["ServerErrors"])
	assert.Equal(t, "x", m["TenantId"])
}

func TestLogsWithARequestContextCarryTheRequestLabels(t *testing.T) {
	var out bytes.Buffer
	log := telemetry.NewJSONLogger(&out, "issues")
	tests := []struct {
		name string
		ctx  context.Context
		want map[string]any
	}{
		{"a request's record names its request, tenant and route",
			telemetry.WithLabels(context.Background(), telemetry.Labels{TenantID: "acme", Route: "GET /v1/me", RequestID: "r-9"}),
			map[string]any{"level": "ERROR", "msg": "failed", "function": "issues", "request_id": "r-9", "tenant_id": "acme", "route": "GET /v1/me"}},
		{"a record outside a request has only the function",
			context.Background(),
			map[string]any{"level": "ERROR", "msg": "failed", "function": "issues"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			log.ErrorContext(tc.ctx, "failed")
			var m map[string]any
			require.NoError(t, json.Unmarshal(out.Bytes(), &m))
			delete(m, "time")
			assert.Empty(t, cmp.Diff(tc.want, m))
		})
	}
}

func toAny(dims [][]string) []any {
	out := make([]any, len(dims))
	for i, d := range dims {
		set := make([]any, len(d))
		for j, s := range d {
			set[j] = s
		}
		out[i] = set
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for the sink's flusher goroutine.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) read() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

// A buffered sink (the local platform's metrics log) writes many lines per
// write, only whole lines, every line by its flush interval, and what it
// holds on Close.
func TestABufferedSinkWritesWholeLinesInFewWritesAndLosesNone(t *testing.T) {
	var out lockedBuffer
	s := telemetry.NewBufferedSink(&out, 4096, 50*time.Millisecond)
	rec := telemetry.Record{Function: "issues", TenantID: "acme", Tier: "premium", Route: "GET /v1/issues/{issueId}", Status: 200}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				r := rec
				r.RequestID = fmt.Sprintf("w%d-%d", w, i)
				assert.NoError(t, s.Emit(r))
			}
		}()
	}
	wg.Wait()
	// Every line reaches the writer within the flush interval, without Close.
	require.Eventually(t, func() bool { got, _ := out.read(); return strings.Count(got, "\n") == 2000 }, eventually.Deadline, 10*time.Millisecond)
	got, writes := out.read()
	assert.Less(t, writes, 2000/4, "lines are written in batches, not one write each")
	seen := map[string]bool{}
	for _, ln := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(ln), &m), "whole lines only: %q", ln)
		seen[m["RequestId"].(string)] = true
	}
	assert.Len(t, seen, 2000)

	// Close writes what is buffered at once, before the interval.
	slow := telemetry.NewBufferedSink(&out, 4096, time.Hour)
	require.NoError(t, slow.Emit(rec))
	got, _ = out.read()
	assert.Equal(t, 2000, strings.Count(got, "\n"), "held in the buffer")
	require.NoError(t, slow.Close())
	got, _ = out.read()
	assert.Equal(t, 2001, strings.Count(got, "\n"), "written by Close")
	require.NoError(t, slow.Close(), "Close twice")
}

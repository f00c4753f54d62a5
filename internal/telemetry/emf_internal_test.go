package telemetry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceEMF is the encoder AppendEMF replaced: a map marshalled by
// encoding/json. The two must decode to the same event.
func referenceEMF(r Record) ([]byte, error) {
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []emfMetric `json:"Metrics"`
	}
	type meta struct {
		Timestamp         int64       `json:"Timestamp"`
		CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
	}
	dims := make([][]string, 0, 3)
	ev := map[string]any{}
	if r.TenantID != "" {
		dims = append(dims, []string{DimTenant})
		ev[DimTenant] = r.TenantID
	}
	if r.Tier != "" {
		dims = append(dims, []string{DimTier})
		ev[DimTier] = r.Tier
	}
	dims = append(dims, []string{DimFunction})
	ev[DimFunction] = r.Function
	ev["_aws"] = meta{Timestamp: r.Time.UnixMilli(),
		CloudWatchMetrics: []directive{{Namespace: Namespace, Dimensions: dims, Metrics: metrics}}}
	ev[MetricRequests] = 1
	ev[MetricServerErrors] = boolCount(r.Status >= 500 && r.Status <= 599)
	ev[MetricClientErrors] = boolCount(r.Status >= 400 && r.Status <= 499)
	ev[MetricLatency] = float64(r.Latency.Microseconds()) / 1000
	ev["Route"] = r.Route
	ev["Status"] = r.Status
	if r.RequestID != "" {
		ev["RequestId"] = r.RequestID
	}
	return json.Marshal(ev)
}

func TestAppendEMFDecodesAsTheMapEncoderDid(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	records := []Record{
		{Time: at, Function: "issues", TenantID: "acme", Tier: "premium", Route: "GET /v1/issues/{issueId}", RequestID: "3f1c-uuid", Status: 200, Latency: 1500 * time.Microsecond},
		{Time: at, Function: "meta", Route: "GET /health", Status: 503, Latency: 0},
		{Time: at, Function: "issues", TenantID: "acme", Route: "POST /v1/issues", Status: 404, Latency: 29 * time.Second},
		{Time: at, Function: "issues", Tier: "basic", Route: "", Status: 0, Latency: time.Microsecond},
		// Anything that needs escaping goes through encoding/json.
		{Time: at, Function: "f\"n", TenantID: "t\\1\n", Tier: "<b>&", Route: "GET /v1/ünïcode\u2028", RequestID: "bad\xffutf8\x01", Status: 418, Latency: 7 * time.Millisecond},
	}
	for _, r := range records {
		got := AppendEMF([]byte("prefix"), r)
		require.True(t, strings.HasPrefix(string(got), "prefix"), "appends")
		got = got[len("prefix"):]
		want, err := referenceEMF(r)
		require.NoError(t, err)
		var g, w map[string]any
		require.NoError(t, json.Unmarshal(got, &g), "%s", got)
		require.NoError(t, json.Unmarshal(want, &w))
		assert.Empty(t, cmp.Diff(w, g), "%s", got)
		assert.NotContains(t, string(got), "\n", "one line")
	}
}

func BenchmarkEMF(b *testing.B) {
	r := Record{Time: time.Now(), Function: "issues", TenantID: "load-premium", Tier: "premium", Route: "GET /v1/issues/{issueId}", RequestID: "0f6c1a52-0d55-4c43-9d1e-6f1f3b0e2a11", Status: 200, Latency: 3 * time.Millisecond}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = AppendEMF(buf[:0], r)
		}
	})
	b.Run("map (before)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = referenceEMF(r)
		}
	})
}

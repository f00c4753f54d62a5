// Package telemetry is what the functions tell CloudWatch about each request:
// one CloudWatch Embedded Metric Format (EMF) line per request (requests,
// 4xx, 5xx and latency by tenant, tier and function), and structured JSON
// logs that carry the request id, tenant and route. The names below are the
// one source of truth: the CDK monitoring construct alarms on them.
package telemetry

import (
	"encoding/json"
	"time"
)

// Namespace is the CloudWatch namespace of every metric the functions emit.
const Namespace = "IssueTracker"

// Metric names.
const (
	MetricRequests     = "Requests"
	MetricServerErrors = "ServerErrors" // answers 500–599
	MetricClientErrors = "ClientErrors" // answers 400–499
	MetricLatency      = "Latency"      // milliseconds in the function
)

// Dimension names. Each is its own dimension set, so CloudWatch keeps one
// series per tenant, per tier and per function (not their product). User
// ids, routes and request ids are properties of the log event, never
// dimensions: they would multiply the series.
const (
	DimTenant   = "TenantId"
	DimTier     = "Tier"
	DimFunction = "Function"
)

// Record is one answered request.
type Record struct {
	Time      time.Time
	Function  string
	TenantID  string // empty on public and root routes
	Tier      string // empty on public and root routes
	Route     string // "GET /v1/issues/{issueId}"
	RequestID string
	Status    int
	Latency   time.Duration
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

var metrics = []emfMetric{
	{MetricRequests, "Count"},
	{MetricServerErrors, "Count"},
	{MetricClientErrors, "Count"},
	{MetricLatency, "Milliseconds"},
}

// EMF encodes r as one EMF log event (a JSON object, no newline). A
// dimension set is declared only when its value is known: a public route
// has no TenantId or Tier, and CloudWatch rejects a declared dimension
// without a value.
func EMF(r Record) ([]byte, error) {
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
	ev["_aws"] = emfMeta{
		Timestamp:         r.Time.UnixMilli(),
		CloudWatchMetrics: []emfDirective{{Namespace: Namespace, Dimensions: dims, Metrics: metrics}},
	}
	ev[MetricRequests] = 1
	ev[MetricServerErrors] = boolCount(r.Status >= 500 && r.Status <= 599)
	ev[MetricClientErrors] = boolCount(r.Status >= 400 && r.Status <= 499)
	ev[MetricLatency] = float64(r.Latency.Microseconds()) / 1000
	// Searchable in Logs Insights, not metrics.
	ev["Route"] = r.Route
	ev["Status"] = r.Status
	if r.RequestID != "" {
		ev["RequestId"] = r.RequestID
	}
	return json.Marshal(ev)
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

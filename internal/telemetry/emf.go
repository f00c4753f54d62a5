// Package telemetry is what the functions tell CloudWatch about each request:
// one CloudWatch Embedded Metric Format (EMF) line per request (requests,
// 4xx, 5xx and latency by tenant, tier and function), and structured JSON
// logs that carry the request id, tenant and route. The names below are the
// one source of truth: the CDK monitoring construct alarms on them.
package telemetry

import (
	"encoding/json"
	"strconv"
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
func EMF(r Record) ([]byte, error) { return AppendEMF(nil, r), nil }

// metricsJSON is the directive's Metrics member, encoded once.
var metricsJSON = func() []byte {
	b, err := json.Marshal(metrics)
	if err != nil {
		panic(err)
	}
	return b
}()

// AppendEMF appends EMF(r) to b. It writes the event member by member
// instead of marshalling a map (one line per request: the map, its sorted
// keys and reflection were most of the metrics' cost per request).
func AppendEMF(b []byte, r Record) []byte {
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, r.Time.UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = appendString(b, Namespace)
	b = append(b, `,"Dimensions":[`...)
	if r.TenantID != "" {
		b = append(b, `["`+DimTenant+`"],`...)
	}
	if r.Tier != "" {
		b = append(b, `["`+DimTier+`"],`...)
	}
	b = append(b, `["`+DimFunction+`"]],"Metrics":`...)
	b = append(b, metricsJSON...)
	b = append(b, `}]}`...)
	if r.TenantID != "" {
		b = append(b, `,"`+DimTenant+`":`...)
		b = appendString(b, r.TenantID)
	}
	if r.Tier != "" {
		b = append(b, `,"`+DimTier+`":`...)
		b = appendString(b, r.Tier)
	}
	b = append(b, `,"`+DimFunction+`":`...)
	b = appendString(b, r.Function)
	b = append(b, `,"`+MetricRequests+`":1,"`+MetricServerErrors+`":`...)
	b = strconv.AppendInt(b, int64(boolCount(r.Status >= 500 && r.Status <= 599)), 10)
	b = append(b, `,"`+MetricClientErrors+`":`...)
	b = strconv.AppendInt(b, int64(boolCount(r.Status >= 400 && r.Status <= 499)), 10)
	b = append(b, `,"`+MetricLatency+`":`...)
	b = strconv.AppendFloat(b, float64(r.Latency.Microseconds())/1000, 'f', -1, 64)
	// Searchable in Logs Insights, not metrics.
	b = append(b, `,"Route":`...)
	b = appendString(b, r.Route)
	b = append(b, `,"Status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	if r.RequestID != "" {
		b = append(b, `,"RequestId":`...)
		b = appendString(b, r.RequestID)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string: as is between quotes when it is
// printable ASCII without a quote or backslash (ids, tiers, routes), else
// as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

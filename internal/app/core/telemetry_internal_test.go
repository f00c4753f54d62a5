package core

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The labels come from the REST proxy event as API Gateway builds it: the
// tenant and tier only from the authorizer context, the route template.
func TestMetricsAreLabelledFromTheVerifiedCaller(t *testing.T) {
	tenant := tenancy.Principal{TenantID: "acme", UserID: "u-1", Username: "u", Role: roles.Admin, Tier: tiers.Premium, Table: "app"}
	root := tenancy.Principal{UserID: "r-1", Username: "root", Role: roles.Root}
	tests := []struct {
		name       string
		method     string
		path       string
		caller     *tenancy.Principal
		status     int
		wantTenant any
		wantTier   any
		wantRoute  string
		wantDims   int
	}{
		{"a tenant's failed request counts a server error for that tenant", "GET", "/v1/issues/{issueId}", &tenant, 500, "acme", "premium", "GET /v1/issues/{issueId}", 3},
		{"a public route carries no tenant or tier", "GET", "/health", nil, 200, nil, nil, "GET /health", 1},
		{"a root call carries no tenant or tier", "GET", "/v1/admin/tenants", &root, 200, nil, nil, "GET /v1/admin/tenants", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			h := instrumentTo(telemetry.NewSink(&out), routes.FnIssues, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
			}))
			var authz map[string]any
			if tc.caller != nil {
				authz = tc.caller.AuthorizerContext()
			}
			u := &url.URL{Path: "/v1/issues/01HXYZ"}
			hdr := http.Header{"X-Request-Id": {"req-42"}}
			ev := lambdahttp.Event(routes.Route{Method: tc.method, Path: tc.path}, nil, authz, tc.method, u, nil, hdr)
			res, err := lambdahttp.New(h, nil).Invoke(context.Background(), ev)
			require.NoError(t, err)
			require.Equal(t, tc.status, res.StatusCode)
			var m map[string]any
			require.NoError(t, json.Unmarshal(out.Bytes(), &m), out.String())
			assert.Equal(t, tc.wantTenant, m["TenantId"])
			assert.Equal(t, tc.wantTier, m["Tier"])
			assert.Equal(t, tc.wantRoute, m["Route"])
			assert.Equal(t, "req-42", m["RequestId"])
			assert.Equal(t, "issues", m["Function"])
			assert.Equal(t, float64(boolToInt(tc.status >= 500)), m["ServerErrors"])
			dims := m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Dimensions"].([]any)
			assert.Len(t, dims, tc.wantDims)
			assert.NotContains(t, out.String(), "u-1", "no user id in metrics")
		})
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

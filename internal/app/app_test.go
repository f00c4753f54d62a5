package app_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every route of the table has an operation in its function, so the route
// table, the CDK API and the handlers cannot drift.
func TestEveryRouteHasAnOperation(t *testing.T) {
	t.Parallel()
	d := app.Deps{Names: schema.Names{Prefix: "unit"}}
	for _, fn := range routes.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			_, err := app.Function(fn, d)
			require.NoError(t, err)
		})
	}
}

// API Gateway passes a Lambda proxy answer through untouched, so the
// security and CORS headers of internal/edge must come from the functions:
// every function sends them on every answer, errors included, as the Lambda
// adapter returns it.
func TestEveryFunctionSendsTheEdgeHeaders(t *testing.T) {
	t.Parallel()
	const origin = "https://app.example.com"
	d := app.Deps{Names: schema.Names{Prefix: "unit"}, CORSOrigins: []string{origin}}
	for _, fn := range routes.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			h, err := app.Function(fn, d)
			require.NoError(t, err)
			rt := routes.ForFunction(fn)[0]
			ev := lambdahttp.Event(rt, nil, nil, "GET", &url.URL{Path: "/no/such/route"}, nil, http.Header{"Origin": {origin}})
			res, err := lambdahttp.New(h, nil).Invoke(context.Background(), ev)
			require.NoError(t, err)
			got := http.Header{}
			for k, vs := range res.MultiValueHeaders {
				got[http.CanonicalHeaderKey(k)] = vs
			}
			for k, v := range res.Headers {
				got.Set(k, v)
			}
			require.Equal(t, 404, res.StatusCode)
			for k, v := range edge.SecurityHeaders() {
				assert.Equal(t, v, got.Get(k), k)
			}
			assert.Equal(t, origin, got.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, edge.List(edge.CORSExposeHeaders), got.Get("Access-Control-Expose-Headers"))
		})
	}
	t.Run("an origin that is not allowed gets no CORS grant", func(t *testing.T) {
		h := app.MustFunction(routes.FnMeta, d)
		ev := lambdahttp.Event(routes.ForFunction(routes.FnMeta)[0], nil, nil, "GET", &url.URL{Path: "/health"}, nil, http.Header{"Origin": {"https://evil.example"}})
		res, err := lambdahttp.New(h, nil).Invoke(context.Background(), ev)
		require.NoError(t, err)
		assert.Empty(t, res.MultiValueHeaders["Access-Control-Allow-Origin"])
		assert.Empty(t, res.Headers["Access-Control-Allow-Origin"])
	})
}

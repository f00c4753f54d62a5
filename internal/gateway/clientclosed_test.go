package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"net/http/httptest"
)

// A request its client abandons is the client's doing: the function's
// error wrapping the canceled context (here the registration function's
// rate limit lookup, as seen in make dev) is logged at INFO, not ERROR,
// and its metrics record a 499, never a 5xx.
func TestAnAbandonedRequestIsNotAServerError(t *testing.T) {
	// Read once the function's handler (metrics included) has returned.
	var logs, metrics bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	entered, served := make(chan struct{}), make(chan struct{})
	fn := httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		<-r.Context().Done()
		return fmt.Errorf("rate limit lookup: %w", r.Context().Err())
	})
	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{
			routes.FnRegistration: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(served)
				telemetry.Middleware(fn, telemetry.Options{Function: string(routes.FnRegistration), Sink: telemetry.NewSink(&metrics)}).ServeHTTP(w, r)
			}),
		},
		Authorize: func(context.Context, string) (tenancy.Principal, string, error) {
			return tenancy.Principal{}, "", errs.Unauthorized("token_malformed", "no")
		},
	})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/registrations/availability?slug=acme", nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-entered
	cancel()
	require.Error(t, <-done)
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the function did not see its request canceled")
	}

	assert.NotContains(t, logs.String(), "level=ERROR", "an abandoned request is no server error")
	assert.Contains(t, logs.String(), "client closed the request")
	assert.Contains(t, metrics.String(), `"Status":499`)
	assert.Contains(t, metrics.String(), `"ServerErrors":0`)
}

package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
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

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A request its client abandons is the client's doing: the function's
// error wrapping the canceled context (here the registration function's
// rate limit lookup, as seen in make dev) is logged at INFO, not ERROR,
// and its metrics record a 499, never a 5xx.
func TestAnAbandonedRequestIsNotAServerError(t *testing.T) {
	var logs, metrics syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	entered, finished := make(chan struct{}), make(chan struct{})
	fn := httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		defer close(finished)
		close(entered)
		<-r.Context().Done()
		return fmt.Errorf("rate limit lookup: %w", r.Context().Err())
	})
	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{
			routes.FnRegistration: telemetry.Middleware(fn, telemetry.Options{Function: string(routes.FnRegistration), Sink: telemetry.NewSink(&metrics)}),
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
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("the function did not see its request canceled")
	}
	require.Eventually(t, func() bool { return strings.Contains(metrics.String(), `"Status":`) }, 5*time.Second, 10*time.Millisecond)

	assert.NotContains(t, logs.String(), "level=ERROR", "an abandoned request is no server error")
	assert.Contains(t, logs.String(), "client closed the request")
	assert.Contains(t, metrics.String(), `"Status":499`)
	assert.Contains(t, metrics.String(), `"ServerErrors":0`)
}

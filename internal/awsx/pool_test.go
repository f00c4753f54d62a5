package awsx_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

// The SDK's HTTP client keeps its connections when more calls than the
// SDK's default pool (10) are in flight at once, as the local platform's
// one DynamoDB client does under load: a second wave of 32 concurrent calls
// reuses the first wave's connections instead of dialling new ones.
func TestTheSDKClientKeepsItsConnectionsUnderConcurrency(t *testing.T) {
	const concurrent = 32
	var dials atomic.Int64
	var gate sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate.Done()
		gate.Wait() // every call of the wave is in flight at once
		_, _ = io.WriteString(w, "{}")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := awsx.HTTPClient()
	wave := func() {
		gate.Add(concurrent)
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
				if !assert.NoError(t, err) {
					return
				}
				res, err := c.Do(req)
				if assert.NoError(t, err) {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
	}
	wave()
	require.EqualValues(t, concurrent, dials.Load(), "the first wave opens a connection per call")
	wave()
	assert.EqualValues(t, concurrent, dials.Load(), "the second wave reuses them")
}

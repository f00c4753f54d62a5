package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A preload create that times out at the gateway (504) or meets a 503 is
// sent again with the same Idempotency-Key; a 4xx is not retried.
func TestPreloadCreateRetriesTheSameKeyAfter5xx(t *testing.T) {
	preloadBackoff = time.Millisecond
	t.Cleanup(func() { preloadBackoff = time.Second })
	var mu sync.Mutex
	var keys []string
	answers := []int{http.StatusGatewayTimeout, http.StatusServiceUnavailable, http.StatusCreated}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(answers[len(keys)-1])
		_, _ = w.Write([]byte(`{"id":"ISS-1"}`))
	}))
	t.Cleanup(srv.Close)
	l := &Load{client: srv.Client()}
	tg := vegeta.Target{Method: http.MethodPost, URL: srv.URL + "/v1/issues", Body: []byte(`{"title":"x"}`),
		Header: http.Header{"Idempotency-Key": []string{"k-1"}}}

	status, body, err := l.createWithRetries(context.Background(), tg)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, status)
	assert.JSONEq(t, `{"id":"ISS-1"}`, string(body))
	assert.Equal(t, []string{"k-1", "k-1", "k-1"}, keys)

	keys, answers = nil, []int{http.StatusBadRequest}
	status, _, err = l.createWithRetries(context.Background(), tg)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Len(t, keys, 1, "a 4xx is the answer, not retried")

	keys, answers = nil, []int{504, 504, 504, 504}
	_, _, err = l.createWithRetries(context.Background(), tg)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "4 tries"), err.Error())
}

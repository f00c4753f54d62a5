package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request net/http hands over without a body (http.NoBody: a GET) is
// not read into a buffer, and reaches the function as an empty body; a
// body, whether of a known length or chunked, still reaches it whole, and
// one over MaxBody is still refused.
func TestTheFunctionGetsTheBodyAsSent(t *testing.T) {
	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{
			routes.FnRegistration: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				fmt.Fprintf(w, "%s %d %q", r.Method, r.ContentLength, b)
			}),
		},
		MaxBody: 16,
		Authorize: func(context.Context, string) (tenancy.Principal, string, error) {
			return tenancy.Principal{}, "", nil
		},
	})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	send := func(method, path string, body io.Reader) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, body)
		require.NoError(t, err)
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	code, got := send(http.MethodGet, "/v1/registrations/availability?slug=acme", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, `GET 0 ""`, got)
	code, got = send(http.MethodPost, "/v1/registrations", strings.NewReader(`{"a":1}`))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, `POST 7 "{\"a\":1}"`, got)
	code, got = send(http.MethodPost, "/v1/registrations", io.MultiReader(strings.NewReader(`{"b":`), strings.NewReader(`2}`))) // chunked
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, `POST 7 "{\"b\":2}"`, got)
	code, _ = send(http.MethodPost, "/v1/registrations", strings.NewReader(strings.Repeat("x", 17)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
}

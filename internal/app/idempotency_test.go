package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every POST of the route table honours Idempotency-Key: the same key and
// body replay the first answer without running the handler again (no second
// effect), and the same key with another body is a 422.
func TestEveryPOSTHonoursIdempotencyKey(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	examples := w.Examples(c)
	n := 0
	for _, rt := range routes.All() {
		if rt.Method != http.MethodPost {
			continue
		}
		n++
		t.Run(rt.OperationID, func(t *testing.T) {
			ex, ok := examples[rt.OperationID]
			require.True(t, ok, "no example request for %s: add one to apitest.Examples", rt.OperationID)
			path := ex.Target(c, rt.Path)
			key := "idem-" + rt.OperationID
			// The body is encoded once: a retry sends the same bytes, and
			// some examples make their values when encoded (verifyTOTP's
			// code changes every 30 s).
			body := ex.Body
			if _, raw := body.(string); !raw && body != nil {
				b, err := json.Marshal(body)
				require.NoError(t, err)
				body = b
			}
			// An empty key is a malformed key, refused before anything
			// runs; it ran unprotected until audit11 (a retry wrote twice).
			empty := w.Call(ex, "POST", path, body, "Idempotency-Key", "")
			assert.Equal(t, http.StatusBadRequest, empty.Status, string(empty.Body))
			assert.Equal(t, "invalid_idempotency_key", empty.Map(t)["code"], string(empty.Body))

			first := w.Call(ex, "POST", path, body, "Idempotency-Key", key)
			require.Less(t, first.Status, 500, string(first.Body))

			again := w.Call(ex, "POST", path, body, "Idempotency-Key", key)
			assert.Equal(t, first.Status, again.Status)
			assert.Equal(t, string(first.Body), string(again.Body))
			assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"), "the handler ran a second time")

			if !rt.TakesBody() {
				// No other body to reuse the key with: any body is refused
				// before the key is looked at (routes.Route.TakesBody).
				reused := w.Call(ex, "POST", path, "{}", "Idempotency-Key", key)
				assert.Equal(t, http.StatusBadRequest, reused.Status, string(reused.Body))
				assert.Equal(t, "body_not_allowed", reused.Map(t)["code"])
				return
			}
			other := ex.Alt
			if other == nil {
				b, _ := json.Marshal(ex.Body)
				other = string(b) + " " // another body: the fingerprint is over the bytes
			}
			reused := w.Call(ex, "POST", path, other, "Idempotency-Key", key)
			assert.Equal(t, http.StatusUnprocessableEntity, reused.Status, string(reused.Body))
			if reused.Header.Get("Content-Type") == "application/problem+json" {
				assert.Equal(t, "idempotency_key_reused", reused.Map(t)["code"])
			}
		})
	}
	assert.GreaterOrEqual(t, n, 15)
}

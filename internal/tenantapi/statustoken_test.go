package tenantapi_test

import (
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A registration's progress is its registrant's: the routes that read or
// act on one registration answer a caller without its status token (or
// with another's) exactly as for a slug nobody registered, so a stranger
// cannot enumerate the customers' tiers and statuses.
func TestRegistrationStatusIsTheRegistrants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	anon := w.api.Anonymous()
	other := w.register(t, "hooli", "basic") // active, with its own token
	box := testenv.NewMailbox(t, w.owner("globex"))
	res := anon.Do("POST", "/v1/registrations", w.registration("globex", "standard"))
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	token, _ := res.Map(t)["status_token"].(string)
	require.GreaterOrEqual(t, len(token), 40, "the sign-up's answer carries an unguessable status token")
	assert.NotEqual(t, other, token)
	code := box.Next(mail.SubjectVerification).VerificationCode()

	nobody := anon.Do("GET", "/v1/registrations/nobody-here", nil)
	require.Equal(t, http.StatusNotFound, nobody.Status)
	notFound := func(t *testing.T, method, path string, body any) {
		t.Helper()
		res := anon.Do(method, path, body)
		assert.Equal(t, http.StatusNotFound, res.Status, "%s %s: %s", method, path, res.Body)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, nobody.Map(t)["code"], res.Map(t)["code"])
		assert.Equal(t, nobody.Map(t)["title"], res.Map(t)["title"])
		assert.NotContains(t, string(res.Body), "standard")
		assert.NotContains(t, string(res.Body), "pending")
	}
	for _, q := range []string{"", "?token=", "?token=" + other, "?token=" + token[:len(token)-1]} {
		t.Run("without its own token, as for an unknown slug: "+q, func(t *testing.T) {
			notFound(t, "GET", "/v1/registrations/globex"+q, nil)
			notFound(t, "POST", "/v1/registrations/globex/verification"+q, nil)
			notFound(t, "POST", "/v1/registrations/globex/verify"+q, map[string]string{"code": "123456"})
			notFound(t, "GET", "/v1/registrations/acme"+q, nil) // seeded, never registered: no token at all
		})
	}
	t.Run("the token under another name is an unknown parameter, for a registration as for no one's", func(t *testing.T) {
		for _, slug := range []string{"globex", "nobody-here"} {
			res := anon.Do("GET", "/v1/registrations/"+slug+"?other="+token, nil)
			assert.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
			assert.Equal(t, "unknown_parameter", res.Map(t)["code"])
			assert.NotContains(t, string(res.Body), "standard")
		}
	})
	t.Run("another registration's token opens only that one", func(t *testing.T) {
		notFound(t, "GET", "/v1/registrations/hooli?token="+token, nil)
	})
	t.Run("with it, the registrant reads and resends", func(t *testing.T) {
		res := anon.Do("GET", "/v1/registrations/globex?token="+token, nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "pending_verification", res.Map(t)["status"])
		assert.NotContains(t, res.Map(t), "status_token", "the token is answered once, to the sign-up")
		res = anon.Do("POST", "/v1/registrations/globex/verification?token="+token, nil)
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		code = box.Next(mail.SubjectVerification).VerificationCode()
		assert.Equal(t, http.StatusOK, anon.Do("GET", "/v1/registrations/hooli?token="+other, nil).Status)
	})
	wrong := "999999"
	if code == wrong {
		wrong = "999998"
	}
	t.Run("a stranger's tries do not count against the registrant's code", func(t *testing.T) {
		for range 12 { // the code allows 5 tries
			res := anon.Do("POST", "/v1/registrations/globex/verify?token="+other, map[string]string{"code": wrong})
			require.Equal(t, http.StatusNotFound, res.Status, string(res.Body))
			res = anon.Do("POST", "/v1/registrations/globex/verify", map[string]string{"code": wrong})
			require.Equal(t, http.StatusNotFound, res.Status, string(res.Body))
		}
	})
	res = anon.Do("POST", "/v1/registrations/globex/verify?token="+token, map[string]string{"code": code})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, "pending_approval", res.Map(t)["status"])
	t.Run("a verified registration refuses a wrong code as an unverified one does", func(t *testing.T) {
		for slug, tok := range map[string]string{"globex": token, "hooli": other} {
			res := anon.Do("POST", "/v1/registrations/"+slug+"/verify?token="+tok, map[string]string{"code": wrong})
			assert.Equal(t, http.StatusBadRequest, res.Status, "%s: %s", slug, res.Body)
			assert.Equal(t, "invalid_code", res.Map(t)["code"])
			assert.NotContains(t, string(res.Body), "pending_approval")
			assert.NotContains(t, string(res.Body), "active")
		}
	})
	t.Run("a retry with the right code is still 200", func(t *testing.T) {
		res := anon.Do("POST", "/v1/registrations/globex/verify?token="+token, map[string]string{"code": code})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "pending_approval", res.Map(t)["status"])
	})
}

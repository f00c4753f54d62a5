package httpapi_test

import (
	"net/http/httptest"
	"testing"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/stretchr/testify/assert"
)

// If-Match reads one strong ETag of this API; a weak one never matches
// (RFC 9110 compares If-Match strongly): a 412, never the write.
func TestIfMatch(t *testing.T) {
	for h, want := range map[string]struct {
		v    int64
		code string
	}{
		`"3"`: {v: 3}, ` "3" `: {v: 3}, `*`: {}, `W/"3"`: {code: "weak_etag"},
		`3`: {code: "invalid_if_match"}, `""`: {code: "invalid_if_match"}, `"0"`: {code: "invalid_if_match"},
		`"+3"`: {code: "invalid_if_match"}, `"03"`: {code: "invalid_if_match"},
		`"1", "2"`: {code: "if_match_list_not_supported"}, `*, "2"`: {code: "if_match_list_not_supported"},
		`"1",*`: {code: "if_match_list_not_supported"}, `"1",`: {code: "if_match_list_not_supported"},
		`W/"1", "1"`: {code: "if_match_list_not_supported"}, `"a,b"`: {code: "invalid_if_match"},
		`W/"x"`: {code: "invalid_if_match"}, ``: {code: "invalid_if_match"}, `""3""`: {code: "invalid_if_match"},
	} {
		r := httptest.NewRequest("PATCH", "/v1/issues/x", nil)
		r.Header["If-Match"] = []string{h}
		v, err := httpapi.IfMatch(r)
		assert.Equal(t, want.v, v, h)
		if want.code == "" {
			assert.NoError(t, err, h)
		} else {
			assert.Equal(t, want.code, errs.As(err).Code, h)
		}
	}
	r := httptest.NewRequest("PATCH", "/v1/issues/x", nil)
	r.Header["If-Match"] = []string{`"3"`, `"4"`}
	_, err := httpapi.IfMatch(r)
	assert.Equal(t, "if_match_list_not_supported", errs.As(err).Code, "the header twice is one list (RFC 9110, 5.3)")
	r.Header["If-Match"] = []string{}
	_, err = httpapi.IfMatch(r)
	assert.Equal(t, "invalid_if_match", errs.As(err).Code, "present without a value")
	v, err := httpapi.IfMatch(httptest.NewRequest("PATCH", "/v1/issues/x", nil))
	assert.Zero(t, v)
	assert.NoError(t, err, "no If-Match: an unconditional write")
}

// Every 429 and 503 says when to come back, whoever made it: a producer's
// own Retry-After stands, and one that set none gets the default (a 429
// without one was possible until audit12: each limiter set its own).
func TestEvery429And503CarriesRetryAfter(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{errs.E(errs.KindRateLimited, "rate_limited", "slow down"), httpapi.RetryAfterThrottled},
		{errs.Unavailable("service_unavailable", "later", nil), httpapi.RetryAfterUnavailable},
		{errs.Invalid("bad", "bad"), ""},
	} {
		w := httptest.NewRecorder()
		httpapi.WriteError(w, httptest.NewRequest("GET", "/v1/x", nil), c.err)
		assert.Equal(t, c.want, w.Header().Get("Retry-After"), "%d", w.Code)
	}
	w := httptest.NewRecorder()
	w.Header().Set("Retry-After", "7")
	httpapi.WriteError(w, httptest.NewRequest("GET", "/v1/x", nil), errs.E(errs.KindRateLimited, "rate_limited", "slow down"))
	assert.Equal(t, "7", w.Header().Get("Retry-After"), "the limiter's own wait stands")
}

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
		`"+3"`: {code: "invalid_if_match"}, `"03"`: {code: "invalid_if_match"}, `"1", "2"`: {code: "invalid_if_match"},
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
	v, err := httpapi.IfMatch(httptest.NewRequest("PATCH", "/v1/issues/x", nil))
	assert.Zero(t, v)
	assert.NoError(t, err, "no If-Match: an unconditional write")
}

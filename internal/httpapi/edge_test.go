package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
)

// A singleton header sent twice is a 400 however its names are spelled
// (an API Gateway event keeps the client's spelling), and checking an
// ordinary request's headers allocates nothing (it built a map per request).
func TestEdgeHeaderChecks(t *testing.T) {
	edgeOf := func(h map[string][]string) httpapi.EdgeRequest {
		return httpapi.EdgeRequest{Method: http.MethodGet, EscapedPath: "/v1/issues", Header: h}
	}
	for _, h := range []map[string][]string{
		{"authorization": {"Bearer a"}, "Authorization": {"Bearer a"}},
		{"x-request-id": {"a"}, "X-REQUEST-ID": {"b"}},
	} {
		err := httpapi.CheckEdge(edgeOf(h))
		if assert.Error(t, err, "%v", h) {
			assert.Equal(t, "duplicate_header", errs.As(err).Code, "%v", h)
		}
	}
	// If-Match twice is one list of ETags (RFC 9110, 5.3): the answer of
	// a list in one line, not a duplicate_header.
	for _, h := range []map[string][]string{
		{"If-Match": {`"1"`, `"2"`}},
		{"if-match": {`"1"`}, "If-Match": {`*`}},
	} {
		err := httpapi.CheckEdge(edgeOf(h))
		if assert.Error(t, err, "%v", h) {
			assert.Equal(t, "if_match_list_not_supported", errs.As(err).Code, "%v", h)
			assert.Equal(t, "If-Match", errs.As(err).Fields[0].Field, "%v", h)
		}
	}
	ordinary := http.Header{"Authorization": {"Bearer x"}, "Accept": {"application/json"}, "User-Agent": {"load"},
		"Accept-Encoding": {"gzip"}, "X-Request-Id": {"r1"}}
	assert.NoError(t, httpapi.CheckEdge(edgeOf(ordinary)))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = httpapi.CheckEdge(edgeOf(ordinary)) }))
}

package attachmentapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/chaos"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With the local S3 down (a proxy in front of it closed), only requests
// that need S3 fail, with a 503 problem+json and Retry-After; issues keep
// working; nothing is half done: the upload that could not be confirmed is
// still pending, the attachment that could not be deleted is still there,
// and both complete once S3 is back (issue 15's S3 outage).
func TestTheLocalS3DownFailsOnlyFileRequestsWith503(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	cfg, e := testenv.AWS(t)
	upstream := strings.TrimPrefix(e.S3, "http://")
	proxy, err := chaos.Listen("127.0.0.1:0", upstream)
	require.NoError(t, err)
	addr := proxy.Addr()
	t.Cleanup(func() { proxy.Close() })
	e.S3 = "http://" + addr
	objs := s3objects.New(s3signed.Scoped(s3signed.Client{Config: cfg, Endpoint: e.S3}, &tenantcreds.Provider{}))
	objs.CreateBuckets, objs.CORSOrigins = true, w.Files.Objects.CORSOrigins
	deps := w.Deps
	svc := *w.Deps.Attachments
	svc.Objects = objs
	deps.Attachments = &svc
	api := apitest.New(t, deps)
	owner := api.As(w.Principal("owner@acme.test"))

	issueID := newIssue(t, owner, "Screenshot of the crash")
	files := "/v1/issues/" + issueID + "/attachments"
	kept := owner.Attach(t, issueID, "kept.png", "image/png", png)
	up := owner.RequestUpload(t, issueID, "late.png", "image/png", png)
	require.Equal(t, http.StatusOK, apitest.Put(t, up.URL, up.Headers, png))
	before := usage(t, owner)

	proxy.Close()
	unavailable := func(res *apitest.Response, what string) {
		t.Helper()
		assert.Equal(t, http.StatusServiceUnavailable, res.Status, "%s: %s", what, res.Body)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), what)
		assert.NotEmpty(t, res.Header.Get("Retry-After"), what)
	}
	unavailable(owner.Do("POST", files+"/"+up.ID()+"/confirm", nil), "confirm")
	unavailable(owner.Do("DELETE", files+"/"+kept, nil), "delete")

	// Everything that does not need S3 works.
	assert.Equal(t, http.StatusCreated, owner.Do("POST", "/v1/issues", map[string]any{"title": "filed during the outage"}).Status)
	assert.Equal(t, http.StatusOK, owner.Do("GET", "/v1/issues/"+issueID, nil).Status)
	listed := owner.Do("GET", files, nil)
	require.Equal(t, http.StatusOK, listed.Status)
	items := listed.Map(t)["items"].([]any)
	require.Len(t, items, 1, "the attachment whose delete failed is still there; the unconfirmed one is not listed")
	assert.Equal(t, kept, items[0].(map[string]any)["id"])
	assert.Equal(t, before, usage(t, owner), "no quota change from the failed requests")

	// S3 is back (on the same address): both complete.
	proxy, err = chaos.Listen(addr, upstream)
	require.NoError(t, err)
	res := owner.Do("POST", files+"/"+up.ID()+"/confirm", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, "ready", res.Map(t)["state"])
	assert.Equal(t, http.StatusNoContent, owner.Do("DELETE", files+"/"+kept, nil).Status)
	after := usage(t, owner)
	assert.Equal(t, before.Files, after.Files, "one confirmed, one deleted")
	assert.Equal(t, before.ReservedBytes-int64(len(png)), after.ReservedBytes)
}

package attachmentapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
)

// The scheduled upload sweep (the attachments function's "sweep-uploads"
// job, every 15 minutes in AWS, every minute in make dev) walks every
// active tenant and releases the uploads never confirmed in time: their
// reservations go back to the tenant's storage, and an object uploaded but
// never confirmed is deleted. Confirmed files and uploads still in time
// stay; a second run releases nothing.
func TestTheUploadSweepReleasesEveryTenantsUploadsNeverConfirmed(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	ctx := context.Background()
	owner, globex := w.As("owner@acme.test"), w.As("owner@globex.test")
	doc := []byte("minutes of the meeting\n")
	issue, theirs := newIssue(t, owner, "Crash"), newIssue(t, globex, "Theirs")
	kept := owner.Attach(t, issue, "kept.txt", "text/plain", doc)
	before, beforeGlobex := usage(t, owner), usage(t, globex)

	put := owner.RequestUpload(t, issue, "crash.png", "image/png", png) // uploaded, never confirmed
	require.Equal(t, http.StatusOK, apitest.Put(t, put.URL, put.Headers, png))
	owner.RequestUpload(t, issue, "never.txt", "text/plain", doc) // never uploaded
	globex.RequestUpload(t, theirs, "theirs.txt", "text/plain", doc)
	require.Equal(t, before.ReservedBytes+int64(len(png)+len(doc)), usage(t, owner).ReservedBytes)

	objects := func(prefix string) int {
		out, err := w.Files.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(w.Files.Bucket), Prefix: aws.String(prefix)})
		require.NoError(t, err)
		return len(out.Contents)
	}
	require.Equal(t, 2, objects("acme/"+issue+"/"))

	// Now: nothing is late yet.
	n, err := app.SweepUploads(ctx, w.Deps)
	require.NoError(t, err)
	assert.Zero(t, n, "uploads still in time stay")

	// An hour later, as the schedule sees it.
	late := *w.Deps.Attachments
	late.Now = func() time.Time { return time.Now().Add(time.Hour) }
	d := w.Deps
	d.Attachments = &late
	n, err = app.SweepUploads(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "acme's two uploads and globex's one")
	assert.Equal(t, before, usage(t, owner), "acme's reservations are back, its confirmed file counted as before")
	assert.Equal(t, beforeGlobex, usage(t, globex), "and globex's")
	assert.Equal(t, 1, objects("acme/"+issue+"/"), "the unconfirmed object is deleted, the confirmed one stays")
	res := owner.Do("POST", "/v1/issues/"+issue+"/attachments/"+put.ID()+"/confirm", nil)
	assert.Equal(t, http.StatusNotFound, res.Status, "a released upload cannot be confirmed: %s", res.Body)
	assert.Equal(t, http.StatusOK, owner.Do("GET", "/v1/issues/"+issue+"/attachments/"+kept, nil).Status)

	n, err = app.SweepUploads(ctx, d)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is released twice")
}

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
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	itrusage "github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// Deleting an issue deletes its files: the activity consumer of the change
// stream (the same handler as stream-activity in AWS and the poller of
// make dev) sees the issue's removal and deletes its objects and records,
// giving their bytes back; the request path does nothing more. Another
// issue's and another tenant's files stay.
func TestDeletingAnIssueDeletesItsFiles(t *testing.T) {
	t.Parallel()
	w := apitest.NewStreamWorld(t)
	ctx := context.Background()
	owner, globex := w.As("owner@acme.test"), w.As("owner@globex.test")
	cfg, e := testenv.AWS(t)
	newPoller := func(name string) *streampoller.Poller {
		return &streampoller.Poller{Name: name, DB: w.Deps.DB, Streams: awsconfig.Streams(cfg, e),
			Consumer: app.ActivityConsumer(w.Deps.DB, time.Hour, nil, w.Deps.Attachments, nil), Filter: notifydb.Filter,
			Tables:      func(context.Context) ([]string, error) { return []string{w.Deps.Names.App()}, nil },
			Checkpoints: streampoller.TableCheckpoints{DB: w.Deps.DB, Table: w.Deps.Names.Control()}}
	}
	poller := newPoller(notifydb.ConsumerName)

	objects := func(prefix string) []string {
		out, err := w.Files.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(w.Files.Bucket), Prefix: aws.String(prefix)})
		require.NoError(t, err)
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		return keys
	}
	records := func(tenant, issueID string) []attachment.Attachment {
		all, err := attachmentdb.Store{DB: w.Deps.DB}.ForIssue(ctx, tenancy.Scope{Table: w.Deps.Names.App(), TenantID: tenant}, issueID)
		require.NoError(t, err)
		return all
	}

	doomed, kept := newIssue(t, owner, "Goes away"), newIssue(t, owner, "Stays")
	theirs := newIssue(t, globex, "Globex's")
	before := usage(t, owner)
	doc := []byte("minutes of the meeting\n")
	owner.Attach(t, doomed, "crash.png", "image/png", png)
	owner.Attach(t, doomed, "notes.txt", "text/plain", doc)
	// uploaded but never confirmed: the reservation goes back too
	up := owner.RequestUpload(t, doomed, "late.png", "image/png", png)
	require.Equal(t, http.StatusOK, apitest.Put(t, up.URL, up.Headers, png))
	owner.Attach(t, kept, "kept.txt", "text/plain", doc)
	globex.Attach(t, theirs, "theirs.txt", "text/plain", doc)
	owner.Attach(t, doomed, "log.txt", "text/plain", doc)
	full := usage(t, owner)
	require.Equal(t, before.Files+4, full.Files)
	require.Len(t, objects("acme/"+doomed+"/"), 4, "three ready files and one uploaded pending one")
	require.Len(t, records("acme", doomed), 4)

	res := owner.Do("DELETE", "/v1/issues/"+doomed, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	assert.Len(t, objects("acme/"+doomed+"/"), 4, "nothing in the request path: the stream's consumer deletes them")

	require.NoError(t, poller.Drain(ctx))
	assert.Empty(t, objects("acme/"+doomed+"/"), "the deleted issue's objects are gone")
	assert.Empty(t, records("acme", doomed), "and its records")
	after := usage(t, owner)
	freed := int64(len(png) + 2*len(doc))
	assert.Equal(t, full.UsedBytes-freed, after.UsedBytes, "the tenant's storage drops by the files' bytes")
	assert.Equal(t, full.Files-3, after.Files)
	assert.Equal(t, before.ReservedBytes, after.ReservedBytes, "the pending upload's reservation is released")
	assert.Len(t, objects("acme/"+kept+"/"), 1, "another issue's file stays")
	assert.Len(t, records("acme", kept), 1)
	assert.Len(t, objects("globex/"+theirs+"/"), 1, "another tenant's file stays")
	assert.Len(t, records("globex", theirs), 1)

	// The stream delivers at least once: a second reader replaying the
	// whole stream deletes nothing more and counts nothing twice.
	require.NoError(t, newPoller("replay").Drain(ctx))
	assert.Equal(t, after, usage(t, owner))
	assert.Len(t, objects("acme/"+kept+"/"), 1)
}

// The usage meter's attachment_bytes (the control table's storage figure:
// Root's usage table, the plan thresholds) follows a deleted issue's
// files: the upload's confirmation adds its bytes through the request's
// meter, and the stream consumer that purges the issue takes them off with
// its own, exactly once, however often the stream delivers the removal.
func TestPurgingADeletedIssuesFilesGivesTheirBytesBackToTheMeter(t *testing.T) {
	t.Parallel()
	w := apitest.NewStreamWorld(t)
	ctx := context.Background()
	figures := usagedb.New(w.Deps.DB, w.Deps.Names)
	// The API's functions meter as Boot's do; the consumer has a meter of
	// its own, as the stream-activity function does.
	d := w.Deps
	d.Meter = &itrusage.Meter{Store: figures}
	w.API = apitest.New(t, d)
	consumerMeter := &itrusage.Meter{Store: figures}
	cfg, e := testenv.AWS(t)
	newPoller := func(name string) *streampoller.Poller {
		return &streampoller.Poller{Name: name, DB: w.Deps.DB, Streams: awsconfig.Streams(cfg, e),
			Consumer: app.ActivityConsumer(w.Deps.DB, time.Hour, nil, w.Deps.Attachments, consumerMeter), Filter: notifydb.Filter,
			Tables:      func(context.Context) ([]string, error) { return []string{w.Deps.Names.App()}, nil },
			Checkpoints: streampoller.TableCheckpoints{DB: w.Deps.DB, Table: w.Deps.Names.Control()}}
	}
	metered := func() int64 {
		t.Helper()
		require.NoError(t, d.Meter.Flush(ctx))
		got, err := figures.StorageOf(ctx, []string{"acme"})
		require.NoError(t, err)
		return got["acme"].AttachmentBytes
	}

	owner := w.As("owner@acme.test")
	kept := newIssue(t, owner, "Stays")
	doc := []byte("minutes of the meeting\n")
	owner.Attach(t, kept, "kept.txt", "text/plain", doc)
	before := metered()
	require.Equal(t, int64(len(doc)), before, "a confirmed upload is metered")

	doomed := newIssue(t, owner, "Goes away")
	owner.Attach(t, doomed, "crash.png", "image/png", png)
	owner.Attach(t, doomed, "notes.txt", "text/plain", doc)
	require.Equal(t, before+int64(len(png)+len(doc)), metered())

	res := owner.Do("DELETE", "/v1/issues/"+doomed, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	require.NoError(t, newPoller(notifydb.ConsumerName).Drain(ctx))
	assert.False(t, consumerMeter.Pending(), "the consumer flushed what it gave back")
	assert.Equal(t, before, metered(), "the meter is back where it was before the deleted issue's files")

	// Redelivery: another reader replays the whole stream, removal included.
	require.NoError(t, newPoller("replay").Drain(ctx))
	require.NoError(t, consumerMeter.Flush(ctx))
	assert.Equal(t, before, metered(), "a redelivered removal gives nothing back twice")
}

// attachToComment uploads and confirms a file attached to a comment.
func attachToComment(t *testing.T, c apitest.Caller, issueID, commentID, filename, ctype string, body []byte) string {
	t.Helper()
	res := c.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": filename, "content_type": ctype,
		"size": len(body), "sha256": apitest.SHA256(body), "comment_id": commentID})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var u apitest.Upload
	res.JSON(t, &u)
	require.Equal(t, http.StatusOK, apitest.Put(t, u.URL, u.Headers, body))
	res = c.Do("POST", "/v1/issues/"+issueID+"/attachments/"+u.ID()+"/confirm", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	return u.ID()
}

// Deleting a comment deletes the files attached to it: the comment's
// tombstone (its MODIFY on the stream) reaches the activity consumer,
// which deletes the comment's objects and records and gives their bytes
// back to the tenant's counter and to the usage meter, exactly once
// however often the stream delivers it. The issue's own files, another
// comment's (even one edited meanwhile) and pending uploads of another
// comment stay.
func TestDeletingACommentDeletesItsFiles(t *testing.T) {
	t.Parallel()
	w := apitest.NewStreamWorld(t)
	ctx := context.Background()
	figures := usagedb.New(w.Deps.DB, w.Deps.Names)
	d := w.Deps
	d.Meter = &itrusage.Meter{Store: figures}
	w.API = apitest.New(t, d)
	consumerMeter := &itrusage.Meter{Store: figures}
	cfg, e := testenv.AWS(t)
	newPoller := func(name string) *streampoller.Poller {
		return &streampoller.Poller{Name: name, DB: w.Deps.DB, Streams: awsconfig.Streams(cfg, e),
			Consumer: app.ActivityConsumer(w.Deps.DB, time.Hour, nil, w.Deps.Attachments, consumerMeter), Filter: notifydb.Filter,
			Tables:      func(context.Context) ([]string, error) { return []string{w.Deps.Names.App()}, nil },
			Checkpoints: streampoller.TableCheckpoints{DB: w.Deps.DB, Table: w.Deps.Names.Control()}}
	}
	metered := func() int64 {
		t.Helper()
		require.NoError(t, d.Meter.Flush(ctx))
		got, err := figures.StorageOf(ctx, []string{"acme"})
		require.NoError(t, err)
		return got["acme"].AttachmentBytes
	}
	objects := func(prefix string) map[string]bool {
		out, err := w.Files.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(w.Files.Bucket), Prefix: aws.String(prefix)})
		require.NoError(t, err)
		keys := map[string]bool{}
		for _, o := range out.Contents {
			keys[aws.ToString(o.Key)] = true
		}
		return keys
	}
	records := func(issueID string) map[string]attachment.Attachment {
		all, err := attachmentdb.Store{DB: w.Deps.DB}.ForIssue(ctx, tenancy.Scope{Table: w.Deps.Names.App(), TenantID: "acme"}, issueID)
		require.NoError(t, err)
		byID := map[string]attachment.Attachment{}
		for _, a := range all {
			byID[a.ID] = a
		}
		return byID
	}
	comment := func(c apitest.Caller, issueID, body string) string {
		t.Helper()
		res := c.Do("POST", "/v1/issues/"+issueID+"/comments", map[string]any{"body": body})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		return res.Map(t)["id"].(string)
	}

	owner := w.As("owner@acme.test")
	issueID := newIssue(t, owner, "Crash with screenshots")
	doc := []byte("stack trace of the crash\n")
	onIssue := owner.Attach(t, issueID, "issue.txt", "text/plain", doc)
	doomed, kept := comment(owner, issueID, "here is the crash"), comment(owner, issueID, "and the log")
	shot := attachToComment(t, owner, issueID, doomed, "crash.png", "image/png", png)
	trace := attachToComment(t, owner, issueID, doomed, "trace.txt", "text/plain", doc)
	log := attachToComment(t, owner, issueID, kept, "log.txt", "text/plain", doc)
	// an upload to the kept comment still pending: not the doomed comment's
	pending := owner.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": "late.png", "content_type": "image/png",
		"size": len(png), "sha256": apitest.SHA256(png), "comment_id": kept})
	require.Equal(t, http.StatusCreated, pending.Status, string(pending.Body))
	// and one to the doomed comment, uploaded but never confirmed
	late := owner.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": "late.txt", "content_type": "text/plain",
		"size": len(doc), "sha256": apitest.SHA256(doc), "comment_id": doomed})
	require.Equal(t, http.StatusCreated, late.Status, string(late.Body))
	var lateUp apitest.Upload
	late.JSON(t, &lateUp)
	require.Equal(t, http.StatusOK, apitest.Put(t, lateUp.URL, lateUp.Headers, doc))
	all := records(issueID)
	require.Len(t, all, 6)
	before, full := usage(t, owner), metered()
	require.Equal(t, int64(len(png)+3*len(doc)), full, "four confirmed files are metered")
	require.Len(t, objects("acme/"+issueID+"/"), 5)

	// An edit of the kept comment is a MODIFY too: it purges nothing.
	res := owner.Do("PATCH", "/v1/issues/"+issueID+"/comments/"+kept, map[string]any{"body": "and the full log"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = owner.Do("DELETE", "/v1/issues/"+issueID+"/comments/"+doomed, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	assert.Len(t, objects("acme/"+issueID+"/"), 5, "nothing in the request path: the stream's consumer deletes them")

	require.NoError(t, newPoller(notifydb.ConsumerName).Drain(ctx))
	left := objects("acme/" + issueID + "/")
	assert.False(t, left[all[shot].Key], "the deleted comment's screenshot object is gone")
	assert.False(t, left[all[trace].Key], "and its other file")
	assert.False(t, left[all[lateUp.ID()].Key], "and what was uploaded for it but never confirmed")
	assert.True(t, left[all[onIssue].Key], "the issue's own file stays")
	assert.True(t, left[all[log].Key], "the other (edited) comment's file stays")
	after := records(issueID)
	_, shotLeft := after[shot]
	_, traceLeft := after[trace]
	_, lateLeft := after[lateUp.ID()]
	assert.False(t, shotLeft || traceLeft || lateLeft, "the deleted comment's records are gone")
	assert.Len(t, after, 3, "the issue's file, the kept comment's file and its pending upload")
	u := usage(t, owner)
	assert.Equal(t, before.UsedBytes-int64(len(png)+len(doc)), u.UsedBytes, "the tenant's counter drops by the comment's files")
	assert.Equal(t, before.Files-2, u.Files)
	assert.Equal(t, before.ReservedBytes-int64(len(doc)), u.ReservedBytes, "the comment's pending upload is released; the other comment's stays")
	assert.False(t, consumerMeter.Pending(), "the consumer flushed what it gave back")
	assert.Equal(t, full-int64(len(png)+len(doc)), metered(), "the meter gives the comment's bytes back")

	// Redelivery: another reader replays the whole stream, tombstone included.
	require.NoError(t, newPoller("replay").Drain(ctx))
	require.NoError(t, consumerMeter.Flush(ctx))
	assert.Equal(t, u, usage(t, owner), "a redelivered tombstone changes nothing")
	assert.Equal(t, full-int64(len(png)+len(doc)), metered(), "and gives nothing back twice")
	assert.Len(t, objects("acme/"+issueID+"/"), 2)
}

// An upload to a comment that is deleted before the upload is confirmed
// never becomes a file: the confirmation holds only while the comment is
// live (as the reservation does), so it cannot land after the comment's
// purge read it as pending and deleted its object. Nothing is counted.
func TestAnUploadToADeletedCommentIsNotConfirmed(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	owner := w.As("owner@acme.test")
	issueID := newIssue(t, owner, "late upload")
	res := owner.Do("POST", "/v1/issues/"+issueID+"/comments", map[string]any{"body": "screenshot follows"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	commentID := res.Map(t)["id"].(string)
	up := owner.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": "crash.png", "content_type": "image/png",
		"size": len(png), "sha256": apitest.SHA256(png), "comment_id": commentID})
	require.Equal(t, http.StatusCreated, up.Status, string(up.Body))
	var u apitest.Upload
	up.JSON(t, &u)
	require.Equal(t, http.StatusOK, apitest.Put(t, u.URL, u.Headers, png))
	before := usage(t, owner)

	res = owner.Do("DELETE", "/v1/issues/"+issueID+"/comments/"+commentID, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	res = owner.Do("POST", "/v1/issues/"+issueID+"/attachments/"+u.ID()+"/confirm", nil)
	assert.Equal(t, http.StatusNotFound, res.Status, string(res.Body))
	assert.Equal(t, "attachment_not_found", code(t, res))
	after := usage(t, owner)
	assert.Equal(t, before.UsedBytes, after.UsedBytes, "nothing counted")
	assert.Equal(t, before.Files, after.Files)
	assert.Empty(t, owner.Do("GET", "/v1/issues/"+issueID+"/attachments", nil).Map(t)["items"], "nothing listed")

	// A new upload to the deleted comment is refused outright.
	res = owner.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": "again.png", "content_type": "image/png",
		"size": len(png), "sha256": apitest.SHA256(png), "comment_id": commentID})
	assert.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
	assert.Equal(t, []string{"comment_id"}, fields(t, res))
}

package attachmentapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01")

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// presignedExpiry is when the SigV4-presigned url stops being valid:
// X-Amz-Date (whole seconds) plus X-Amz-Expires.
func presignedExpiry(t *testing.T, raw string) time.Time {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	signed, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
	require.NoError(t, err)
	secs, err := strconv.Atoi(u.Query().Get("X-Amz-Expires"))
	require.NoError(t, err)
	return signed.Add(time.Duration(secs) * time.Second)
}

func fields(t *testing.T, res *apitest.Response) []string {
	t.Helper()
	var p struct {
		Code   string `json:"code"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	res.JSON(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func code(t *testing.T, res *apitest.Response) string {
	t.Helper()
	return res.Map(t)["code"].(string)
}

func newIssue(t *testing.T, c apitest.Caller, title string) string {
	t.Helper()
	res := c.Do("POST", "/v1/issues", map[string]any{"title": title})
	require.Equal(t, 201, res.Status, string(res.Body))
	return res.Map(t)["id"].(string)
}

func usage(t *testing.T, c apitest.Caller) attachment.Usage {
	t.Helper()
	res := c.Do("GET", "/v1/storage", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	var u attachment.Usage
	res.JSON(t, &u)
	return u
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	owner, user, admin := w.As("owner@acme.test"), w.As("user@acme.test"), w.As("admin@acme.test")
	issueID := newIssue(t, owner, "Crash on save")
	files := "/v1/issues/" + issueID + "/attachments"

	t.Run("an upload appears once confirmed, and downloads as it was uploaded", func(t *testing.T) {
		before := usage(t, owner)
		up := user.RequestUpload(t, issueID, "crash.png", "image/png", png)
		assert.Equal(t, "pending", up.Attachment["state"])
		assert.Equal(t, "image/png", up.Headers["Content-Type"], "the PUT must send the type it was signed for")
		assert.NotEmpty(t, up.Headers["X-Amz-Checksum-Sha256"], "and the checksum")
		assert.Equal(t, "*", up.Headers["If-None-Match"], "and may not overwrite")
		assert.Empty(t, owner.Do("GET", files, nil).Map(t)["items"], "a pending upload is not listed")
		assert.Equal(t, before.ReservedBytes+int64(len(png)), usage(t, owner).ReservedBytes, "its size is reserved")

		require.Equal(t, http.StatusOK, apitest.Put(t, up.URL, up.Headers, png))
		res := user.Do("POST", files+"/"+up.ID()+"/confirm", nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		assert.Equal(t, "ready", res.Map(t)["state"])
		again := user.Do("POST", files+"/"+up.ID()+"/confirm", nil)
		assert.Equal(t, 200, again.Status, "confirming twice is harmless")

		u := usage(t, owner)
		assert.Equal(t, before.UsedBytes+int64(len(png)), u.UsedBytes, "counted once")
		assert.Equal(t, before.ReservedBytes, u.ReservedBytes)
		assert.Equal(t, before.Files+1, u.Files)
		assert.Equal(t, tiers.MustGet(tiers.Premium).StorageBytes, u.QuotaBytes)

		items := owner.Do("GET", files, nil).Map(t)["items"].([]any)
		require.Len(t, items, 1)
		assert.Equal(t, "crash.png", items[0].(map[string]any)["filename"])

		dl := owner.Do("GET", files+"/"+up.ID()+"/download", nil)
		require.Equal(t, 200, dl.Status, string(dl.Body))
		st, h, body := get(t, dl.Map(t)["url"].(string))
		require.Equal(t, 200, st)
		assert.Equal(t, string(png), body)
		assert.Equal(t, "image/png", h.Get("Content-Type"))
		assert.Equal(t, `inline; filename=crash.png`, h.Get("Content-Disposition"), "images are shown inline")
	})

	t.Run("a document downloads as an attachment", func(t *testing.T) {
		id := owner.Attach(t, issueID, "notes.txt", "text/plain", []byte("hello\n"))
		dl := owner.Do("GET", files+"/"+id+"/download", nil)
		st, h, body := get(t, dl.Map(t)["url"].(string))
		require.Equal(t, 200, st)
		assert.Equal(t, "hello\n", body)
		assert.Equal(t, "attachment; filename=notes.txt", h.Get("Content-Disposition"))
	})

	t.Run("the presigned PUT accepts only the declared body", func(t *testing.T) {
		up := owner.RequestUpload(t, issueID, "a.png", "image/png", png)
		other := append([]byte{}, png...)
		other[len(other)-1] ^= 1
		assert.Equal(t, http.StatusBadRequest, apitest.Put(t, up.URL, up.Headers, other), "same length, other bytes: the checksum fails")
		longer := append(append([]byte{}, png...), 0)
		assert.Equal(t, http.StatusForbidden, apitest.Put(t, up.URL, up.Headers, longer), "another length than signed")
		h := map[string]string{}
		for k, v := range up.Headers {
			h[k] = v
		}
		h["Content-Type"] = "text/html"
		assert.Equal(t, http.StatusForbidden, apitest.Put(t, up.URL, h, png), "another type than signed")
		require.Equal(t, http.StatusOK, apitest.Put(t, up.URL, up.Headers, png))
		assert.Equal(t, http.StatusPreconditionFailed, apitest.Put(t, up.URL, up.Headers, png), "no overwrite with the same URL")
	})

	t.Run("bad input is refused, naming the field, and nothing is written", func(t *testing.T) {
		before := usage(t, owner)
		max := tiers.MustGet(tiers.Premium).MaxFileBytes
		for name, c := range map[string]struct {
			body  map[string]any
			field string
		}{
			"oversized":   {map[string]any{"filename": "big.zip", "content_type": "application/zip", "size": max + 1, "sha256": apitest.SHA256(png)}, "size"},
			"wrong type":  {map[string]any{"filename": "x.html", "content_type": "text/html", "size": 10, "sha256": apitest.SHA256(png)}, "content_type"},
			"no checksum": {map[string]any{"filename": "x.png", "content_type": "image/png", "size": 10}, "sha256"},
			"a comment of no issue": {map[string]any{"filename": "x.png", "content_type": "image/png", "size": 10, "sha256": apitest.SHA256(png),
				"comment_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}, "comment_id"},
		} {
			res := owner.Do("POST", files, c.body)
			assert.Equal(t, 400, res.Status, name)
			assert.Contains(t, fields(t, res), c.field, name)
		}
		assert.Equal(t, before, usage(t, owner), "no reservation was made")
		assert.Equal(t, 404, owner.Do("POST", "/v1/issues/01HZZZZZZZZZZZZZZZZZZZZZZZ/attachments",
			map[string]any{"filename": "x.png", "content_type": "image/png", "size": 10, "sha256": apitest.SHA256(png)}).Status)
	})

	t.Run("confirming what was never uploaded, or was swapped, is refused", func(t *testing.T) {
		up := owner.RequestUpload(t, issueID, "never.png", "image/png", png)
		res := owner.Do("POST", files+"/"+up.ID()+"/confirm", nil)
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "upload_missing", code(t, res))

		// Someone with other access to the bucket puts other bytes there.
		key := "acme/" + issueID + "/" + up.ID()
		_, err := w.Files.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(w.Files.Bucket), Key: aws.String(key),
			Body: strings.NewReader("<html><script>alert(1)</script></html>"), ContentType: aws.String("image/png")})
		require.NoError(t, err)
		res = owner.Do("POST", files+"/"+up.ID()+"/confirm", nil)
		assert.Equal(t, 422, res.Status)
		assert.Equal(t, "upload_mismatch", code(t, res))
		assert.ElementsMatch(t, []string{"size", "sha256"}, fields(t, res))
		_, err = w.Files.S3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(w.Files.Bucket), Key: aws.String(key)})
		assert.Error(t, err, "the swapped object was discarded")
		assert.Equal(t, 404, owner.Do("GET", files+"/"+up.ID()+"/download", nil).Status, "and nothing appeared")
	})

	t.Run("another tenant's attachment answers as a missing one", func(t *testing.T) {
		id := owner.Attach(t, issueID, "secret.txt", "text/plain", []byte("secret"))
		globex := w.As("owner@globex.test")
		for _, p := range []string{files + "/" + id, files + "/" + id + "/download", files} {
			res := globex.Do("GET", p, nil)
			assert.Equal(t, 404, res.Status, p)
			assert.Equal(t, "issue_not_found", code(t, res))
		}
		theirs := newIssue(t, globex, "theirs")
		res := globex.Do("GET", "/v1/issues/"+theirs+"/attachments/"+id, nil)
		assert.Equal(t, 404, res.Status)
		assert.Equal(t, "attachment_not_found", code(t, res))
		assert.Equal(t, 404, globex.Do("DELETE", "/v1/issues/"+theirs+"/attachments/"+id, nil).Status)
	})

	t.Run("the uploader or an admin may delete; the bytes are given back", func(t *testing.T) {
		id := user.Attach(t, issueID, "mine.txt", "text/plain", []byte("mine"))
		before := usage(t, owner)
		res := user.Do("DELETE", files+"/"+owner.Attach(t, issueID, "owners.txt", "text/plain", []byte("o")), nil)
		assert.Equal(t, 403, res.Status, "a user may not delete another's file")
		assert.Equal(t, 204, admin.Do("DELETE", files+"/"+id, nil).Status)
		assert.Equal(t, 404, admin.Do("DELETE", files+"/"+id, nil).Status)
		after := usage(t, owner)
		assert.Equal(t, before.UsedBytes-4+1, after.UsedBytes, "mine.txt given back, owners.txt added")
	})

	t.Run("an expired download URL is refused by the S3 server", func(t *testing.T) {
		id := owner.Attach(t, issueID, "later.txt", "text/plain", []byte("later"))
		svc := *w.Deps.Attachments
		// A presigned URL's life starts at its X-Amz-Date, a whole second:
		// a 1 s one signed late in a second has a few ms left when it is
		// first used. 3 s leaves 2 s at least; the test then waits for the
		// expiry the URL itself states, not a fixed time.
		svc.DownloadTTL = 3 * time.Second
		ctx := tenancy.WithTenant(context.Background(), "acme")
		d, err := svc.Download(ctx, w.Principal("owner@acme.test"), issueID, id)
		require.NoError(t, err)
		st, _, _ := get(t, d.URL)
		require.Equal(t, 200, st)
		time.Sleep(time.Until(presignedExpiry(t, d.URL)) + 1100*time.Millisecond)
		st, _, body := get(t, d.URL)
		assert.Equal(t, http.StatusForbidden, st)
		assert.Contains(t, body, "expired")
	})
}

// The quota counts reservations: uploads that never complete hold their
// room until the sweep gives it back.
func TestStorageQuota(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	globex := w.As("owner@globex.test") // Basic: 1 GiB, 10 MiB per file
	basic := tiers.MustGet(tiers.Basic)
	issueID := newIssue(t, globex, "big files")
	files := "/v1/issues/" + issueID + "/attachments"
	req := func(size int64) *apitest.Response {
		return globex.Do("POST", files, map[string]any{"filename": "f.zip", "content_type": "application/zip", "size": size, "sha256": apitest.SHA256(png)})
	}
	n := basic.StorageBytes / basic.MaxFileBytes
	for i := int64(0); i < n; i++ {
		require.Equal(t, 201, req(basic.MaxFileBytes).Status)
	}
	left := basic.StorageBytes - n*basic.MaxFileBytes
	before := usage(t, globex)
	res := req(left + 1)
	assert.Equal(t, 422, res.Status, "an upload beyond the quota is refused")
	assert.Equal(t, "storage_quota_exceeded", code(t, res))
	assert.Equal(t, []string{"size"}, fields(t, res))
	assert.Equal(t, before, usage(t, globex), "nothing was reserved")
	require.Equal(t, 201, req(left).Status, "what is left still fits")
	assert.Equal(t, basic.StorageBytes, usage(t, globex).ReservedBytes)

	// An hour later none of them was uploaded: the next request sweeps them.
	svc := *w.Deps.Attachments
	svc.Now = func() time.Time { return time.Now().Add(time.Hour) }
	ctx := tenancy.WithTenant(context.Background(), "globex")
	_, err := svc.RequestUpload(ctx, w.Principal("owner@globex.test"), issueID,
		attachment.UploadRequest{Filename: "f.zip", ContentType: "application/zip", Size: basic.MaxFileBytes, SHA256: apitest.SHA256(png)})
	require.NoError(t, err, "expired reservations were released to make room")
	assert.Less(t, usage(t, globex).ReservedBytes, basic.StorageBytes)
}

// The local S3 (versitygw, which verifies SigV4 as S3 does) refuses a
// presigned URL that was altered or has expired: a download URL whose
// disposition, object or signature was changed, and an upload URL used
// after its life. Nothing is written by a refused PUT.
func TestTheLocalS3RefusesAlteredAndExpiredPresignedURLs(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	owner := w.As("owner@acme.test")
	issueID := newIssue(t, owner, "signed URLs")
	files := "/v1/issues/" + issueID + "/attachments"
	doc := owner.Attach(t, issueID, "report.txt", "text/plain", []byte("quarterly report"))
	other := owner.Attach(t, issueID, "other.txt", "text/plain", []byte("another file"))
	dl := owner.Do("GET", files+"/"+doc+"/download", nil)
	require.Equal(t, 200, dl.Status, string(dl.Body))
	signed := dl.Map(t)["url"].(string)
	st, h, _ := get(t, signed)
	require.Equal(t, 200, st, "the URL as signed works")
	require.Contains(t, h.Get("Content-Disposition"), "attachment")

	alter := func(f func(u *url.URL, q url.Values)) string {
		u, err := url.Parse(signed)
		require.NoError(t, err)
		q := u.Query()
		f(u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	for name, altered := range map[string]string{
		"shown inline instead of as an attachment": alter(func(_ *url.URL, q url.Values) {
			q.Set("response-content-disposition", "inline")
		}),
		"served as HTML": alter(func(_ *url.URL, q url.Values) { q.Set("response-content-type", "text/html") }),
		"another object": alter(func(u *url.URL, _ url.Values) {
			u.Path = strings.Replace(u.Path, doc, other, 1)
		}),
		"a forged signature": alter(func(_ *url.URL, q url.Values) {
			sig := q.Get("X-Amz-Signature")
			q.Set("X-Amz-Signature", strings.Repeat("0", len(sig)))
		}),
		"a longer life": alter(func(_ *url.URL, q url.Values) { q.Set("X-Amz-Expires", "604800") }),
	} {
		st, _, body := get(t, altered)
		assert.Equal(t, http.StatusForbidden, st, "%s: %s", name, body)
		assert.Contains(t, body, "<Code>SignatureDoesNotMatch</Code>", name)
		assert.NotContains(t, body, "quarterly report", name)
		assert.NotContains(t, body, "another file", name)
	}

	svc := *w.Deps.Attachments
	svc.UploadTTL = time.Second
	ctx := tenancy.WithTenant(context.Background(), "acme")
	body := []byte("late bytes")
	up, err := svc.RequestUpload(ctx, w.Principal("owner@acme.test"), issueID, attachment.UploadRequest{Filename: "late.txt",
		ContentType: "text/plain", Size: int64(len(body)), SHA256: apitest.SHA256(body)})
	require.NoError(t, err)
	time.Sleep(2100 * time.Millisecond)
	assert.Equal(t, http.StatusForbidden, apitest.Put(t, up.URL, up.Headers, body), "an expired upload URL is refused")
	res := owner.Do("POST", files+"/"+up.Attachment.ID+"/confirm", nil)
	assert.Equal(t, 409, res.Status, "nothing was uploaded")
	assert.Equal(t, "upload_missing", code(t, res))
}

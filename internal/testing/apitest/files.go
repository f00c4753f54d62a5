package apitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// Files is an attachments bucket of a test on the local S3 (versitygw).
type Files struct {
	Bucket  string
	S3      *s3.Client // unscoped: for tests that look behind the API
	Objects *s3objects.Objects
}

// AttachmentsBucket makes a unique attachments bucket for the test (deleted
// at its end) and the object store on it, signed per tenant.
func AttachmentsBucket(t testing.TB, names schema.Names) Files {
	t.Helper()
	c := testenv.S3(t)
	bucket := names.Prefix + "-attachments"
	signed := testenv.SignedS3(t)
	if err := s3objects.EnsureBucket(context.Background(), signed, bucket, []string{"http://web.test"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testenv.DeleteBucket(c, bucket) })
	objs := s3objects.New(s3signed.Scoped(signed, &tenantcreds.Provider{}))
	objs.CreateBuckets = true // Platinum tenants' own buckets
	objs.CORSOrigins = []string{"http://web.test"}
	return Files{Bucket: bucket, S3: c, Objects: objs}
}

// SHA256 is the base64 SHA-256 an upload declares.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// Upload is an upload request's answer.
type Upload struct {
	Attachment map[string]any    `json:"attachment"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
}

// ID is the attachment's id.
func (u Upload) ID() string { return u.Attachment["id"].(string) }

// RequestUpload asks to upload body to an issue (201 expected).
func (c Caller) RequestUpload(t testing.TB, issueID, filename, ctype string, body []byte) Upload {
	t.Helper()
	res := c.Do("POST", "/v1/issues/"+issueID+"/attachments", map[string]any{"filename": filename, "content_type": ctype,
		"size": len(body), "sha256": SHA256(body)})
	if res.Status != 201 {
		t.Fatalf("upload request: %d %s", res.Status, res.Body)
	}
	var u Upload
	res.JSON(t, &u)
	return u
}

// Put sends body to a presigned URL with the headers an upload must send
// (as a browser would) and returns the status.
func Put(t testing.TB, url string, headers map[string]string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// Attach uploads body to an issue and confirms it; it returns the id.
func (c Caller) Attach(t testing.TB, issueID, filename, ctype string, body []byte) string {
	t.Helper()
	u := c.RequestUpload(t, issueID, filename, ctype, body)
	if st := Put(t, u.URL, u.Headers, body); st != http.StatusOK {
		t.Fatalf("upload PUT: %d", st)
	}
	if res := c.Do("POST", "/v1/issues/"+issueID+"/attachments/"+u.ID()+"/confirm", nil); res.Status != 200 {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	return u.ID()
}

package s3objects_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // CloudFront's signature scheme is RSA-SHA1
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
)

// cfDecode undoes CloudFront's URL-safe base64 (+ -> -, = -> _, / -> ~).
func cfDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(s))
	require.NoError(t, err)
	return b
}

// Downloads of the pooled bucket are CloudFront signed URLs (canned
// policy) over the file's key with S3's response overrides: the signature
// verifies with the key group's public key over exactly that URL and
// expiry, so changing the disposition, the key or the expiry breaks it.
// Another bucket (a Platinum tenant's) keeps S3's presigned GET.
func TestDownloadsThroughCloudFrontAreSignedURLs(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	objs := s3objects.New(s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}))
	objs.CloudFront = &s3objects.CloudFront{Bucket: "pooled", Base: "https://files.example.test",
		Signer: sign.NewURLSigner("K2JCJMDEHXQW5F", key)}
	a := attachment.Attachment{ID: "01J", IssueID: "01I", Filename: "notes.txt", ContentType: "text/plain", Bucket: "pooled",
		Key: attachment.ObjectKey("acme", "01I", "01J")}
	before := time.Now()
	raw, err := objs.PresignGet(context.Background(), a, 15*time.Minute)
	require.NoError(t, err)

	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "https", u.Scheme)
	assert.Equal(t, "files.example.test", u.Host)
	assert.Equal(t, "/acme/01I/01J", u.Path)
	q := u.Query()
	assert.Equal(t, "attachment; filename=notes.txt", q.Get("response-content-disposition"), "a document downloads as an attachment")
	assert.Equal(t, "text/plain", q.Get("response-content-type"))
	assert.Equal(t, "K2JCJMDEHXQW5F", q.Get("Key-Pair-Id"))
	exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, before.Add(15*time.Minute).Unix(), exp, 2, "expires with the download TTL")
	for k := range q {
		if !strings.HasPrefix(k, "response-") && k != "Expires" && k != "Signature" && k != "Key-Pair-Id" {
			t.Errorf("unexpected query parameter %s", k)
		}
	}
	for _, k := range s3objects.CloudFrontQuery {
		assert.NotEmpty(t, q.Get(k), "the distribution forwards %s", k)
	}

	// The canned policy CloudFront checks: the URL without the signing
	// parameters, and the expiry.
	signedPart := raw[:strings.Index(raw, "&Expires=")]
	verify := func(resource string, expires int64) error {
		policy := fmt.Sprintf(`{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, resource, expires)
		h := sha1.Sum([]byte(policy)) //nolint:gosec
		return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, h[:], cfDecode(t, q.Get("Signature")))
	}
	require.NoError(t, verify(signedPart, exp), "the signature covers the URL and its expiry")
	assert.Error(t, verify(strings.Replace(signedPart, "attachment", "inline", 1), exp), "another disposition is not signed")
	assert.Error(t, verify(strings.Replace(signedPart, "/acme/", "/globex/", 1), exp), "another tenant's key is not signed")
	assert.Error(t, verify(signedPart, exp+3600), "a later expiry is not signed")

	png := a
	png.Filename, png.ContentType = "crash.png", "image/png"
	raw, err = objs.PresignGet(context.Background(), png, time.Minute)
	require.NoError(t, err)
	u, _ = url.Parse(raw)
	assert.Equal(t, "inline; filename=crash.png", u.Query().Get("response-content-disposition"), "images are shown inline")

	silo := a
	silo.Bucket = "issuetracker-tenant-umbrella-files"
	raw, err = objs.PresignGet(context.Background(), silo, time.Minute)
	require.NoError(t, err)
	u, _ = url.Parse(raw)
	assert.NotEqual(t, "files.example.test", u.Host, "another bucket is not behind the distribution")
	assert.NotEmpty(t, u.Query().Get("X-Amz-Signature"), "it keeps S3's presigned GET")
}

func TestCloudFrontNeedsAnHTTPSBase(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, base := range []string{"http://files.example.test", "files.example.test", ""} {
		c := &s3objects.CloudFront{Bucket: "pooled", Base: base, Signer: sign.NewURLSigner("K", key)}
		_, err := c.URL(context.Background(), attachment.Attachment{Key: "acme/i/f", Bucket: "pooled", ContentType: "text/plain", Filename: "a.txt"}, time.Now().Add(time.Minute))
		assert.Error(t, err, "base %q", base)
	}
}

// S3 answers a HEAD of a missing object 403 to a caller it does not let
// list that key's prefix, 404 to others: Stat reads both as "nothing was
// uploaded", so confirming answers 409 upload_missing either way.
func TestAHeadAnswered403Or404IsNoObject(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusForbidden} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
		c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
		_, err := s3objects.New(c).Stat(context.Background(), "pooled", "acme/01I/01J")
		assert.ErrorIs(t, err, attachment.ErrNoObject, "HEAD answered %d", status)
		srv.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer srv.Close()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	_, err := s3objects.New(c).Stat(context.Background(), "pooled", "acme/01I/01J")
	assert.Error(t, err)
	assert.NotErrorIs(t, err, attachment.ErrNoObject, "an S3 failure is not a missing object")
}

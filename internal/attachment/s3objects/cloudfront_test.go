package s3objects_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // CloudFront's signature scheme is RSA-SHA1
	"encoding/base64"
	"errors"
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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
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
	objs := s3objects.New(s3signed.Client{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}})
	objs.CloudFront = &s3objects.CloudFront{Bucket: "pooled", Base: "https://files.example.test",
		KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: key}
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

// verifyCanned checks a CloudFront signed URL (canned policy) against the
// public key: the signature over the URL without its signing parameters
// and the expiry.
func verifyCanned(t *testing.T, raw string, pub *rsa.PublicKey) error {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	exp, err := strconv.ParseInt(u.Query().Get("Expires"), 10, 64)
	require.NoError(t, err)
	policy := fmt.Sprintf(`{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, raw[:strings.Index(raw, "&Expires=")], exp)
	h := sha1.Sum([]byte(policy)) //nolint:gosec
	return rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], cfDecode(t, u.Query().Get("Signature")))
}

// A Platinum tenant's files are served by its own stack's distribution:
// its download URL is a CloudFront URL on the domain recorded on the
// tenant, naming the key pair id recorded there (a tenant in its own
// account trusts a key group of its own), or the platform's when the
// tenant stack trusts the platform's key group; a pooled tenant's is on
// the pooled distribution with the platform's key pair id. All verify
// with the one public key. A tenant stack without a distribution keeps
// S3's presigned GET, and a registry failure is an error, not a
// presigned GET (which the tenant bucket would refuse).
func TestAPlatinumTenantsDownloadsGoThroughItsOwnDistribution(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	sites := map[string]s3objects.Site{
		"initech":  {Base: "https://d2222222initech.cloudfront.net", KeyPairID: "KOWNACCOUNT7Q"},
		"umbrella": {Base: "https://d3333333umbrella.cloudfront.net"},
	}
	var lookups []string
	objs := s3objects.New(s3signed.Client{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}})
	objs.CloudFront = &s3objects.CloudFront{Bucket: "pooled", Base: "https://d1111111pooled.cloudfront.net",
		KeyPairID: "KPLATFORM2JCJ", PrivateKey: key,
		Silo: func(_ context.Context, tenantID string) (s3objects.Site, bool, error) {
			lookups = append(lookups, tenantID)
			if tenantID == "broken" {
				return s3objects.Site{}, false, errors.New("registry down")
			}
			s, ok := sites[tenantID]
			return s, ok, nil
		}}
	file := func(tenantID, bucket string) attachment.Attachment {
		return attachment.Attachment{ID: "01J", TenantID: tenantID, IssueID: "01I", Filename: "notes.txt", ContentType: "text/plain",
			Bucket: bucket, Key: attachment.ObjectKey(tenantID, "01I", "01J")}
	}
	for _, c := range []struct {
		name, tenant, bucket, host, keyPairID string
	}{
		{"pooled tenant", "acme", "pooled", "d1111111pooled.cloudfront.net", "KPLATFORM2JCJ"},
		{"Platinum tenant in its own account", "initech", "issuetracker-tenant-initech-files", "d2222222initech.cloudfront.net", "KOWNACCOUNT7Q"},
		{"Platinum tenant in the platform's account", "umbrella", "issuetracker-tenant-umbrella-files", "d3333333umbrella.cloudfront.net", "KPLATFORM2JCJ"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw, err := objs.PresignGet(context.Background(), file(c.tenant, c.bucket), 15*time.Minute)
			require.NoError(t, err)
			u, err := url.Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, "https", u.Scheme)
			assert.Equal(t, c.host, u.Host, "served by the tenant's distribution")
			assert.Equal(t, "/"+c.tenant+"/01I/01J", u.Path)
			assert.Equal(t, c.keyPairID, u.Query().Get("Key-Pair-Id"))
			assert.Empty(t, u.Query().Get("X-Amz-Signature"), "not an S3 presigned GET")
			assert.NoError(t, verifyCanned(t, raw, &key.PublicKey))
			assert.Error(t, verifyCanned(t, strings.Replace(raw, c.host, "d9999999other.cloudfront.net", 1), &key.PublicKey),
				"the signature covers the distribution's domain")
		})
	}
	assert.Equal(t, []string{"initech", "umbrella"}, lookups, "the pooled bucket needs no registry read")

	raw, err := objs.PresignGet(context.Background(), file("hooli", "issuetracker-tenant-hooli-files"), time.Minute)
	require.NoError(t, err)
	assert.True(t, strings.Contains(raw, "X-Amz-Signature"), "no distribution recorded: S3's presigned GET")
	_, err = objs.PresignGet(context.Background(), file("broken", "issuetracker-tenant-broken-files"), time.Minute)
	assert.ErrorContains(t, err, "registry down")
}

func TestCloudFrontNeedsAnHTTPSBase(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, base := range []string{"http://files.example.test", "files.example.test", ""} {
		c := &s3objects.CloudFront{Bucket: "pooled", Base: base, KeyPairID: "K", PrivateKey: key}
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
		c := s3signed.Client{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}, Endpoint: srv.URL}
		_, err := s3objects.New(c).Stat(context.Background(), "pooled", "acme/01I/01J")
		assert.ErrorIs(t, err, attachment.ErrNoObject, "HEAD answered %d", status)
		srv.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer srv.Close()
	c := s3signed.Client{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}, Endpoint: srv.URL,
		Backoff: func(int) time.Duration { return 0 }}
	_, err := s3objects.New(c).Stat(context.Background(), "pooled", "acme/01I/01J")
	assert.Error(t, err)
	assert.NotErrorIs(t, err, attachment.ErrNoObject, "an S3 failure is not a missing object")
}

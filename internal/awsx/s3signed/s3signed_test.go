package s3signed_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// fixedPresigner is the S3 client's default presigner (service/s3's
// newDefaultV4Signer: the path not escaped twice) at a fixed time, so
// that its URLs and ours can be compared byte for byte.
type fixedPresigner struct{ at time.Time }

func (p fixedPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, opts ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(ctx, creds, r, payloadHash, service, region, p.at, opts...)
}

// The presigned PUT and GET are the SDK presigner's, byte for byte (URL,
// query, signature, headers to send), in AWS (virtual-hosted uploads,
// path-style downloads, the China partition) and on a local endpoint,
// for keys with characters that need escaping.
func TestPresignedURLsAreTheSDKPresigners(t *testing.T) {
	at := time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC)
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token")
	key := "t/acme/issues/ISS-1/a b+c/r\u00e9sum\u00e9 (1)&=.txt"
	for _, c := range []struct {
		region, endpoint string
	}{{"eu-west-1", ""}, {"cn-north-1", ""}, {"us-east-1", "http://127.0.0.1:4569"}} {
		ours := s3signed.Client{Config: aws.Config{Region: c.region, Credentials: creds}, Endpoint: c.endpoint, Now: func() time.Time { return at }}
		sdk := func(pathStyle bool) *s3.PresignClient {
			return s3.NewPresignClient(s3.New(s3.Options{Region: c.region, Credentials: creds, UsePathStyle: pathStyle || c.endpoint != "",
				BaseEndpoint: map[bool]*string{true: aws.String(c.endpoint), false: nil}[c.endpoint != ""]}),
				func(o *s3.PresignOptions) { o.Presigner = fixedPresigner{at} })
		}
		put, err := sdk(false).PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String(key),
			ContentLength: aws.Int64(12), ContentType: aws.String("text/plain"), ChecksumSHA256: aws.String("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="),
			IfNoneMatch: aws.String("*")}, s3.WithPresignExpires(15*time.Minute))
		require.NoError(t, err)
		u, h, err := ours.Presign(context.Background(), http.MethodPut, "files", key, "PutObject", false, nil, http.Header{
			"Content-Length": {"12"}, "Content-Type": {"text/plain"}, "X-Amz-Checksum-Sha256": {"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},
			"If-None-Match": {"*"}}, 15*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, put.URL, u, "PUT in %s %s", c.region, c.endpoint)
		assert.Equal(t, put.SignedHeader, h, "PUT's headers in %s %s", c.region, c.endpoint)

		get, err := sdk(true).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key),
			ResponseContentType: aws.String("text/plain"), ResponseContentDisposition: aws.String(`attachment; filename="r\u00e9sum\u00e9.txt"`),
			ResponseCacheControl: aws.String("private, no-store")}, s3.WithPresignExpires(time.Hour))
		require.NoError(t, err)
		u, h, err = ours.Presign(context.Background(), http.MethodGet, "files", key, "GetObject", true, url.Values{
			"response-content-type": {"text/plain"}, "response-content-disposition": {`attachment; filename="r\u00e9sum\u00e9.txt"`},
			"response-cache-control": {"private, no-store"}}, nil, time.Hour)
		require.NoError(t, err)
		assert.Equal(t, get.URL, u, "GET in %s %s", c.region, c.endpoint)
		assert.Equal(t, get.SignedHeader, h, "GET's headers in %s %s", c.region, c.endpoint)
	}
}

// Every call against the local S3 (versitygw checks SigV4 signatures as S3
// does): a bucket with its CORS rule, a presigned PUT that stores exactly
// the signed body once, a presigned GET, HEAD with the checksum, a ranged
// GET, a listing in pages with keys that XML escapes, a copy, a quiet
// multi-delete, a delete; a wrong secret is refused.
func TestEveryCallOnTheLocalS3(t *testing.T) {
	ctx := context.Background()
	c := testenv.SignedS3(t)
	sdk := testenv.S3(t)
	bucket := testenv.UniquePrefix(t) + "-signed"
	require.NoError(t, c.CreateBucket(ctx, bucket))
	t.Cleanup(func() { testenv.DeleteBucket(sdk, bucket) })
	require.NoError(t, c.CreateBucket(ctx, bucket), "a bucket the caller owns already is fine")
	require.NoError(t, c.PutBucketCORS(ctx, bucket, s3signed.CORSRule{AllowedMethods: []string{"PUT", "GET"},
		AllowedOrigins: []string{"http://web.test"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 3000}))
	cors, err := sdk.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	require.Len(t, cors.CORSRules, 1)
	assert.Equal(t, []string{"http://web.test"}, cors.CORSRules[0].AllowedOrigins)
	assert.Equal(t, []string{"PUT", "GET"}, cors.CORSRules[0].AllowedMethods)

	body := []byte("hello, world")
	sum := sha256.Sum256(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	key := "t/acme/a b+c/r\u00e9sum\u00e9 <1> & 'x'.txt"
	u, h, err := c.Presign(ctx, http.MethodPut, bucket, key, "PutObject", false, nil, http.Header{"Content-Length": {"12"},
		"Content-Type": {"text/plain"}, "X-Amz-Checksum-Sha256": {b64}, "If-None-Match": {"*"}}, time.Minute)
	require.NoError(t, err)
	put := func(b []byte) int {
		req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(b))
		require.NoError(t, err)
		for k, v := range h {
			if k != "Host" && k != "Content-Length" {
				req.Header[k] = v
			}
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.NotEqual(t, http.StatusOK, put([]byte("hello, WORLD")), "another body of the same length is refused")
	require.Equal(t, http.StatusOK, put(body))
	assert.Equal(t, http.StatusPreconditionFailed, put(body), "no overwrite")

	g, _, err := c.Presign(ctx, http.MethodGet, bucket, key, "GetObject", true, url.Values{"response-content-type": {"text/plain"},
		"response-content-disposition": {`attachment; filename="x.txt"`}}, nil, time.Minute)
	require.NoError(t, err)
	resp, err := http.Get(g)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", got)
	assert.Equal(t, body, got)
	assert.Equal(t, `attachment; filename="x.txt"`, resp.Header.Get("Content-Disposition"))

	head, err := c.Head(ctx, bucket, key, true)
	require.NoError(t, err)
	assert.Equal(t, "12", head.Get("Content-Length"))
	assert.Equal(t, "text/plain", head.Get("Content-Type"))
	assert.Equal(t, b64, head.Get("X-Amz-Checksum-Sha256"))
	r, err := c.Get(ctx, bucket, key, http.Header{"Range": {"bytes=0-4"}, "If-Match": {head.Get("Etag")}})
	require.NoError(t, err)
	first, _ := io.ReadAll(r)
	r.Close()
	assert.Equal(t, "hello", string(first))
	_, err = c.Get(ctx, bucket, key, http.Header{"If-Match": {`"other"`}})
	assert.True(t, awsjson.IsCode(err, "PreconditionFailed"), "%v", err)
	_, err = c.Head(ctx, bucket, key+"-none", false)
	assert.True(t, awsjson.IsCode(err, "NotFound"), "%v", err)

	keys := []string{key}
	for i := range 5 {
		k := fmt.Sprintf("t/acme/%d-\u00e9&<%d>.txt", i, i)
		require.NoError(t, c.Put(ctx, bucket, k, []byte(strings.Repeat("x", i+1)), http.Header{"Content-Type": {"text/plain"}}))
		keys = append(keys, k)
	}
	require.NoError(t, c.Put(ctx, bucket, "t/other/x", []byte("x"), nil))
	listed := map[string]int64{}
	token, pages := "", 0
	for {
		objs, next, err := c.ListPage(ctx, bucket, "t/acme/", token, 2)
		require.NoError(t, err)
		pages++
		for _, o := range objs {
			listed[o.Key] = o.Size
		}
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, 3, pages)
	want := map[string]int64{key: 12}
	for i, k := range keys[1:] {
		want[k] = int64(i + 1)
	}
	assert.Equal(t, want, listed)

	other := bucket + "-2"
	require.NoError(t, c.CreateBucket(ctx, other))
	t.Cleanup(func() { testenv.DeleteBucket(sdk, other) })
	require.NoError(t, c.Copy(ctx, other, key, bucket+"/"+s3signed.Escape(key)))
	copied, err := c.Head(ctx, other, key, false)
	require.NoError(t, err)
	assert.Equal(t, "12", copied.Get("Content-Length"))
	assert.True(t, awsjson.IsCode(c.Copy(ctx, other, "k", bucket+"/none"), "NoSuchKey"))

	require.NoError(t, c.DeleteObjects(ctx, bucket, keys[1:]))
	objs, _, err := c.List(ctx, bucket, "t/", "")
	require.NoError(t, err)
	assert.Equal(t, []s3signed.Object{{Key: "t/acme/a b+c/r\u00e9sum\u00e9 <1> & 'x'.txt", Size: 12}, {Key: "t/other/x", Size: 1}}, objs)
	require.NoError(t, c.Delete(ctx, bucket, key))
	_, err = c.Head(ctx, bucket, key, false)
	assert.True(t, awsjson.IsCode(err, "NotFound"))
	_, _, err = c.List(ctx, bucket+"-none", "", "")
	assert.True(t, awsjson.IsCode(err, "NoSuchBucket"), "%v", err)

	forged := c.WithCredentials(credentials.NewStaticCredentialsProvider(localcloud.S3AccessKey, "wrong-secret", ""))
	err = forged.Put(ctx, bucket, "x", []byte("x"), nil)
	assert.True(t, awsjson.IsCode(err, "SignatureDoesNotMatch"), "%v", err)
	u, _, err = forged.Presign(ctx, http.MethodGet, bucket, "t/other/x", "GetObject", false, nil, nil, time.Minute)
	require.NoError(t, err)
	resp, err = http.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// A 5xx is sent again, up to three times, as the SDK's retryer does; the
// last one is a retry.MaxAttemptsError (awsx.RetriesExhausted) and a server
// fault (smithy.APIError: the API answers 503). A 4xx is not retried.
func TestA5xxIsRetriedAndThenRetriesAreExhausted(t *testing.T) {
	calls := 0
	status := []int{503, 500, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := status[min(calls, len(status)-1)]
		calls++
		w.WriteHeader(s)
		if s >= 500 {
			fmt.Fprint(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		}
	}))
	defer srv.Close()
	var waits []int
	c := s3signed.Client{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		Endpoint: srv.URL, Backoff: func(attempt int) time.Duration { waits = append(waits, attempt); return 0 }}
	require.NoError(t, c.Delete(context.Background(), "b", "k"), "a 503 SlowDown and a 500, then the answer")
	assert.Equal(t, 3, calls)
	assert.Equal(t, []int{1, 2}, waits, "the client's backoff before each retry")

	calls, status = 0, []int{500}
	err := c.Delete(context.Background(), "b", "k")
	assert.Equal(t, 3, calls)
	assert.True(t, awsx.RetriesExhausted(err), "%v", err)
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, smithy.FaultServer, api.ErrorFault())
	assert.Equal(t, "SlowDown", api.ErrorCode())

	calls, status = 0, []int{403}
	err = c.Delete(context.Background(), "b", "k")
	assert.Equal(t, 1, calls)
	assert.False(t, awsx.RetriesExhausted(err))
	assert.True(t, awsjson.IsCode(err, "Forbidden"), "%v", err)

	// A call that gets no answer is sent again too.
	down := s3signed.Client{Config: c.Config, Endpoint: "http://127.0.0.1:1", Backoff: c.Backoff}
	waits = nil
	err = down.Delete(context.Background(), "b", "k")
	assert.True(t, awsx.RetriesExhausted(err), "%v", err)
	assert.Equal(t, []int{1, 2}, waits)

	// The caller giving up while the client waits to retry ends the call.
	ctx, cancel := context.WithCancel(context.Background())
	calls, status = 0, []int{503}
	c.Backoff = func(int) time.Duration { cancel(); return time.Minute }
	err = c.Delete(ctx, "b", "k")
	assert.Equal(t, 1, calls)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, awsx.RetriesExhausted(err))
}

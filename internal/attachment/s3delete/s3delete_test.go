package s3delete_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/s3delete"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

var _ attachment.Deleter = s3delete.Objects{}

// The local S3 (versitygw, which checks SigV4 signatures) deletes the
// object the signed call names, whatever its key's characters; absent
// keys and buckets are fine, as with the SDK's client.
func TestDeleteOnTheLocalS3(t *testing.T) {
	ctx := context.Background()
	cfg, e := testenv.AWS(t)
	c := testenv.S3(t)
	bucket := testenv.Bucket(t)
	o := s3delete.Objects{Config: cfg, Endpoint: e.S3}
	keys := []string{"t/acme/issues/ISS-1/a1/report.pdf", "t/acme/issues/ISS-1/a2/r\u00e9sum\u00e9 (final) +1&2=3.txt"}
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader([]byte("x"))})
		require.NoError(t, err)
	}
	for _, k := range keys {
		require.NoError(t, o.Delete(ctx, bucket, k), k)
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		require.Error(t, err, "%s was deleted", k)
	}
	assert.NoError(t, o.Delete(ctx, bucket, keys[0]), "an absent key is fine")
	assert.NoError(t, o.Delete(ctx, bucket+"-none", keys[0]), "an absent bucket is fine")

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0]), Body: bytes.NewReader([]byte("x"))})
	require.NoError(t, err)
	bad := o
	bad.Config.Credentials = credentials.NewStaticCredentialsProvider("nobody", "wrong-secret", "")
	assert.ErrorContains(t, bad.Delete(ctx, bucket, keys[0]), "(HTTP 404)", "an unknown access key is refused (versitygw: 404 XAdminUserNotFound)")
	forged := o
	forged.Config.Credentials = credentials.NewStaticCredentialsProvider(localcloud.S3AccessKey, "wrong-secret", "")
	assert.ErrorContains(t, forged.Delete(ctx, bucket, keys[0]), "SignatureDoesNotMatch", "a wrong signature is refused")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0])})
	assert.NoError(t, err, "the refused call deleted nothing")
}

// fakeS3 answers DELETE after checking the SigV4 signature as S3 would:
// the request re-signed (path as sent, payload hash of the empty body)
// with the same credentials, region and time carries the same
// Authorization; otherwise 403 SignatureDoesNotMatch.
func fakeS3(t *testing.T, status int, body string) (s3delete.Objects, *[]string) {
	var got []string
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.EscapedPath(), nil)
		again.Header.Set("X-Amz-Content-Sha256", r.Header.Get("X-Amz-Content-Sha256"))
		signer := v4.NewSigner(func(s *v4.SignerOptions) { s.DisableURIPathEscaping = true })
		if err != nil || r.Method != http.MethodDelete || r.Header.Get("X-Amz-Security-Token") != "token" ||
			signer.SignHTTP(context.Background(), creds, again, r.Header.Get("X-Amz-Content-Sha256"), "s3", "eu-west-1", at) != nil ||
			again.Header.Get("Authorization") != r.Header.Get("Authorization") ||
			r.Header.Get("X-Amz-Content-Sha256") != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>`)
			return
		}
		got = append(got, r.URL.EscapedPath())
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return s3delete.Objects{Endpoint: srv.URL, Config: aws.Config{Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}}, &got
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	t.Run("one signed DELETE of the bucket's key, escaped once", func(t *testing.T) {
		o, got := fakeS3(t, http.StatusNoContent, "")
		require.NoError(t, o.Delete(ctx, "files", "t/acme/a b+c\u00e9.txt"))
		assert.Equal(t, []string{"/files/t/acme/a%20b%2Bc%C3%A9.txt"}, *got)
	})
	t.Run("a missing bucket or key is fine", func(t *testing.T) {
		for _, code := range []string{"NoSuchBucket", "NoSuchKey"} {
			o, _ := fakeS3(t, http.StatusNotFound, `<Error><Code>`+code+`</Code><Message>The specified bucket does not exist</Message></Error>`)
			assert.NoError(t, o.Delete(ctx, "gone", "k"), code)
		}
		o, _ := fakeS3(t, http.StatusNotFound, `<Error><Code>XAdminUserNotFound</Code><Message>No user exists with the provided access key ID.</Message></Error>`)
		assert.ErrorContains(t, o.Delete(ctx, "files", "k"), "XAdminUserNotFound", "another 404 is an error")
	})
	t.Run("another answer is an error with S3's code and message", func(t *testing.T) {
		o, _ := fakeS3(t, http.StatusForbidden, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		assert.EqualError(t, o.Delete(ctx, "files", "k"), "delete object: AccessDenied: Access Denied (HTTP 403)")
	})
	t.Run("a wrong signature is refused", func(t *testing.T) {
		o, got := fakeS3(t, http.StatusNoContent, "")
		o.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wrong", "token")
		require.ErrorContains(t, o.Delete(ctx, "files", "k"), "SignatureDoesNotMatch")
		assert.Empty(t, *got)
	})
	t.Run("in AWS the bucket is the host (virtual-hosted style)", func(t *testing.T) {
		var urls []string
		client := clientFunc(func(r *http.Request) (*http.Response, error) {
			urls = append(urls, r.URL.String())
			return nil, errors.New("offline")
		})
		for _, region := range []string{"eu-west-1", "cn-north-1"} {
			o := s3delete.Objects{Config: aws.Config{Region: region, HTTPClient: client,
				Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}}
			require.ErrorContains(t, o.Delete(ctx, "files-123", "t/acme/x y"), "offline")
		}
		assert.Equal(t, []string{"https://files-123.s3.eu-west-1.amazonaws.com/t/acme/x%20y",
			"https://files-123.s3.cn-north-1.amazonaws.com.cn/t/acme/x%20y"}, urls)
	})
	t.Run("without credentials nothing is sent", func(t *testing.T) {
		o := s3delete.Objects{Config: aws.Config{Region: "eu-west-1", HTTPClient: clientFunc(func(*http.Request) (*http.Response, error) {
			t.Error("a request was sent")
			return nil, errors.New("sent")
		})}}
		require.Error(t, o.Delete(ctx, "files", "k"))
	})
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

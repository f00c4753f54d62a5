package s3archive_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreRequestsServerSideEncryption(t *testing.T) {
	tests := []struct {
		name    string
		kms     string
		wantSSE string
		wantKey string
	}{
		{"with the bucket's KMS key named, SSE-KMS with that key", "arn:aws:kms:us-east-1:123456789012:key/k", "aws:kms", "arn:aws:kms:us-east-1:123456789012:key/k"},
		{"without a key, SSE-S3", "", "AES256", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				got = r
			}))
			defer srv.Close()
			e := awsx.Endpoints{S3: srv.URL}
			cfg, err := awsconfig.Load(context.Background(), e)
			require.NoError(t, err)
			a := s3archive.Archive{C: s3signed.Client{Config: cfg, Endpoint: e.S3}, Bucket: "exports", KMSKeyID: tc.kms}
			loc, err := a.Store(context.Background(), "acme/acme-20260101T000000Z.jsonl.gz", []byte("x"))
			require.NoError(t, err)
			assert.Equal(t, "s3://exports/acme/acme-20260101T000000Z.jsonl.gz", loc)
			require.NotNil(t, got)
			assert.Equal(t, "PUT", got.Method)
			assert.Equal(t, "/exports/acme/acme-20260101T000000Z.jsonl.gz", got.URL.Path, "path-style, key per tenant and time")
			assert.Equal(t, tc.wantSSE, got.Header.Get("X-Amz-Server-Side-Encryption"))
			assert.Equal(t, tc.wantKey, got.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"))
		})
	}
}

func TestStoreOnTheLocalS3(t *testing.T) {
	ctx := context.Background()
	a := s3archive.Archive{C: testenv.SignedS3(t), Bucket: testenv.Bucket(t)}
	t.Run("the stored export reads back byte for byte", func(t *testing.T) {
		_, err := a.Store(ctx, "acme/acme-1.jsonl.gz", []byte("export body"))
		require.NoError(t, err)
		out, err := testenv.S3(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String("acme/acme-1.jsonl.gz")})
		require.NoError(t, err)
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		assert.Equal(t, "export body", string(b))
	})
	t.Run("ensuring an existing bucket is harmless", func(t *testing.T) {
		assert.NoError(t, s3archive.EnsureBucket(ctx, a.C, a.Bucket))
	})
	t.Run("a missing bucket setting is an error, not a silent drop", func(t *testing.T) {
		_, err := s3archive.Archive{C: a.C}.Store(ctx, "x", nil)
		assert.ErrorContains(t, err, s3archive.EnvBucket)
	})
}

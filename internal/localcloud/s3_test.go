package localcloud_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func s3Client(t *testing.T, endpoint string) *s3.Client {
	t.Helper()
	e := awsx.Endpoints{S3: endpoint}
	cfg, err := awsx.Load(context.Background(), e)
	require.NoError(t, err)
	return awsx.S3(cfg, e)
}

func TestTheLocalS3(t *testing.T) {
	ctx := context.Background()
	put := func(t *testing.T, c *s3.Client, bucket, key, body string) {
		t.Helper()
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		require.NoError(t, err)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		require.NoError(t, err)
	}
	get := func(t *testing.T, c *s3.Client, bucket, key string) string {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		require.NoError(t, err)
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		require.NoError(t, err)
		return string(b)
	}

	t.Run("keeps objects on disk across a restart when given a data dir", func(t *testing.T) {
		dir := t.TempDir()
		srv, err := localcloud.S3(ctx, localcloud.Options{DataDir: dir})
		require.NoError(t, err)
		put(t, s3Client(t, srv.Endpoint), "exports", "acme/one.jsonl.gz", "hello")
		srv.Close()

		srv, err = localcloud.S3(ctx, localcloud.Options{DataDir: dir})
		require.NoError(t, err)
		defer srv.Close()
		assert.Equal(t, "hello", get(t, s3Client(t, srv.Endpoint), "exports", "acme/one.jsonl.gz"))
	})
	t.Run("forgets everything in memory without a data dir", func(t *testing.T) {
		srv, err := localcloud.S3(ctx, localcloud.Options{})
		require.NoError(t, err)
		put(t, s3Client(t, srv.Endpoint), "exports", "k", "v")
		srv.Close()

		srv, err = localcloud.S3(ctx, localcloud.Options{})
		require.NoError(t, err)
		defer srv.Close()
		_, err = s3Client(t, srv.Endpoint).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("exports")})
		assert.Error(t, err)
	})
	t.Run("refuses a taken port with a sentence", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		_, err = localcloud.S3(ctx, localcloud.Options{Port: ln.Addr().(*net.TCPAddr).Port})
		require.Error(t, err)
		assert.True(t, errors.Is(err, localcloud.ErrPortTaken))
		assert.Contains(t, err.Error(), "the local S3 wants port")
	})
}

package localcloud_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/awsx/awss3"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func s3Client(t *testing.T, endpoint string) *s3.Client {
	t.Helper()
	e := awsx.Endpoints{S3: endpoint}
	cfg, err := awsconfig.Load(context.Background(), e)
	require.NoError(t, err)
	return awss3.New(cfg, e)
}

func versitygw(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts versitygw: skipped with -short")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, ".local", "bin", "versitygw")); err != nil {
		t.Skip("versitygw not installed (make tools)")
	}
	return root
}

func TestTheLocalS3(t *testing.T) {
	root := versitygw(t)
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
		srv, err := localcloud.S3(ctx, localcloud.Options{Root: root, DataDir: dir})
		require.NoError(t, err)
		put(t, s3Client(t, srv.Endpoint), "exports", "acme/one.jsonl.gz", "hello")
		srv.Stop()

		srv, err = localcloud.S3(ctx, localcloud.Options{Root: root, DataDir: dir})
		require.NoError(t, err)
		defer srv.Stop()
		assert.Equal(t, "hello", get(t, s3Client(t, srv.Endpoint), "exports", "acme/one.jsonl.gz"))
	})
	t.Run("verifies presigned URLs as S3 does: altered, expired or off-contract requests are refused", func(t *testing.T) {
		srv, err := localcloud.S3(ctx, localcloud.Options{Root: root})
		require.NoError(t, err)
		defer srv.Stop()
		c := s3Client(t, srv.Endpoint)
		put(t, c, "files", "a.txt", "hello")
		ps := s3.NewPresignClient(c)
		do := func(method, url string, body []byte, hdr http.Header) int {
			req, err := http.NewRequest(method, url, bytes.NewReader(body))
			require.NoError(t, err)
			if hdr != nil {
				req.Header = hdr
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		g, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("a.txt")}, s3.WithPresignExpires(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, do("GET", g.URL, nil, nil))
		assert.Equal(t, http.StatusForbidden, do("GET", strings.Replace(g.URL, "a.txt", "b.txt", 1), nil, nil), "another key with the same signature")
		assert.Equal(t, http.StatusForbidden, do("GET", g.URL+"0", nil, nil), "an altered signature")

		p, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String("b.png"),
			ContentLength: aws.Int64(5), ContentType: aws.String("image/png")}, s3.WithPresignExpires(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, http.StatusForbidden, do("PUT", p.URL, []byte("hello!"), http.Header{"Content-Type": {"image/png"}}), "a longer body than signed")
		assert.Equal(t, http.StatusForbidden, do("PUT", p.URL, []byte("hello"), http.Header{"Content-Type": {"text/html"}}), "another type than signed")
		assert.Equal(t, http.StatusOK, do("PUT", p.URL, []byte("hello"), http.Header{"Content-Type": {"image/png"}}))

		e, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("a.txt")}, s3.WithPresignExpires(time.Second))
		require.NoError(t, err)
		time.Sleep(2100 * time.Millisecond)
		assert.Equal(t, http.StatusForbidden, do("GET", e.URL, nil, nil), "an expired URL")
	})
	t.Run("refuses a taken port with a sentence", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		_, err = localcloud.S3(ctx, localcloud.Options{Root: root, Port: ln.Addr().(*net.TCPAddr).Port})
		require.Error(t, err)
		assert.True(t, errors.Is(err, localcloud.ErrPortTaken))
		assert.Contains(t, err.Error(), "the local S3 (versitygw) wants port")
	})
	t.Run("says how to install it when missing", func(t *testing.T) {
		_, err := localcloud.S3(ctx, localcloud.Options{Root: t.TempDir(), Port: 1})
		require.ErrorContains(t, err, "make tools")
	})
}

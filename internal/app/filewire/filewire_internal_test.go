package filewire

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// registry is tenant records by id (core.TenantReader).
type registry map[string]tenant.Tenant

func (r registry) Get(_ context.Context, id string) (tenant.Tenant, error) {
	t, ok := r[id]
	if !ok {
		return tenant.Tenant{}, errs.NotFound("tenant")
	}
	return t, nil
}

// The attachments function signs downloads as its environment says: with
// the download distribution's three variables (AWS with a download key),
// the pooled bucket's downloads are CloudFront signed URLs with the key
// from the secret and a Platinum bucket's stay presigned S3 GETs; without
// them (make dev, or AWS without a key) presigned S3 GETs, re-based on the
// download origin when one is set (the local gateway's /files).
func TestTheAttachmentsFunctionChoosesItsDownloadSigner(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	c := s3signed.Client{Config: cfg}
	pooled := attachment.Attachment{Bucket: "issuetracker-files", Key: "acme/01I/01J", Filename: "a.txt", ContentType: "text/plain"}
	silo := pooled
	silo.TenantID, silo.Bucket = "umbrella", "issuetracker-tenant-umbrella-files"
	withEnv := func(env map[string]string) {
		for _, k := range append([]string{EnvDownloadBase}, envvars.CloudFrontDownloads...) {
			t.Setenv(k, env[k])
		}
	}
	host := func(objs interface {
		PresignGet(context.Context, attachment.Attachment, time.Duration) (string, error)
	}, a attachment.Attachment) url.Values {
		raw, err := objs.PresignGet(context.Background(), a, time.Minute)
		require.NoError(t, err)
		u, err := url.Parse(raw)
		require.NoError(t, err)
		q := u.Query()
		q.Set("host", u.Scheme+"://"+u.Host)
		return q
	}

	t.Run("locally, presigned GETs through the download origin", func(t *testing.T) {
		withEnv(map[string]string{EnvDownloadBase: "http://localhost:18380/files"})
		objs := attachmentObjects(cfg, c, pooled.Bucket, nil)
		assert.Nil(t, objs.CloudFront)
		q := host(objs, pooled)
		assert.Equal(t, "http://localhost:18380", q.Get("host"))
		assert.NotEmpty(t, q.Get("X-Amz-Signature"))
	})

	t.Run("in AWS with the distribution, CloudFront signed URLs for the pooled bucket", func(t *testing.T) {
		withEnv(map[string]string{
			envvars.AttachmentsCloudFrontBase:      "https://d111111abcdef8.cloudfront.net",
			envvars.AttachmentsCloudFrontKeyPairID: "K2JCJMDEHXQW5F",
			envvars.AttachmentsCloudFrontKeySecret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:issuetracker/downloads/private-key",
		})
		objs := attachmentObjects(cfg, c, pooled.Bucket, nil)
		require.NotNil(t, objs.CloudFront)
		assert.Equal(t, pooled.Bucket, objs.CloudFront.Bucket)
		// The secret's value, as Secrets Manager would give it.
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		reads := 0
		objs.CloudFront.Key = func(context.Context) (string, error) {
			reads++
			return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})), nil
		}
		q := host(objs, pooled)
		assert.Equal(t, "https://d111111abcdef8.cloudfront.net", q.Get("host"))
		assert.Equal(t, "K2JCJMDEHXQW5F", q.Get("Key-Pair-Id"))
		assert.NotEmpty(t, q.Get("Signature"))
		assert.Equal(t, "attachment; filename=a.txt", q.Get("response-content-disposition"))
		host(objs, pooled)
		assert.Equal(t, 1, reads, "the key is read once per cold start")

		q = host(objs, silo)
		assert.NotEqual(t, "https://d111111abcdef8.cloudfront.net", q.Get("host"), "a Platinum bucket is not behind it")
		assert.NotEmpty(t, q.Get("X-Amz-Signature"))
	})

	t.Run("in AWS, a Platinum tenant's downloads at its stack's distribution, as its record says", func(t *testing.T) {
		withEnv(map[string]string{
			envvars.AttachmentsCloudFrontBase:      "https://d111111abcdef8.cloudfront.net",
			envvars.AttachmentsCloudFrontKeyPairID: "K2JCJMDEHXQW5F",
			envvars.AttachmentsCloudFrontKeySecret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:issuetracker/downloads/private-key",
		})
		reg := registry{
			"umbrella": {ID: "umbrella", Downloads: &tenant.Downloads{Domain: "d222222umbrella.cloudfront.net", KeyPairID: "KUMBRELLAOWN1"}},
			"initech":  {ID: "initech", Downloads: &tenant.Downloads{Domain: "d333333initech.cloudfront.net"}},
			"hooli":    {ID: "hooli"},
		}
		objs := attachmentObjects(cfg, c, pooled.Bucket, reg)
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		objs.CloudFront.PrivateKey = key
		q := host(objs, silo)
		assert.Equal(t, "https://d222222umbrella.cloudfront.net", q.Get("host"), "the tenant stack's distribution")
		assert.Equal(t, "KUMBRELLAOWN1", q.Get("Key-Pair-Id"), "the key pair of the tenant's own key group")
		assert.Empty(t, q.Get("X-Amz-Signature"))
		other := silo
		other.TenantID, other.Bucket = "initech", "issuetracker-tenant-initech-files"
		q = host(objs, other)
		assert.Equal(t, "https://d333333initech.cloudfront.net", q.Get("host"))
		assert.Equal(t, "K2JCJMDEHXQW5F", q.Get("Key-Pair-Id"), "a stack trusting the platform's key group: the platform's key")
		assert.Equal(t, "https://d111111abcdef8.cloudfront.net", host(objs, pooled).Get("host"))
		other.TenantID, other.Bucket = "hooli", "issuetracker-tenant-hooli-files"
		assert.NotEmpty(t, host(objs, other).Get("X-Amz-Signature"), "no distribution recorded: presigned GET")
	})

	t.Run("a partial configuration keeps presigned GETs", func(t *testing.T) {
		withEnv(map[string]string{envvars.AttachmentsCloudFrontBase: "https://d111111abcdef8.cloudfront.net"})
		assert.Nil(t, attachmentObjects(cfg, c, pooled.Bucket, nil).CloudFront)
	})
}

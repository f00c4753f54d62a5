// Package s3archive keeps offboarding exports in an S3 bucket
// (onboarding.Archive): the exports bucket of the platform stack in AWS, a
// bucket on the local S3 under `make dev` and in tests.
package s3archive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// Environment variables of the functions that offboard (internal/envvars).
const (
	EnvBucket = envvars.ExportBucket
	EnvKMSKey = envvars.ExportKMSKey
)

// Archive stores each export as one object. Server-side encryption is
// always requested: with the bucket's KMS key when KMSKeyID is set (AWS),
// else SSE-S3 (AES256), so an object is never written in the clear even if
// the bucket's default encryption were changed. The PutObject is
// hand-signed (s3signed), not the SDK's S3 client (issue 19).
type Archive struct {
	C      s3signed.Client
	Bucket string
	// KMSKeyID is the bucket's key (id or ARN). Naming it matters: aws:kms
	// without a key id would use the account's aws/s3 key instead.
	KMSKeyID string
	// Prefix goes before every key, e.g. "exports/". Default: none.
	Prefix string
}

var _ onboarding.Archive = Archive{}

// Key is the object key of an export name ("<tenant>/<tenant>-<time>.jsonl.gz").
func (a Archive) Key(name string) string { return a.Prefix + strings.TrimLeft(name, "/") }

// Store implements onboarding.Archive and returns s3://bucket/key.
func (a Archive) Store(ctx context.Context, name string, body []byte) (string, error) {
	if a.Bucket == "" {
		return "", errors.New("store export: no bucket configured (" + EnvBucket + ")")
	}
	h := http.Header{"Content-Type": {"application/gzip"}, "X-Amz-Server-Side-Encryption": {"AES256"}}
	if a.KMSKeyID != "" {
		h.Set("X-Amz-Server-Side-Encryption", "aws:kms")
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", a.KMSKeyID)
		h.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true")
	}
	if err := a.C.Put(ctx, a.Bucket, a.Key(name), body, h); err != nil {
		return "", fmt.Errorf("store export %s in %s: %w", a.Key(name), a.Bucket, err)
	}
	return "s3://" + a.Bucket + "/" + a.Key(name), nil
}

// EnsureBucket creates the bucket if it does not exist (the local platform;
// in AWS the platform stack owns it).
func EnsureBucket(ctx context.Context, c s3signed.Client, bucket string) error {
	if err := c.CreateBucket(ctx, bucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

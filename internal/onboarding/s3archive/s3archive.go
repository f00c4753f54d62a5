// Package s3archive keeps offboarding exports in an S3 bucket
// (onboarding.Archive): the exports bucket of the platform stack in AWS, a
// bucket on the local S3 under `make dev` and in tests.
package s3archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
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
// the bucket's default encryption were changed.
type Archive struct {
	C      *s3.Client
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
	in := &s3.PutObjectInput{
		Bucket: aws.String(a.Bucket), Key: aws.String(a.Key(name)), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/gzip"),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	}
	if a.KMSKeyID != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = types.ServerSideEncryptionAwsKms, aws.String(a.KMSKeyID), aws.Bool(true)
	}
	if _, err := a.C.PutObject(ctx, in); err != nil {
		return "", fmt.Errorf("store export %s in %s: %w", a.Key(name), a.Bucket, err)
	}
	return "s3://" + a.Bucket + "/" + a.Key(name), nil
}

// EnsureBucket creates the bucket if it does not exist (the local platform;
// in AWS the platform stack owns it).
func EnsureBucket(ctx context.Context, c *s3.Client, bucket string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

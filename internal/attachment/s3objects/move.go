package s3objects

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/issuetracker/issuetracker/internal/attachment"
)

// A move between cells (onboarding.FileMover) copies a tenant's objects
// from one cell's bucket to another's with CopyObject (S3 to S3, the bytes
// do not pass through the function), as the tenant: in AWS the tenant
// access role reaches the tenant's prefix in both buckets. Objects are
// immutable (each upload is a new key, written once with If-None-Match),
// so an object of the same key and size is the same object.

// ListFiles implements onboarding.FileMover: the tenant's objects in
// bucket, key -> size (none when the bucket does not exist).
func (o *Objects) ListFiles(ctx context.Context, tenantID, bucket string) (map[string]int64, error) {
	out := map[string]int64{}
	token := ""
	for {
		page, next, err := o.S3.List(ctx, bucket, attachment.TenantPrefix(tenantID), token)
		if notFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list the objects of %s in %s: %w", tenantID, bucket, err)
		}
		for _, c := range page {
			out[c.Key] = c.Size
		}
		if next == "" {
			break
		}
		token = next
	}
	return out, nil
}

// SyncFiles implements onboarding.FileMover.
func (o *Objects) SyncFiles(ctx context.Context, tenantID, from, to string) (int, error) {
	if err := o.ensure(ctx, to); err != nil {
		return 0, err
	}
	src, err := o.ListFiles(ctx, tenantID, from)
	if err != nil {
		return 0, err
	}
	dst, err := o.ListFiles(ctx, tenantID, to)
	if err != nil {
		return 0, err
	}
	n := 0
	for key, size := range src {
		if have, ok := dst[key]; ok && have == size {
			continue
		}
		if err := o.S3.Copy(ctx, to, key, copySource(from, key)); err != nil {
			if notFound(err) {
				continue // deleted since the listing (the attachment was removed)
			}
			return n, fmt.Errorf("copy %s from %s to %s: %w", key, from, to, err)
		}
		n++
	}
	return n, nil
}

// DropFiles implements onboarding.FileMover.
func (o *Objects) DropFiles(ctx context.Context, tenantID, bucket string) (int, error) {
	return o.DeletePrefix(ctx, bucket, attachment.TenantPrefix(tenantID))
}

// copySource is CopyObject's x-amz-copy-source: bucket/key, URL-encoded
// segment by segment.
func copySource(bucket, key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return bucket + "/" + strings.Join(parts, "/")
}

// Package s3objects keeps attachment bytes in S3 (the local S3, versitygw,
// in make dev and tests). Uploads are presigned PUTs that sign the length,
// type and SHA-256 of the body and If-None-Match: *, so S3 itself refuses
// any other body and any overwrite. Downloads are presigned GETs that set
// the type and Content-Disposition; they are served through a download
// origin that adds X-Content-Type-Options: nosniff (S3 cannot add headers):
// a CloudFront distribution in AWS, the local gateway's /files/ proxy
// locally (DownloadBase).
package s3objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/issuetracker/issuetracker/internal/attachment"
)

// Objects implements attachment.Objects.
type Objects struct {
	// S3 reads and deletes objects; in AWS it signs with the tenant access
	// role's credentials for the caller's tenant (tenantcreds.ScopedS3), so
	// it reaches only the tenant's prefix.
	S3 *s3.Client
	// Presign signs uploads (usually S3's presigner).
	Presign *s3.PresignClient
	// Downloads signs downloads path-style for the download origin; nil:
	// Presign.
	Downloads *s3.PresignClient
	// DownloadBase replaces the scheme and host of download URLs (the
	// local gateway's /files); "" keeps S3's.
	DownloadBase string
	// CloudFront, if set, serves the downloads of the buckets it has a
	// distribution for (the pooled one, a Platinum tenant's own) with
	// CloudFront signed URLs (AWS: nosniff from the distribution's headers
	// policy); other buckets keep presigned GETs.
	CloudFront *CloudFront
	// CORSOrigins, with CreateBuckets, is the browser origins a bucket
	// created here accepts uploads from.
	CORSOrigins []string
	// CreateBuckets makes missing buckets on first use (the local S3 only:
	// in AWS the stacks own them).
	CreateBuckets bool

	mu      sync.Mutex
	created map[string]bool
}

// New builds Objects on one client (and its presigner).
func New(c *s3.Client) *Objects {
	return &Objects{S3: c, Presign: s3.NewPresignClient(c)}
}

// PresignPut implements attachment.Objects.
func (o *Objects) PresignPut(ctx context.Context, a attachment.Attachment, ttl time.Duration) (string, map[string]string, error) {
	if err := o.ensure(ctx, a.Bucket); err != nil {
		return "", nil, err
	}
	req, err := o.Presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(a.Bucket), Key: aws.String(a.Key),
		ContentLength: aws.Int64(a.Size), ContentType: aws.String(a.ContentType),
		ChecksumSHA256: aws.String(a.SHA256), IfNoneMatch: aws.String("*"),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", nil, fmt.Errorf("presign upload: %w", err)
	}
	// The browser sets Host and Content-Length itself; the rest it must send.
	h := map[string]string{}
	for k, v := range req.SignedHeader {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length":
		default:
			h[http.CanonicalHeaderKey(k)] = strings.Join(v, ",")
		}
	}
	return req.URL, h, nil
}

// PresignGet implements attachment.Objects.
func (o *Objects) PresignGet(ctx context.Context, a attachment.Attachment, ttl time.Duration) (string, error) {
	if o.CloudFront != nil {
		site, ok, err := o.CloudFront.SiteOf(ctx, a)
		if err != nil {
			return "", err
		}
		if ok {
			return o.CloudFront.Sign(ctx, site, a, time.Now().Add(ttl))
		}
	}
	p := o.Downloads
	if p == nil {
		p = o.Presign
	}
	req, err := p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(a.Key),
		ResponseContentType: aws.String(a.ContentType), ResponseContentDisposition: aws.String(a.Disposition()),
		ResponseCacheControl: aws.String("private, no-store")}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign download: %w", err)
	}
	return Rebase(req.URL, o.DownloadBase)
}

// Rebase serves a presigned URL from base (scheme, host and an optional
// path prefix): the path and query, which the signature covers, are kept;
// the origin behind base forwards them to S3 with S3's host.
func Rebase(raw, base string) (string, error) {
	if base == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("download base %q: %w", base, err)
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	u.Path = strings.TrimSuffix(b.Path, "/") + u.Path
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(b.Path, "/") + u.RawPath
	}
	return u.String(), nil
}

// Stat implements attachment.Objects: HEAD with the checksum, then the
// first bytes for the content check.
func (o *Objects) Stat(ctx context.Context, bucket, key string) (attachment.ObjectInfo, error) {
	h, err := o.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	// A tenant's session may read its own keys (the only ones the service
	// asks for) and list only under its prefix; should S3 not count that
	// ListBucket for a HEAD, a missing object is a 403 rather than a 404:
	// either means nothing was uploaded.
	if notFound(err) || forbidden(err) {
		return attachment.ObjectInfo{}, attachment.ErrNoObject
	}
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("head object: %w", err)
	}
	info := attachment.ObjectInfo{Size: aws.ToInt64(h.ContentLength), ContentType: aws.ToString(h.ContentType), SHA256: aws.ToString(h.ChecksumSHA256)}
	if info.Size == 0 {
		return info, nil
	}
	g, err := o.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", attachment.SniffLen-1)), IfMatch: h.ETag})
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("read object head: %w", err)
	}
	defer g.Body.Close()
	info.Head, err = io.ReadAll(io.LimitReader(g.Body, attachment.SniffLen))
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("read object head: %w", err)
	}
	return info, nil
}

// Delete implements attachment.Objects.
func (o *Objects) Delete(ctx context.Context, bucket, key string) error {
	_, err := o.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete object: %w", err)
	}
	return nil
}

// DeletePrefix implements attachment.Objects: a page of keys at a time,
// each page in one DeleteObjects call.
func (o *Objects) DeletePrefix(ctx context.Context, bucket, prefix string) (int, error) {
	n := 0
	p := s3.NewListObjectsV2Paginator(o.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notFound(err) {
			return n, nil // no bucket, nothing to delete
		}
		if err != nil {
			return n, fmt.Errorf("list objects under %s: %w", prefix, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, c := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: c.Key}
		}
		out, err := o.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return n, fmt.Errorf("delete objects under %s: %w", prefix, err)
		}
		if len(out.Errors) > 0 {
			return n, fmt.Errorf("delete %s: %s", aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
		}
		n += len(ids)
	}
	return n, nil
}

// ensure creates a bucket (with the upload CORS rule) once per process
// when CreateBuckets is set.
func (o *Objects) ensure(ctx context.Context, bucket string) error {
	if !o.CreateBuckets {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.created[bucket] {
		return nil
	}
	if err := EnsureBucket(ctx, o.S3, bucket, o.CORSOrigins); err != nil {
		return err
	}
	if o.created == nil {
		o.created = map[string]bool{}
	}
	o.created[bucket] = true
	return nil
}

// EnsureBucket creates an attachments bucket on the local S3 if missing and
// sets the CORS rule the stacks give the real ones: the web origins may
// PUT (uploads) and GET.
func EnsureBucket(ctx context.Context, c *s3.Client, bucket string, origins []string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if len(origins) == 0 {
		return nil
	}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{CORSRule(origins)}}})
	if err != nil {
		return fmt.Errorf("bucket %s CORS: %w", bucket, err)
	}
	return nil
}

// CORSRule is the one CORS rule of attachment buckets (the CDK app renders
// the same): browsers of the web origins may PUT with the signed headers.
func CORSRule(origins []string) types.CORSRule {
	return types.CORSRule{AllowedMethods: attachment.CORSMethods, AllowedOrigins: origins,
		AllowedHeaders: attachment.CORSHeaders, ExposeHeaders: attachment.CORSExposeHeaders, MaxAgeSeconds: aws.Int32(attachment.CORSMaxAgeSeconds)}
}

// forbidden is S3's answer to a HEAD the caller may not see the answer of.
func forbidden(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Forbidden", "AccessDenied", "403":
			return true
		}
	}
	return false
}

func notFound(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchBucket", "404":
			return true
		}
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf)
}

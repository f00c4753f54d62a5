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
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
)

// Objects implements attachment.Objects.
type Objects struct {
	// S3 signs the calls and the presigned URLs (hand-signed: s3signed);
	// in AWS it signs with the tenant access role's credentials for the
	// caller's tenant (s3signed.Scoped), so it reaches only the tenant's
	// prefix.
	S3 s3signed.Client
	// PathStyleDownloads presigns downloads path-style
	// (https://s3.<region>.amazonaws.com/<bucket>/<key>), for a download
	// origin that forwards them; uploads stay virtual-hosted. A local
	// endpoint is always path-style.
	PathStyleDownloads bool
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

// New builds Objects on one client.
func New(c s3signed.Client) *Objects {
	return &Objects{S3: c}
}

// PresignPut implements attachment.Objects.
func (o *Objects) PresignPut(ctx context.Context, a attachment.Attachment, ttl time.Duration) (string, map[string]string, error) {
	if err := o.ensure(ctx, a.Bucket); err != nil {
		return "", nil, err
	}
	u, signed, err := o.S3.Presign(ctx, http.MethodPut, a.Bucket, a.Key, "PutObject", false, nil, http.Header{
		"Content-Length": {strconv.FormatInt(a.Size, 10)}, "Content-Type": {a.ContentType},
		"X-Amz-Checksum-Sha256": {a.SHA256}, "If-None-Match": {"*"},
	}, ttl)
	if err != nil {
		return "", nil, fmt.Errorf("presign upload: %w", err)
	}
	// The browser sets Host and Content-Length itself; the rest it must send.
	h := map[string]string{}
	for k, v := range signed {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length":
		default:
			h[http.CanonicalHeaderKey(k)] = strings.Join(v, ",")
		}
	}
	return u, h, nil
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
	u, _, err := o.S3.Presign(ctx, http.MethodGet, a.Bucket, a.Key, "GetObject", o.PathStyleDownloads, url.Values{
		"response-content-type": {a.ContentType}, "response-content-disposition": {a.Disposition()},
		"response-cache-control": {"private, no-store"},
	}, nil, ttl)
	if err != nil {
		return "", fmt.Errorf("presign download: %w", err)
	}
	return Rebase(u, o.DownloadBase)
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
	h, err := o.S3.Head(ctx, bucket, key, true)
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
	size, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("head object: Content-Length %q", h.Get("Content-Length"))
	}
	info := attachment.ObjectInfo{Size: size, ContentType: h.Get("Content-Type"), SHA256: h.Get("X-Amz-Checksum-Sha256")}
	if info.Size == 0 {
		return info, nil
	}
	g, err := o.S3.Get(ctx, bucket, key, http.Header{"Range": {fmt.Sprintf("bytes=0-%d", attachment.SniffLen-1)}, "If-Match": {h.Get("Etag")}})
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("read object head: %w", err)
	}
	defer g.Close()
	info.Head, err = io.ReadAll(io.LimitReader(g, attachment.SniffLen))
	if err != nil {
		return attachment.ObjectInfo{}, fmt.Errorf("read object head: %w", err)
	}
	return info, nil
}

// Delete implements attachment.Objects.
func (o *Objects) Delete(ctx context.Context, bucket, key string) error {
	err := o.S3.Delete(ctx, bucket, key)
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete object: %w", err)
	}
	return nil
}

// DeletePrefix implements attachment.Objects: a page of keys at a time,
// each page in one DeleteObjects call.
func (o *Objects) DeletePrefix(ctx context.Context, bucket, prefix string) (int, error) {
	n := 0
	token := ""
	for {
		page, next, err := o.S3.List(ctx, bucket, prefix, token)
		if notFound(err) {
			return n, nil // no bucket, nothing to delete
		}
		if err != nil {
			return n, fmt.Errorf("list objects under %s: %w", prefix, err)
		}
		if len(page) > 0 {
			keys := make([]string, len(page))
			for i, c := range page {
				keys[i] = c.Key
			}
			if err := o.S3.DeleteObjects(ctx, bucket, keys); err != nil {
				return n, fmt.Errorf("delete objects under %s: %w", prefix, err)
			}
			n += len(keys)
		}
		if next == "" {
			return n, nil
		}
		token = next
	}
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
func EnsureBucket(ctx context.Context, c s3signed.Client, bucket string, origins []string) error {
	if err := c.CreateBucket(ctx, bucket); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if len(origins) == 0 {
		return nil
	}
	if err := c.PutBucketCORS(ctx, bucket, CORSRule(origins)); err != nil {
		return fmt.Errorf("bucket %s CORS: %w", bucket, err)
	}
	return nil
}

// CORSRule is the one CORS rule of attachment buckets (the CDK app renders
// the same): browsers of the web origins may PUT with the signed headers.
func CORSRule(origins []string) s3signed.CORSRule {
	return s3signed.CORSRule{AllowedMethods: attachment.CORSMethods, AllowedOrigins: origins,
		AllowedHeaders: attachment.CORSHeaders, ExposeHeaders: attachment.CORSExposeHeaders, MaxAgeSeconds: attachment.CORSMaxAgeSeconds}
}

// forbidden is S3's answer to a HEAD the caller may not see the answer of.
func forbidden(err error) bool {
	return awsjson.IsCode(err, "Forbidden", "AccessDenied", "403")
}

func notFound(err error) bool {
	return awsjson.IsCode(err, "NotFound", "NoSuchKey", "NoSuchBucket", "404")
}

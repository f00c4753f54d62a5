package s3objects

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/issuetracker/issuetracker/internal/attachment"
)

// CloudFront serves downloads of one bucket (the pooled attachments
// bucket) through a CloudFront distribution in front of it (origin access
// control): the distribution's response headers policy adds
// X-Content-Type-Options: nosniff, which a presigned S3 GET cannot carry,
// and keeps the Content-Disposition S3 answers. URLs are signed with the
// private key of the distribution's trusted key group (canned policy:
// the whole URL, query included, until it expires), with the SDK's
// CloudFront signer rather than our own.
type CloudFront struct {
	// Bucket is the bucket behind the distribution; other buckets (a
	// Platinum tenant's own) keep presigned S3 GETs.
	Bucket string
	// Base is the distribution's origin, e.g. https://d111111abcdef8.cloudfront.net.
	Base string
	// Signer signs with the key group's key pair id and private key.
	Signer *sign.URLSigner
}

// Query parameters the distribution forwards to S3 (its origin request
// policy allows exactly these): S3 answers with them as the response's
// Content-Type, Content-Disposition and Cache-Control.
var CloudFrontQuery = []string{"response-cache-control", "response-content-disposition", "response-content-type"}

// URL is the signed download URL of a, valid until expires.
func (c CloudFront) URL(a attachment.Attachment, expires time.Time) (string, error) {
	b, err := url.Parse(c.Base)
	if err != nil || b.Scheme != "https" || b.Host == "" {
		return "", fmt.Errorf("cloudfront download base %q: want https://host", c.Base)
	}
	q := url.Values{}
	q.Set("response-cache-control", "private, no-store")
	q.Set("response-content-disposition", a.Disposition())
	q.Set("response-content-type", a.ContentType)
	u := url.URL{Scheme: b.Scheme, Host: b.Host, Path: strings.TrimSuffix(b.Path, "/") + "/" + a.Key, RawQuery: q.Encode()}
	signed, err := c.Signer.Sign(u.String(), expires)
	if err != nil {
		return "", fmt.Errorf("sign download: %w", err)
	}
	return signed, nil
}

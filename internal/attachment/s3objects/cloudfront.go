package s3objects

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/issuetracker/issuetracker/internal/attachment"
)

// CloudFront serves downloads of one bucket (the pooled attachments
// bucket) through a CloudFront distribution in front of it (origin access
// control; constructs/filestore): the distribution's response headers
// policy adds X-Content-Type-Options: nosniff, which a presigned S3 GET
// cannot carry, and forwards S3's response overrides, so S3 answers with
// the signed Content-Disposition. URLs are signed with the private key of
// the distribution's trusted key group (canned policy: the whole URL,
// query included, until it expires), with the SDK's CloudFront signer
// rather than our own.
type CloudFront struct {
	// Bucket is the bucket behind the distribution; other buckets (a
	// Platinum tenant's own) keep presigned S3 GETs.
	Bucket string
	// Base is the distribution's origin, e.g. https://d111111abcdef8.cloudfront.net.
	Base string
	// Signer signs with the key group's key pair id and private key; nil:
	// built once from Key.
	Signer *sign.URLSigner
	// KeyPairID and Key (the PEM private key, read from Secrets Manager on
	// the first download of a cold start) build Signer when it is nil.
	KeyPairID string
	Key       func(context.Context) (string, error)

	once   sync.Mutex
	loaded *sign.URLSigner
}

// CloudFrontQuery are the query parameters the distribution forwards to S3.
var CloudFrontQuery = attachment.DownloadQuery

// URL is the signed download URL of a, valid until expires.
func (c *CloudFront) URL(ctx context.Context, a attachment.Attachment, expires time.Time) (string, error) {
	b, err := url.Parse(c.Base)
	if err != nil || b.Scheme != "https" || b.Host == "" {
		return "", fmt.Errorf("cloudfront download base %q: want https://host", c.Base)
	}
	s, err := c.signer(ctx)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("response-cache-control", attachment.DownloadCacheControl)
	q.Set("response-content-disposition", a.Disposition())
	q.Set("response-content-type", a.ContentType)
	u := url.URL{Scheme: b.Scheme, Host: b.Host, Path: strings.TrimSuffix(b.Path, "/") + "/" + a.Key, RawQuery: q.Encode()}
	signed, err := s.Sign(u.String(), expires)
	if err != nil {
		return "", fmt.Errorf("sign download: %w", err)
	}
	return signed, nil
}

// signer is Signer, or the one built from Key (retried after a failure).
func (c *CloudFront) signer(ctx context.Context) (*sign.URLSigner, error) {
	if c.Signer != nil {
		return c.Signer, nil
	}
	c.once.Lock()
	defer c.once.Unlock()
	if c.loaded != nil {
		return c.loaded, nil
	}
	if c.Key == nil || c.KeyPairID == "" {
		return nil, errors.New("cloudfront downloads: no signing key")
	}
	raw, err := c.Key(ctx)
	if err != nil {
		return nil, fmt.Errorf("cloudfront signing key: %w", err)
	}
	k, err := ParsePrivateKey(raw)
	if err != nil {
		return nil, err
	}
	c.loaded = sign.NewURLSigner(c.KeyPairID, k)
	return c.loaded, nil
}

// ParsePrivateKey reads an RSA private key in PEM, PKCS #1 or PKCS #8
// (what `openssl genrsa` and `openssl genpkey` write), with the SDK's
// loaders.
func ParsePrivateKey(raw string) (*rsa.PrivateKey, error) {
	if k, err := sign.LoadPEMPrivKey(strings.NewReader(raw)); err == nil {
		return k, nil
	}
	k, err := sign.LoadPEMPrivKeyPKCS8(strings.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("cloudfront signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("cloudfront signing key: not an RSA key")
	}
	return rk, nil
}

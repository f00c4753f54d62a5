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

// CloudFront serves downloads through CloudFront distributions in front of
// the attachments buckets (origin access control; constructs/filestore):
// the pooled bucket's (Bucket, Base), and a Platinum tenant's own bucket's
// (Silo: its stack's distribution, recorded on the tenant). The
// distribution's response headers policy adds X-Content-Type-Options:
// nosniff, which a presigned S3 GET cannot carry, and forwards S3's
// response overrides, so S3 answers with the signed Content-Disposition.
// URLs are signed with the private key of the distributions' trusted key
// group (canned policy: the whole URL, query included, until it expires),
// with the SDK's CloudFront signer rather than our own. One private key
// signs for every distribution; each names the public key its key group
// holds it under (KeyPairID, or the tenant's own in its own account).
type CloudFront struct {
	// Bucket is the pooled bucket, behind the distribution at Base, e.g.
	// https://d111111abcdef8.cloudfront.net.
	Bucket string
	Base   string
	// KeyPairID is the CloudFront public key id of the signing key (the
	// key the deployment names: during a rotation the key group holds two,
	// docs/deploy.md).
	KeyPairID string
	// PrivateKey signs; nil: read once from Key (the PEM private key, from
	// Secrets Manager on the first download of a cold start).
	PrivateKey *rsa.PrivateKey
	Key        func(context.Context) (string, error)
	// Silo finds the download distribution of a tenant's own bucket (any
	// bucket but Bucket); found false, or nil Silo, keeps S3's presigned
	// GET for it (a tenant stack without a distribution).
	Silo func(ctx context.Context, tenantID string) (site Site, found bool, err error)

	once   sync.Mutex
	loaded *rsa.PrivateKey
}

// Site is a download distribution: its https origin and the key pair id
// its URLs name ("": the CloudFront's KeyPairID).
type Site struct {
	Base      string
	KeyPairID string
}

// CloudFrontQuery are the query parameters the distribution forwards to S3.
var CloudFrontQuery = attachment.DownloadQuery

// SiteOf is the distribution serving a's bucket; false when none does.
func (c *CloudFront) SiteOf(ctx context.Context, a attachment.Attachment) (Site, bool, error) {
	if a.Bucket == c.Bucket {
		return Site{Base: c.Base, KeyPairID: c.KeyPairID}, true, nil
	}
	if c.Silo == nil {
		return Site{}, false, nil
	}
	s, ok, err := c.Silo(ctx, a.TenantID)
	if err != nil {
		return Site{}, false, fmt.Errorf("download distribution of %s: %w", a.TenantID, err)
	}
	if !ok || s.Base == "" {
		return Site{}, false, nil
	}
	if s.KeyPairID == "" {
		s.KeyPairID = c.KeyPairID
	}
	return s, true, nil
}

// URL is the signed download URL of a at the distribution serving its
// bucket, valid until expires; an error when none serves it.
func (c *CloudFront) URL(ctx context.Context, a attachment.Attachment, expires time.Time) (string, error) {
	site, ok, err := c.SiteOf(ctx, a)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no download distribution serves bucket %s", a.Bucket)
	}
	return c.Sign(ctx, site, a, expires)
}

// Sign is a's download URL at site, valid until expires.
func (c *CloudFront) Sign(ctx context.Context, site Site, a attachment.Attachment, expires time.Time) (string, error) {
	b, err := url.Parse(site.Base)
	if err != nil || b.Scheme != "https" || b.Host == "" {
		return "", fmt.Errorf("cloudfront download base %q: want https://host", site.Base)
	}
	if site.KeyPairID == "" {
		return "", errors.New("cloudfront downloads: no key pair id")
	}
	k, err := c.privateKey(ctx)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("response-cache-control", attachment.DownloadCacheControl)
	q.Set("response-content-disposition", a.Disposition())
	q.Set("response-content-type", a.ContentType)
	u := url.URL{Scheme: b.Scheme, Host: b.Host, Path: strings.TrimSuffix(b.Path, "/") + "/" + a.Key, RawQuery: q.Encode()}
	signed, err := sign.NewURLSigner(site.KeyPairID, k).Sign(u.String(), expires)
	if err != nil {
		return "", fmt.Errorf("sign download: %w", err)
	}
	return signed, nil
}

// privateKey is PrivateKey, or the one read from Key (retried after a
// failure).
func (c *CloudFront) privateKey(ctx context.Context) (*rsa.PrivateKey, error) {
	if c.PrivateKey != nil {
		return c.PrivateKey, nil
	}
	c.once.Lock()
	defer c.once.Unlock()
	if c.loaded != nil {
		return c.loaded, nil
	}
	if c.Key == nil {
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
	c.loaded = k
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

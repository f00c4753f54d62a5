// Package awss3 builds the S3 client (awsx's configuration and local
// endpoint). It is apart from awsx so that the functions that never touch
// object storage do not link the S3 client, whose package initialisation
// (endpoint tables) every cold start would pay for (issue 19).
package awss3

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// New builds an S3 client for cfg and e. The local server is addressed
// path-style (http://127.0.0.1:4569/<bucket>/<key>): bucket subdomains of
// a loopback address do not resolve.
func New(cfg aws.Config, e awsx.Endpoints) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if e.S3 != "" {
			o.BaseEndpoint = aws.String(e.S3)
			o.UsePathStyle = true
		}
	})
}

// Scoped returns a copy of c whose calls (and presigned URLs) are signed
// per tenant by p: in AWS the tenant access role lets a tenant's session
// reach only its own prefix of the attachments bucket and its own bucket.
func Scoped(c *s3.Client, p *tenantcreds.Provider) *s3.Client {
	opts := c.Options()
	if p.Base == nil {
		p.Base = opts.Credentials
	}
	opts.Credentials = p
	return s3.New(opts)
}

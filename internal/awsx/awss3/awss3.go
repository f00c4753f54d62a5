// Package awss3 builds the SDK's S3 client (awsx's configuration and local
// endpoint) for the tools and tests. No function links it: their S3 calls
// are hand-signed (awsx/s3signed; issue 19).
package awss3

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/issuetracker/issuetracker/internal/awsx"
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

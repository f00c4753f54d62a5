package filestore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudfront"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/attachment"
)

// DownloadsProps configures a bucket's download distribution.
type DownloadsProps struct {
	// KeyGroup holds the public key whose private key signs the download
	// URLs (s3objects.CloudFront). Required.
	KeyGroup awscloudfront.IKeyGroup
	// Logs receives CloudFront's standard logs under LogsPrefix (a bucket
	// that accepts ACL writes). Default: a log bucket of its own (kept 400
	// days, like the bucket's access logs).
	Logs       awss3.IBucket
	LogsPrefix string
	// DenyPresignedGets refuses S3 presigned GETs of the bucket (query
	// string auth), so a download cannot bypass the distribution's
	// headers. Set it once the function signs CloudFront URLs for this
	// bucket: presigned PUTs (uploads) and the functions' header-signed
	// HEAD and GET (the upload check) are not affected.
	DenyPresignedGets bool
}

// Downloads is the CloudFront distribution that serves a bucket's files:
// signed URLs only (the key group), the bucket read through origin access
// control, nothing cached, and the headers S3 cannot add.
type Downloads struct {
	constructs.Construct
	Distribution  awscloudfront.Distribution
	Logs          awss3.IBucket
	Headers       awscloudfront.ResponseHeadersPolicy
	OriginRequest awscloudfront.OriginRequestPolicy
}

// KeyFingerprint names a download public key: the first 12 hex digits of
// the SHA-256 of its DER, what
//
//	openssl pkey -pubin -in downloads.pub.pem -outform DER | sha256sum | cut -c1-12
//
// prints. The key's resources are named by it (NewSigningKeys, the
// platform's private-key secret), so a key keeps its CloudFront key id
// from the deploy that adds it to the one that removes it, whatever else
// a rotation changes. It panics on a PEM that is not one.
func KeyFingerprint(publicKeyPEM string) string {
	b, _ := pem.Decode([]byte(strings.TrimSpace(publicKeyPEM)))
	if b == nil {
		panic(fmt.Sprintf("filestore: not a PEM public key: %.40q", publicKeyPEM))
	}
	sum := sha256.Sum256(b.Bytes)
	return hex.EncodeToString(sum[:])[:12]
}

// NewSigningKeys defines a CloudFront public key per PEM (the private keys
// stay in Secrets Manager: never in a template), each named by its
// fingerprint (PublicKey<fingerprint>), and the key group trusting them
// all: the current key, and the next one during a rotation (docs/deploy.md,
// "Attachment downloads"). The keys are returned in the order given.
func NewSigningKeys(scope constructs.Construct, id string, publicKeyPEMs ...string) ([]awscloudfront.PublicKey, awscloudfront.KeyGroup) {
	if len(publicKeyPEMs) == 0 || publicKeyPEMs[0] == "" {
		panic(fmt.Sprintf("filestore %s: a signing key needs its public key (PEM)", id))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	var keys []awscloudfront.PublicKey
	var refs []interfacesawscloudfront.IPublicKeyRef
	seen := map[string]bool{}
	for _, p := range publicKeyPEMs {
		fp := KeyFingerprint(p)
		if seen[fp] {
			panic(fmt.Sprintf("filestore %s: the key %s is given twice", id, fp))
		}
		seen[fp] = true
		k := awscloudfront.NewPublicKey(c, jsii.String("PublicKey"+fp), &awscloudfront.PublicKeyProps{
			EncodedKey: jsii.String(strings.TrimSpace(p)),
			Comment:    jsii.String("IssueTracker attachment downloads: verifies signed URLs (key " + fp + ")"),
		})
		keys, refs = append(keys, k), append(refs, k)
	}
	g := awscloudfront.NewKeyGroup(c, jsii.String("KeyGroup"), &awscloudfront.KeyGroupProps{
		Items:   &refs,
		Comment: jsii.String("IssueTracker attachment downloads"),
	})
	return keys, g
}

// AddDownloads puts a download distribution in front of the bucket. The
// distribution forwards exactly S3's response overrides
// (attachment.DownloadQuery) so S3 answers with the signed
// Content-Disposition (attachment; inline for allowed images) and type; its
// response headers policy adds nosniff, a sandboxing CSP, no referrer,
// HSTS and no-store.
func (f *FileStore) AddDownloads(id string, props *DownloadsProps) *Downloads {
	if props == nil || props.KeyGroup == nil {
		panic(fmt.Sprintf("filestore %s: downloads need a key group", id))
	}
	c := constructs.NewConstruct(f.Construct, jsii.String(id))
	d := &Downloads{Construct: c}
	d.Headers = awscloudfront.NewResponseHeadersPolicy(c, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("IssueTracker attachment downloads: nosniff, sandbox, no-store"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(attachment.DownloadCSP), Override: jsii.Bool(true)},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true)},
		},
		// Browsers keep no copy beyond the signed URL's life (S3 sets the
		// same from response-cache-control; this holds whatever S3 says).
		CustomHeadersBehavior: &awscloudfront.ResponseCustomHeadersBehavior{CustomHeaders: &[]*awscloudfront.ResponseCustomHeader{{
			Header: jsii.String("Cache-Control"), Value: jsii.String(attachment.DownloadCacheControl), Override: jsii.Bool(true)}}},
	})
	d.OriginRequest = awscloudfront.NewOriginRequestPolicy(c, jsii.String("OriginRequest"), &awscloudfront.OriginRequestPolicyProps{
		Comment:             jsii.String("IssueTracker attachment downloads: S3's response overrides only"),
		QueryStringBehavior: awscloudfront.OriginRequestQueryStringBehavior_AllowList(*jsii.Strings(attachment.DownloadQuery...)...),
		HeaderBehavior:      awscloudfront.OriginRequestHeaderBehavior_None(),
		CookieBehavior:      awscloudfront.OriginRequestCookieBehavior_None(),
	})
	dp := &awscloudfront.DistributionProps{
		Comment:     jsii.String("IssueTracker attachment downloads"),
		HttpVersion: awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:  awscloudfront.PriceClass_PRICE_CLASS_100,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			// Reads only (origin access level READ: s3:GetObject).
			Origin:               awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(f.Bucket, nil),
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			// Private files: never kept at the edge, every request goes to
			// S3 with its own overrides, and a URL dies with its expiry.
			CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:   d.OriginRequest,
			ResponseHeadersPolicy: d.Headers,
			TrustedKeyGroups:      &[]interfacesawscloudfront.IKeyGroupRef{props.KeyGroup},
		},
	}
	d.Logs = props.Logs
	if d.Logs == nil {
		d.Logs = awss3.NewBucket(c, jsii.String("Logs"), &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			// CloudFront standard logs are written with an ACL.
			ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
			RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Id: jsii.String("expire-logs"), Expiration: awscdk.Duration_Days(jsii.Number(400)),
			}},
		})
	}
	dp.EnableLogging, dp.LogBucket = jsii.Bool(true), d.Logs
	if props.LogsPrefix != "" {
		dp.LogFilePrefix = jsii.String(props.LogsPrefix)
	}
	d.Distribution = awscloudfront.NewDistribution(c, jsii.String("Distribution"), dp)
	if props.DenyPresignedGets {
		f.Bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DownloadsThroughTheDistributionOnly"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("s3:GetObject"),
			Resources:  jsii.Strings(*f.Bucket.ArnForObjects(jsii.String("*"))),
			Conditions: &map[string]any{"StringEquals": map[string]any{"s3:authType": "REST-QUERY-STRING"}},
		}))
	}
	return d
}

// Base is the distribution's https origin, what download URLs start with.
func (d *Downloads) Base() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), d.Distribution.DistributionDomainName()})
}

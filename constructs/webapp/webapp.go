// Package webapp hosts the web app (web/dist) in AWS: a private S3 bucket
// read by CloudFront through origin access control, a viewer-request
// function for the single-page app's routes, a response-headers policy with
// a strict Content-Security-Policy and HSTS, long caching for hashed assets
// and none for index.html and config.json, and (Publish) the built assets
// plus a runtime config.json made from the stack's real outputs.
//
// The distribution's origin (Origin) is known before the API exists, so the
// stack can give it to Cognito callbacks and API CORS first and Publish the
// API-dependent parts (CSP connect-src, config.json) once the API is built.
package webapp

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	web "github.com/issuetracker/issuetracker/internal/webapp"
)

// Props configures the hosting.
type Props struct {
	// AssetsDir is the Vite build output (index.html, assets/). Required by
	// Publish; a missing folder is a clear error (run make web-build).
	AssetsDir string
	// DomainName is a custom domain (app.example.com) with CertificateArn,
	// an ACM certificate in us-east-1. Default: the distribution's domain.
	DomainName     string
	CertificateArn string
	// WebACLArn attaches a CLOUDFRONT-scoped AWS WAF web ACL (constructs/waf
	// NewForCloudFront). Default: none.
	WebACLArn string
	// PriceClass. Default: PriceClass_100 (North America and Europe).
	PriceClass awscloudfront.PriceClass
}

// WebApp is the hosting of the web app.
type WebApp struct {
	constructs.Construct
	Bucket       awss3.Bucket
	Logs         awss3.Bucket
	Distribution awscloudfront.Distribution
	Headers      awscloudfront.ResponseHeadersPolicy
	Router       awscloudfront.Function
	// Assets and Pages are the bucket deployments Publish creates.
	Assets, Pages awss3deployment.BucketDeployment
	props         Props
}

// Cache-Control of what the deployments upload.
const (
	CacheImmutable = "public, max-age=31536000, immutable" // assets/: content-hashed names
	CacheNever     = "no-cache"                            // index.html, config.json, favicon
)

// routerCode sends every path without a file extension (an app route such as
// /w/acme/issues/ACME-1) to /index.html, so a missing asset stays a 404
// instead of becoming the app.
const routerCode = `function handler(event) {
  var r = event.request;
  var last = r.uri.substring(r.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) { r.uri = '/index.html'; }
  return r;
}`

// New defines the bucket, the distribution and the headers.
func New(scope constructs.Construct, id string, p *Props) *WebApp {
	if p == nil {
		p = &Props{}
	}
	if p.PriceClass == "" {
		p.PriceClass = awscloudfront.PriceClass_PRICE_CLASS_100
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	w := &WebApp{Construct: c, props: *p}
	w.addBuckets()
	w.addEdgePolicies()
	w.addDistribution()
	return w
}

// addBuckets creates the private site bucket and the log bucket (S3 access
// logs and CloudFront standard logs, kept 90 days).
func (w *WebApp) addBuckets() {
	c := w.Construct
	w.Logs = awss3.NewBucket(c, jsii.String("Logs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// CloudFront standard logs are written with an ACL.
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("expire-logs"), Expiration: awscdk.Duration_Days(jsii.Number(90)),
		}},
	})
	w.Bucket = awss3.NewBucket(c, jsii.String("Site"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: w.Logs,
		ServerAccessLogsPrefix: jsii.String("s3/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})
}

// addEdgePolicies creates the security headers every answer carries and the
// viewer-request function that sends app routes to index.html.
func (w *WebApp) addEdgePolicies() {
	c := w.Construct
	w.Headers = awscloudfront.NewResponseHeadersPolicy(c, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("IssueTracker web app: CSP, HSTS and friends"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			// connect-src is completed by Publish with the API and Cognito.
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(web.CSP(web.Sources{})), Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true),
				Preload: jsii.Bool(true), Override: jsii.Bool(true)},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true)},
		},
	})
	w.Router = awscloudfront.NewFunction(c, jsii.String("Router"), &awscloudfront.FunctionProps{
		Comment: jsii.String("SPA fallback: app routes get /index.html"),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(routerCode)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
	})
}

// addDistribution creates the distribution: uncached documents, hashed
// assets cached for good, the custom domain and WAF when given.
func (w *WebApp) addDistribution() {
	c, p := w.Construct, &w.props
	origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(w.Bucket, nil)
	dp := &awscloudfront.DistributionProps{
		Comment:           jsii.String("IssueTracker web app"),
		DefaultRootObject: jsii.String("index.html"),
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:        p.PriceClass,
		EnableLogging:     jsii.Bool(true),
		LogBucket:         w.Logs,
		LogFilePrefix:     jsii.String("cloudfront/"),
		// index.html, config.json and app routes: never cached, so a deploy
		// and a configuration change show at once.
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                origin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
			ResponseHeadersPolicy: w.Headers,
			Compress:              jsii.Bool(true),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: w.Router, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST}},
		},
		// Hashed assets: cached for good at the edge and in browsers.
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/assets/*": {
				Origin:                origin,
				ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
				CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
				ResponseHeadersPolicy: w.Headers,
				Compress:              jsii.Bool(true),
			},
		},
	}
	if p.DomainName != "" {
		if p.CertificateArn == "" {
			panic("webapp: a custom DomainName needs CertificateArn (ACM, us-east-1)")
		}
		dp.DomainNames = jsii.Strings(p.DomainName)
		dp.Certificate = awscertificatemanager.Certificate_FromCertificateArn(c, jsii.String("Certificate"), jsii.String(p.CertificateArn))
		dp.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	if p.WebACLArn != "" {
		dp.WebAclId = jsii.String(p.WebACLArn)
	}
	w.Distribution = awscloudfront.NewDistribution(c, jsii.String("Distribution"), dp)
}

// Origin is where the app is served: https:// and the custom domain, or the
// distribution's domain (a token until deploy). Never localhost.
func (w *WebApp) Origin() string {
	if w.props.DomainName != "" {
		return "https://" + w.props.DomainName
	}
	return "https://" + *w.Distribution.DistributionDomainName()
}

// PublishProps are the parts that depend on the rest of the stack.
type PublishProps struct {
	// Config is /config.json (values may be tokens: the stack's real outputs).
	Config web.Config
	// Connect are the origins the app may call besides itself: the API's and
	// Cognito's (the CSP's connect-src).
	Connect []string
	// Images are the attachment download origins (the CSP's img-src
	// besides the app and data:).
	Images []string
}

// Publish completes the CSP and uploads the built app with its config.json.
func (w *WebApp) Publish(p PublishProps) {
	if w.Assets != nil {
		panic("webapp: Publish called twice")
	}
	cfn := w.Headers.Node().DefaultChild().(awscdk.CfnResource)
	cfn.AddPropertyOverride(jsii.String("ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy"),
		jsii.String(web.CSP(web.Sources{Connect: p.Connect, Images: p.Images})))

	dir := w.props.AssetsDir
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		panic(fmt.Sprintf("webapp: no built web app in %s: run `make web-build` first (make synth does)", dir))
	}
	// Hashed assets first, kept across deploys (prune off) so tabs still
	// running the previous version can load their chunks.
	w.Assets = awss3deployment.NewBucketDeployment(w.Construct, jsii.String("Assets"), &awss3deployment.BucketDeploymentProps{
		Sources:              &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(filepath.Join(dir, "assets")), nil)},
		DestinationBucket:    w.Bucket,
		DestinationKeyPrefix: jsii.String("assets/"),
		CacheControl:         &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(CacheImmutable))},
		Prune:                jsii.Bool(false),
		MemoryLimit:          jsii.Number(512),
	})
	// Then the pages and config.json, and the edge forgets the old ones.
	w.Pages = awss3deployment.NewBucketDeployment(w.Construct, jsii.String("Pages"), &awss3deployment.BucketDeploymentProps{
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(dir), &awss3assets.AssetOptions{Exclude: jsii.Strings("assets", "assets/**")}),
			awss3deployment.Source_JsonData(jsii.String("config.json"), p.Config.Map(), nil),
		},
		DestinationBucket: w.Bucket,
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(CacheNever))},
		Prune:             jsii.Bool(false),
		Distribution:      w.Distribution,
		DistributionPaths: jsii.Strings("/index.html", "/config.json", "/"),
		MemoryLimit:       jsii.Number(512),
	})
	w.Pages.Node().AddDependency(w.Assets)
}

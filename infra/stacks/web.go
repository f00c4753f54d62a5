package stacks

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/webapp"
	web "github.com/issuetracker/issuetracker/internal/webapp"
)

// newWeb defines the web app's hosting (constructs/webapp) and, unless the
// deployment names its web origin, makes the distribution's origin (or the
// custom domain) the one Cognito callbacks, API CORS and mail links use.
func (p *Platform) newWeb(cfg *Config) {
	dir := cfg.WebAssetsDir
	if dir == "" {
		root, err := rootOf(*cfg)
		if err != nil {
			panic(err)
		}
		dir = filepath.Join(root, "web", "dist")
	}
	p.Web = webapp.New(p.Stack, "Web", &webapp.Props{
		AssetsDir: dir, DomainName: cfg.WebDomain, CertificateArn: cfg.WebCertificateArn, WebACLArn: cfg.WebACLArn,
	})
	if cfg.WebOrigin == "" {
		cfg.WebOrigin = p.Web.Origin()
	}
	p.Config = *cfg
	awsssm.NewStringParameter(p.Stack, jsii.String("WebOriginParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(WebOriginParameter(cfg.Prefix)), StringValue: jsii.String(cfg.WebOrigin),
		Description: jsii.String("The web app's origin: Platinum tenant stacks read it for their pool's callback URLs"),
	})
}

// WebOriginParameter is the SSM parameter holding the platform's web origin.
func WebOriginParameter(prefix string) string { return "/" + prefix + "/web-origin" }

// webOrigin is the configured web origin or, for a tenant stack deployed on
// its own, the platform's (read from SSM at deploy time).
func webOrigin(st awscdk.Stack, cfg Config) string {
	if cfg.WebOrigin != "" {
		return cfg.WebOrigin
	}
	return *awsssm.StringParameter_ValueForStringParameter(st, jsii.String(WebOriginParameter(cfg.Prefix)), nil)
}

// publishWeb uploads the app with a config.json made of this stack's real
// outputs, and lets the app's CSP reach the API, Cognito and the
// other cells' APIs (Config.Cells) only.
func (p *Platform) publishWeb() {
	st := p.Stack
	apiOrigin := "https://" + *p.API.RestAPI.RestApiId() + ".execute-api." + *st.Region() + "." + *st.UrlSuffix()
	p.Web.Publish(webapp.PublishProps{
		Config: web.Config{
			APIURL: *p.API.URL(), Region: *st.Region(),
			TenantPoolID: *p.TenantPool.UserPool.UserPoolId(), TenantClientID: *p.TenantPool.Client.UserPoolClientId(),
			ProviderPoolID: *p.ProviderPool.UserPool.UserPoolId(), ProviderClientID: *p.ProviderPool.Client.UserPoolClientId(),
			WebOrigin: p.Config.WebOrigin, Environment: "aws",
		},
		// The other cells' APIs: a registration placed in another cell
		// continues there (registration_in_other_cell; web/src/lib/signup.ts).
		Connect: append([]string{apiOrigin, web.CognitoOrigin(*st.Region())}, p.Config.peerAPIOrigins()...),
		Images:  p.attachmentImageOrigins(),
	})
	out := func(id string, v *string) { awscdk.NewCfnOutput(st, &id, &awscdk.CfnOutputProps{Value: v}) }
	out("WebUrl", &p.Config.WebOrigin)
	out("WebDistributionId", p.Web.Distribution.DistributionId())
	out("WebBucketName", p.Web.Bucket.BucketName())
	p.suppressWeb()
}

// attachmentImageOrigins are the origins attachment previews load from (the
// CSP's img-src): with a download key, the download distributions (the
// platform's and each Platinum stack's own, deployed later: any
// *.cloudfront.net); without one, presigned GETs of the pooled and the
// Platinum buckets (virtual-hosted, this region). No https: wildcard.
func (p *Platform) attachmentImageOrigins() []string {
	if p.Downloads != nil {
		return []string{"https://*.cloudfront.net"}
	}
	return []string{"https://*.s3." + *p.Stack.Region() + "." + *p.Stack.UrlSuffix()}
}

func (p *Platform) suppressWeb() {
	suppress(p.Web.Logs, why{"AwsSolutions-S1", "This is the web app's access log target (S3 server access logs and CloudFront standard logs); logging it to itself would loop.", nil})
	if p.Config.WebDomain == "" {
		suppress(p.Web.Distribution, why{"AwsSolutions-CFR4",
			"Without a custom domain the distribution serves *.cloudfront.net with CloudFront's default certificate, whose policy cdk-nag cannot see; with webDomain and webCertificateArn it enforces TLSv1.2_2021.", nil})
	}
	if p.Config.WebACLArn == "" {
		suppress(p.Web.Distribution, why{"AwsSolutions-CFR2",
			"A CLOUDFRONT-scoped web ACL is attached when the deployment names one (context webAclArn; constructs/waf builds it). The distribution serves static files only; the API has its own ACL.", nil})
	}
	// CDK's BucketDeployment handler (one per stack and memory size).
	handler := "/" + *p.Stack.StackName() + "/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C512MiB"
	suppressPath(p.Stack, handler+"/Resource", why{"AwsSolutions-L1", "CDK's BucketDeployment handler: its runtime is chosen and updated by aws-cdk-lib.", nil})
	suppressPath(p.Stack, handler+"/ServiceRole/Resource", why{"AwsSolutions-IAM4",
		"CDK's BucketDeployment handler logs with AWSLambdaBasicExecutionRole (its own log group only).",
		[]string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}})
	suppressPath(p.Stack, handler+"/ServiceRole/DefaultPolicy/Resource", why{"AwsSolutions-IAM5",
		"CDK's BucketDeployment handler copies the web app's build from the CDK asset bucket into the site bucket (read the asset objects, write and list the site objects) and invalidates the distribution (CloudFront invalidations have no resource-level permission).",
		[]string{"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*",
			`/^Resource::arn:[^:]+:s3:::cdk-[a-z0-9]+-assets-.*\/\*$/`, `/^Resource::<WebSite[0-9A-F]+\.Arn>\/\*$/`, "Resource::*"}})
}

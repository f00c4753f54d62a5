package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/webapp"
	"github.com/issuetracker/issuetracker/infra/stacks"
	web "github.com/issuetracker/issuetracker/internal/webapp"
)

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func one(t *testing.T, stack, typ string) map[string]any {
	t.Helper()
	rs := resources(t, stack, typ)
	if len(rs) != 1 {
		t.Fatalf("%d %s, want 1", len(rs), typ)
	}
	for _, r := range rs {
		return props(r)
	}
	return nil
}

// The web app is served from a private bucket that only this distribution
// may read (origin access control), never as a website.
func TestTheWebBucketIsPrivateAndReadOnlyByTheDistribution(t *testing.T) {
	tmpl := template(t, stacks.PlatformStackName)
	site := logicalID(synth.platform.Web.Bucket.Node().DefaultChild())
	p := props(resources(t, stacks.PlatformStackName, "AWS::S3::Bucket")[site])
	if got := jsonString(t, p["PublicAccessBlockConfiguration"]); got != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
		t.Errorf("public access block %s", got)
	}
	if _, ok := p["WebsiteConfiguration"]; ok {
		t.Error("the site bucket must not be a public website")
	}
	// The web app's, and the attachment downloads' (downloads_test.go).
	oacs := 1
	if synth.platform.Downloads != nil {
		oacs++
	}
	check(t, "one origin access control per distribution, signing always", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(oacs))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::OriginAccessControl"), map[string]any{
			"OriginAccessControlConfig": map[string]any{"OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}})
	})
	var policy string
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::S3::BucketPolicy") {
		if ref(props(r)["Bucket"]) == site {
			policy = jsonString(t, props(r)["PolicyDocument"])
		}
	}
	dist := logicalID(synth.platform.Web.Distribution.Node().DefaultChild())
	for _, want := range []string{`"Service":"cloudfront.amazonaws.com"`, `"AWS:SourceArn"`, dist, `"Action":"s3:GetObject"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("site bucket policy lacks %s: %s", want, policy)
		}
	}
}

func TestTheDistributionCachesHashedAssetsAndNeverIndexHTML(t *testing.T) {
	d := props(resources(t, stacks.PlatformStackName, "AWS::CloudFront::Distribution")[logicalID(synth.platform.Web.Distribution.Node().DefaultChild())])["DistributionConfig"].(map[string]any)
	const cachingDisabled, cachingOptimized = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "658327ea-f89d-4fab-a63d-7e88639e58f6"
	def := d["DefaultCacheBehavior"].(map[string]any)
	if def["CachePolicyId"] != cachingDisabled || def["ViewerProtocolPolicy"] != "redirect-to-https" {
		t.Errorf("default behavior (index.html, config.json, app routes): %s", jsonString(t, def))
	}
	if d["DefaultRootObject"] != "index.html" {
		t.Errorf("root object %v", d["DefaultRootObject"])
	}
	if fa := jsonString(t, def["FunctionAssociations"]); !strings.Contains(fa, `"EventType":"viewer-request"`) {
		t.Errorf("the SPA router runs on viewer requests: %s", fa)
	}
	beh := d["CacheBehaviors"].([]any)
	if len(beh) != 1 || beh[0].(map[string]any)["PathPattern"] != "/assets/*" || beh[0].(map[string]any)["CachePolicyId"] != cachingOptimized {
		t.Errorf("hashed assets behavior: %s", jsonString(t, beh))
	}
	if _, ok := d["Logging"]; !ok {
		t.Error("the distribution logs requests")
	}
	// SPA fallback: an app route gets index.html, a file path stays itself.
	code := one(t, stacks.PlatformStackName, "AWS::CloudFront::Function")["FunctionCode"].(string)
	for _, want := range []string{"r.uri = '/index.html'", "indexOf('.') === -1"} {
		if !strings.Contains(code, want) {
			t.Errorf("router code lacks %q", want)
		}
	}
}

func TestTheWebAppGetsAStrictCSPAndHSTS(t *testing.T) {
	h := props(resources(t, stacks.PlatformStackName, "AWS::CloudFront::ResponseHeadersPolicy")[logicalID(synth.platform.Web.Headers.Node().DefaultChild())])["ResponseHeadersPolicyConfig"].(map[string]any)["SecurityHeadersConfig"].(map[string]any)
	csp := jsonString(t, h["ContentSecurityPolicy"])
	for _, want := range []string{"script-src 'self';", "object-src 'none'", "frame-ancestors 'none'", "connect-src 'self' https://",
		`.execute-api.`, " https://cognito-idp.us-east-1.amazonaws.com; object-src"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %s: %s", want, csp)
		}
	}
	script := strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0]
	if strings.Contains(script, "unsafe") {
		t.Errorf("script-src allows %s", script)
	}
	if got := jsonString(t, h["StrictTransportSecurity"]); !strings.Contains(got, `"AccessControlMaxAgeSec":63072000`) || !strings.Contains(got, `"IncludeSubdomains":true`) {
		t.Errorf("HSTS %s", got)
	}
}

// config.json is made at deploy time from the stack's real outputs.
func TestTheWebAppIsPublishedWithConfigFromTheStacksOutputs(t *testing.T) {
	deployments := resources(t, stacks.PlatformStackName, "Custom::CDKBucketDeployment")
	if len(deployments) != 2 {
		t.Fatalf("%d bucket deployments, want 2 (assets, pages)", len(deployments))
	}
	var all, assets string
	for _, d := range deployments {
		if s := jsonString(t, props(d)); strings.Contains(s, `"DestinationBucketKeyPrefix":"assets/"`) {
			assets = s
		} else {
			all = s
		}
	}
	for _, want := range []string{
		logicalID(synth.platform.TenantPool.UserPool.Node().DefaultChild()),
		logicalID(synth.platform.TenantPool.Client.Node().DefaultChild()),
		logicalID(synth.platform.ProviderPool.Client.Node().DefaultChild()),
		logicalID(synth.platform.API.RestAPI.Node().DefaultChild()),
		`"DistributionPaths":["/index.html","/config.json","/"]`,
		`"SystemMetadata":{"cache-control":"no-cache"}`,
		`"SourceMarkers"`, // config.json values resolved at deploy time
	} {
		if !strings.Contains(all, want) {
			t.Errorf("pages deployment lacks %s", want)
		}
	}
	if !strings.Contains(assets, `"cache-control":"public, max-age=31536000, immutable"`) || !strings.Contains(assets, `"Prune":false`) {
		t.Errorf("assets deployment: %s", assets)
	}
}

// Cognito callbacks, API CORS and links in mails follow the web origin; a
// production synth has no localhost anywhere.
func TestTheWebOriginIsTheDistributionNeverLocalhost(t *testing.T) {
	for _, stack := range []string{stacks.PlatformStackName, stacks.TenantStackName(tenantID)} {
		if raw := jsonString(t, synth.raw[stack]); strings.Contains(raw, "localhost") {
			t.Errorf("%s mentions localhost", stack)
		}
	}
	dist := logicalID(synth.platform.Web.Distribution.Node().DefaultChild())
	for id, r := range resources(t, stacks.PlatformStackName, "AWS::Cognito::UserPoolClient") {
		cb := jsonString(t, props(r)["CallbackURLs"])
		if !strings.Contains(cb, dist) {
			t.Errorf("%s callbacks %s do not follow the distribution", id, cb)
		}
	}
	var cors int
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Method") {
		if p := props(r); p["HttpMethod"] == "OPTIONS" && strings.Contains(jsonString(t, p["Integration"]), dist) {
			cors++
		}
	}
	if cors == 0 {
		t.Error("the API's CORS preflight does not allow the web distribution's origin")
	}
	// A Platinum stack deployed on its own reads the platform's web origin.
	if got := jsonString(t, synth.raw[stacks.TenantStackName(tenantID)]["Parameters"]); !strings.Contains(got, stacks.WebOriginParameter("issuetracker")) {
		t.Errorf("tenant stack parameters %s lack the web origin parameter", got)
	}
}

// With a custom domain the origin is that domain, over TLS 1.2 with the
// configured certificate, and a web ACL can be attached.
func TestAWebAppOnACustomDomain(t *testing.T) {
	root, err := gofunction.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "constructs", "webapp", "testdata", "site", "index.html")); err != nil {
		t.Fatal(err)
	}
	var tmpl assertions.Template
	var origin string
	check(t, "synth", func() {
		app := awscdk.NewApp(nil)
		st := awscdk.NewStack(app, jsii.String("WebOnly"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")}})
		w := webapp.New(st, "Web", &webapp.Props{
			AssetsDir:      filepath.Join(root, "constructs", "webapp", "testdata", "site"),
			DomainName:     "app.example.com",
			CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
			WebACLArn:      "arn:aws:wafv2:us-east-1:123456789012:global/webacl/web/xyz",
		})
		origin = w.Origin()
		w.Publish(webapp.PublishProps{Config: web.Config{APIURL: "https://api.example.com/prod/", WebOrigin: origin, Environment: "aws"},
			Connect: []string{"https://api.example.com", web.CognitoOrigin("us-east-1")}})
		tmpl = assertions.Template_FromStack(st, nil)
	})
	if tmpl == nil {
		t.FailNow()
	}
	if origin != "https://app.example.com" {
		t.Errorf("origin %s", origin)
	}
	check(t, "the distribution serves the domain over TLS 1.2 behind the web ACL", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{"DistributionConfig": map[string]any{
			"Aliases":           []any{"app.example.com"},
			"ViewerCertificate": map[string]any{"AcmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "MinimumProtocolVersion": "TLSv1.2_2021", "SslSupportMethod": "sni-only"},
			"WebACLId":          "arn:aws:wafv2:us-east-1:123456789012:global/webacl/web/xyz",
		}})
	})
	check(t, "the CSP names the API and Cognito, nothing else", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]any{"ResponseHeadersPolicyConfig": map[string]any{
			"SecurityHeadersConfig": map[string]any{"ContentSecurityPolicy": map[string]any{"ContentSecurityPolicy": web.CSP(web.Sources{Connect: []string{"https://api.example.com", "https://cognito-idp.us-east-1.amazonaws.com"}}), "Override": true}},
		}})
	})
}

// Package webapp is what the web app needs from the platform wherever it is
// served: its runtime configuration (/config.json, read at start so one build
// serves every environment) and its Content-Security-Policy. The local
// platform (internal/devstack) and the CloudFront construct (constructs/webapp)
// both build them here, so local and deployed serve the same policy.
package webapp

import (
	"net/url"
	"slices"
	"strings"
)

// Config is /config.json. In the CDK app the values may be tokens.
type Config struct {
	// APIURL is the API's base URL, without /v1 (e.g. https://x.execute-api.../prod).
	APIURL string `json:"api_url"`
	Region string `json:"region"`
	// CognitoEndpoint is set for the local platform only (cognito-local);
	// in AWS the app talks to https://cognito-idp.<region>.amazonaws.com/.
	CognitoEndpoint  string `json:"cognito_endpoint,omitempty"`
	TenantPoolID     string `json:"tenant_pool_id"`
	TenantClientID   string `json:"tenant_client_id"`
	ProviderPoolID   string `json:"provider_pool_id"`
	ProviderClientID string `json:"provider_client_id"`
	// WebOrigin is where the app is served (links in mails, Cognito callbacks).
	WebOrigin string `json:"web_origin"`
	// Environment is "local" or "aws".
	Environment string `json:"environment"`
}

// Map is the configuration as a JSON object (CDK Source.jsonData takes one).
func (c Config) Map() map[string]any {
	m := map[string]any{
		"api_url": c.APIURL, "region": c.Region,
		"tenant_pool_id": c.TenantPoolID, "tenant_client_id": c.TenantClientID,
		"provider_pool_id": c.ProviderPoolID, "provider_client_id": c.ProviderClientID,
		"web_origin": c.WebOrigin, "environment": c.Environment,
	}
	if c.CognitoEndpoint != "" {
		m["cognito_endpoint"] = c.CognitoEndpoint
	}
	return m
}

// CognitoOrigin is the public Cognito user pools endpoint of a region.
func CognitoOrigin(region string) string {
	return "https://cognito-idp." + region + ".amazonaws.com"
}

// Sources are the origins the web app may reach besides its own.
type Sources struct {
	// Connect: the API's, Cognito's, the other cells' APIs (connect-src).
	Connect []string
	// Images: where attachment previews load from (img-src): the
	// deployment's attachment download origins. Nothing else: the tenant's
	// logo is a data: URL the API holds (tenant.Branding), and Markdown
	// images are rendered as links, so no https: source is needed.
	Images []string
}

// CSP is the web app's Content-Security-Policy: scripts only from the app's
// own origin (no inline script, no eval), connections only to the app, the
// API and Cognito. Styles allow 'unsafe-inline' because the dialog primitives
// inject a scroll-lock <style> element; no script can be injected that way.
// Images come from the app, data: (the tenant's uploaded logo, the TOTP QR
// code is an inline SVG, the favicon a data URL) and the attachment download
// origins named in Images (no https: wildcard: an image from anywhere is a
// tracking pixel or an exfiltration channel), and from a connect source that
// is plain http (the local cloud's S3, whose presigned URLs the attachment
// previews load: without it make dev's browser blocks every preview; in AWS
// every source is https and none is added).
func CSP(s Sources) string {
	src := []string{"'self'"}
	img := []string{"'self'", "data:"}
	for _, c := range s.Images {
		if c = strings.TrimRight(c, "/"); c != "" && !slices.Contains(img, c) {
			img = append(img, c)
		}
	}
	for _, c := range s.Connect {
		if c = strings.TrimRight(c, "/"); c != "" && !slices.Contains(src, c) {
			src = append(src, c)
			if o := Origin(c); strings.HasPrefix(o, "http://") && !slices.Contains(img, o) {
				img = append(img, o)
			}
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src " + strings.Join(img, " "),
		"font-src 'self'",
		"connect-src " + strings.Join(src, " "),
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// Origin returns scheme://host[:port] of a URL ("" if it has none).
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

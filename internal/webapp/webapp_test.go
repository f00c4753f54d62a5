package webapp_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/webapp"
	"github.com/stretchr/testify/assert"
)

func TestCSPAllowsOnlyTheAppTheAPIAndCognito(t *testing.T) {
	csp := webapp.CSP(webapp.Sources{Connect: []string{"https://api.example.com/prod/", "https://cognito-idp.eu-west-1.amazonaws.com", "https://api.example.com/prod", ""}})
	assert.Contains(t, csp, "connect-src 'self' https://api.example.com/prod https://cognito-idp.eu-west-1.amazonaws.com;", "deduplicated, no empty source")
	for _, d := range strings.Split(csp, "; ") {
		if strings.HasPrefix(d, "script-src") {
			assert.Equal(t, "script-src 'self'", d, "no inline script, no eval")
		}
	}
	assert.Contains(t, csp, "object-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.Equal(t, "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'", webapp.CSP(webapp.Sources{}))
}

// make dev's local S3 is plain http: its presigned URLs (attachment
// previews) must be images the page may load, or the browser blocks every
// preview; https connect sources add no image source.
func TestCSPLetsThePreviewsOfTheLocalS3Load(t *testing.T) {
	csp := webapp.CSP(webapp.Sources{Connect: []string{"http://127.0.0.1:20690", "http://localhost:20632", "http://127.0.0.1:20672/", "http://127.0.0.1:20672"}})
	assert.Contains(t, csp, "img-src 'self' data: http://127.0.0.1:20690 http://localhost:20632 http://127.0.0.1:20672;")
	assert.Contains(t, webapp.CSP(webapp.Sources{Connect: []string{"https://api.example.com/prod", "https://s3.eu-west-1.amazonaws.com"}}), "img-src 'self' data:;")
}

// Images load from the app, data: (the uploaded logo) and the attachment
// download origins the deployment names: never from any https site (a
// tracking pixel, an exfiltration channel for an injected image).
func TestCSPLoadsImagesOnlyFromTheProductsOrigins(t *testing.T) {
	csp := webapp.CSP(webapp.Sources{Connect: []string{"https://api.example.com"}, Images: []string{"https://*.cloudfront.net/", "https://*.cloudfront.net", ""}})
	var img string
	for _, d := range strings.Split(csp, "; ") {
		if strings.HasPrefix(d, "img-src ") {
			img = d
		}
	}
	assert.Equal(t, "img-src 'self' data: https://*.cloudfront.net", img)
	for _, src := range strings.Fields(img)[1:] {
		assert.NotEqual(t, "https:", src, "no scheme-wide source")
		assert.NotEqual(t, "*", src)
	}
}

func TestConfigAndOrigins(t *testing.T) {
	m := webapp.Config{APIURL: "https://x", Region: "us-east-1", Environment: "aws"}.Map()
	assert.NotContains(t, m, "cognito_endpoint", "only the local platform names a Cognito endpoint")
	assert.Equal(t, "https://x", m["api_url"])
	assert.Equal(t, "https://cognito-idp.us-east-1.amazonaws.com", webapp.CognitoOrigin("us-east-1"))
	assert.Equal(t, "http://localhost:8080", webapp.Origin("http://localhost:8080/v1/me"))
	assert.Equal(t, "", webapp.Origin("not a url"))
}

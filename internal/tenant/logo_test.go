package tenant_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/stretchr/testify/assert"
)

// pngLogo is a data URL of an n×n PNG.
func pngLogo(t *testing.T, n int) string {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	_, _ = rand.Read(img.Pix) // noise: PNG cannot compress it
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// A logo is an uploaded raster image the API holds: the web app's CSP
// loads no image from other sites, so a URL elsewhere is refused, and so is
// anything a browser would run (SVG) or that is not what it says it is.
func TestALogoIsASmallRasterImageOfItsDeclaredType(t *testing.T) {
	ok := pngLogo(t, 16)
	assert.Empty(t, tenant.CheckLogo(ok))
	jpegBytes := base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00rest"))
	for name, logo := range map[string]string{
		"an https URL":            "https://cdn.example.com/logo.png",
		"a javascript URL":        "javascript:alert(1)",
		"an SVG":                  "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(`<svg onload="alert(1)"/>`)),
		"HTML":                    "data:text/html;base64," + base64.StdEncoding.EncodeToString([]byte("<script>alert(1)</script>")),
		"a PNG that is a JPEG":    "data:image/png;base64," + jpegBytes,
		"not base64":              "data:image/png;base64,%%%",
		"URL-encoded, not base64": "data:image/png,%89PNG",
		"empty":                   "data:image/png;base64,",
		"over 16 KB":              pngLogo(t, 128),
		"a type with a parameter": strings.Replace(ok, "image/png", "image/png;x=1", 1),
	} {
		assert.NotEmpty(t, tenant.CheckLogo(logo), name)
	}
	assert.Equal(t, tenant.Branding{DisplayName: "A"}, tenant.Branding{DisplayName: "A", LogoURL: "https://cdn.example.com/logo.png"}.Shown(),
		"a logo saved as a URL before is not shown (the CSP would block it)")
	assert.Equal(t, ok, tenant.Branding{LogoURL: ok}.Shown().LogoURL)
	assert.NotContains(t, tenant.LogoDigest(ok), ok[30:], "the audit log names the logo, not its bytes")
}

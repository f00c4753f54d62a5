package tenant

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// MaxLogoBytes is the largest logo image (decoded): a 128 px square PNG or
// WebP fits; the data URL (a third more) stays well under the tenant item's
// and the edge's body limits.
const MaxLogoBytes = 16 << 10

// LogoTypes are the image types a logo may have: rasters a browser draws
// without running anything (no SVG: it carries script and remote loads).
var LogoTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// CheckLogo validates a branding logo: a data: URL of a raster image
// (base64, one of LogoTypes, its bytes of that type, at most MaxLogoBytes).
// The web app loads images only from the product's own origins (its CSP has
// no https: source), so the logo travels with the branding instead of being
// fetched from the tenant's site. It returns why a logo is refused, or "".
func CheckLogo(logo string) string {
	const want = "must be a data:image/png, jpeg, gif or webp;base64 URL of at most 16 KB (upload the image: logos are not loaded from other sites)"
	mediaType, data, ok := strings.Cut(strings.TrimPrefix(logo, "data:"), ";base64,")
	if !strings.HasPrefix(logo, "data:") || !ok {
		return want
	}
	declared := false
	for _, t := range LogoTypes {
		declared = declared || mediaType == t
	}
	if !declared {
		return want
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxLogoBytes+2 {
		return fmt.Sprintf("the image is over %d KB", MaxLogoBytes>>10)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(data)
	if err != nil || len(b) == 0 {
		return "is not valid base64"
	}
	if len(b) > MaxLogoBytes {
		return fmt.Sprintf("the image is over %d KB", MaxLogoBytes>>10)
	}
	if got := http.DetectContentType(b); got != mediaType {
		return fmt.Sprintf("the image is not a %s (its bytes are %s)", mediaType, got)
	}
	return ""
}

// IsLogo reports whether logo is one CheckLogo accepts.
func IsLogo(logo string) bool { return logo != "" && CheckLogo(logo) == "" }

// Shown is the branding as the workspace renders it: a logo the web app
// may not load (an https URL saved before logos were uploaded) is left out,
// so the default logo shows instead of a blocked image.
func (b Branding) Shown() Branding {
	if !IsLogo(b.LogoURL) {
		b.LogoURL = ""
	}
	return b
}

// LogoDigest names a logo in the audit log without its bytes.
func LogoDigest(logo string) string {
	if logo == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(logo))
	mediaType, _, _ := strings.Cut(strings.TrimPrefix(logo, "data:"), ";")
	return fmt.Sprintf("%s, %d bytes, sha256 %s", mediaType, len(logo), hex.EncodeToString(sum[:8]))
}

package devstack

import (
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/issuetracker/issuetracker/internal/webapp"
)

// Web serves the built web app (web/dist) beside the API, as CloudFront does
// in AWS: /v1 and /health go to the API; /config.json is the runtime
// configuration of this platform; files are served from Dir, hashed assets
// cached for a year and index.html never; any other path is an app route and
// gets index.html (the SPA fallback).
type Web struct {
	API    http.Handler
	Dir    string // the Vite build output
	Config webapp.Config
	// Uploads is the origin attachment uploads go to (the local S3).
	Uploads string
	// Peers are the other cells' API URLs (make dev CELLS=2): the sign-up
	// page re-sends a registration placed in another cell there itself.
	Peers func() []string
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

func (h Web) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/health" || p == "/v1" || strings.HasPrefix(p, "/v1/") {
		h.API.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("X-Frame-Options", "DENY")
	connect := []string{h.Config.APIURL, h.Config.CognitoEndpoint, h.Uploads}
	if h.Peers != nil {
		connect = append(connect, h.Peers()...)
	}
	hd.Set("Content-Security-Policy", webapp.CSP(webapp.Sources{Connect: connect}))
	if p == "/config.json" {
		hd.Set("Content-Type", "application/json")
		hd.Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(h.Config.Map())
		return
	}
	index := filepath.Join(h.Dir, "index.html")
	if _, err := os.Stat(index); err != nil {
		hd.Set("Cache-Control", "no-store")
		http.Error(w, "the web app is not built: run `make web-build` (make dev does) and reload", http.StatusServiceUnavailable)
		return
	}
	clean := path.Clean("/" + p)
	file := filepath.Join(h.Dir, filepath.FromSlash(clean))
	if fi, err := os.Stat(file); err == nil && !fi.IsDir() && clean != "/index.html" {
		if strings.HasPrefix(clean, "/assets/") {
			hd.Set("Cache-Control", cacheImmutable)
		} else {
			hd.Set("Cache-Control", cacheRevalidate)
		}
		http.ServeFile(w, r, file)
		return
	}
	if strings.HasPrefix(clean, "/assets/") || path.Ext(clean) != "" {
		hd.Set("Cache-Control", "no-store")
		http.NotFound(w, r) // a missing asset is a 404, not the app
		return
	}
	hd.Set("Cache-Control", cacheRevalidate)
	hd.Set("Content-Type", "text/html; charset=utf-8")
	http.ServeFile(w, r, index)
}

// LocalRegion is the region the local cloud's clients are configured with.
const LocalRegion = "us-east-1"

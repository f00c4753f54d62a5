package testenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The tests' (and make dev's) mailpit serves its web UI: the page and the
// bundles it loads. mailpit's Go module ships without server/ui/dist, so a
// binary from a plain `go install` answers 404 for /dist/app.js and shows a
// blank page; scripts/install-mailpit.sh builds the UI before `go build`.
func TestMailpitServesItsWebUI(t *testing.T) {
	env := Mail(t)
	get := func(path string) (string, string) {
		t.Helper()
		res, err := http.Get(env.API + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s (a mailpit without its built web UI? run scripts/install-mailpit.sh)", path, res.Status)
		}
		return res.Header.Get("Content-Type"), string(body)
	}
	if _, page := get("/"); !strings.Contains(page, "dist/app.js") || !strings.Contains(page, "dist/app.css") {
		t.Fatalf("the UI page does not load dist/app.js and dist/app.css:\n%s", page)
	}
	ct, js := get("/dist/app.js")
	if !strings.Contains(ct, "javascript") || len(js) < 100_000 || !strings.Contains(js, "createApp") {
		t.Fatalf("/dist/app.js is not the UI bundle: %s, %d bytes", ct, len(js))
	}
	if ct, css := get("/dist/app.css"); !strings.Contains(ct, "text/css") || !strings.Contains(css, "bootstrap-icons") {
		t.Fatalf("/dist/app.css is not the UI's stylesheet: %s, %d bytes", ct, len(css))
	}
}

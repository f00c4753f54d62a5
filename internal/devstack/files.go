package devstack

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/issuetracker/issuetracker/internal/attachment"
)

// FilesPrefix is where the local gateway serves attachment downloads.
const FilesPrefix = "/files"

// Files is the local download origin of attachments, as the CloudFront
// distribution is in AWS: a presigned GET of the local S3, re-based under
// /files/ (s3objects.Rebase), is forwarded with its path, query and S3's
// host, so the S3 server checks the signature and expiry; the answer gets
// the headers S3 cannot add (nosniff, a sandboxing CSP, no referrer).
type Files struct {
	Next http.Handler // everything else
	S3   string       // the local S3's endpoint
}

func (f Files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, FilesPrefix+"/") {
		f.Next.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	target, err := url.Parse(f.S3)
	if err != nil {
		http.Error(w, "no local S3", http.StatusBadGateway)
		return
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = target.Scheme, target.Host, target.Host
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, FilesPrefix)
			pr.Out.URL.RawPath = strings.TrimPrefix(pr.In.URL.RawPath, FilesPrefix)
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del("Authorization")
		},
		ModifyResponse: func(res *http.Response) error {
			DownloadHeaders(res.Header)
			return nil
		},
	}
	p.ServeHTTP(w, r)
}

// DownloadHeaders are the response headers of every attachment download
// (the CloudFront response headers policy sets the same).
func DownloadHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", attachment.DownloadCSP)
	h.Set("Referrer-Policy", "no-referrer")
}

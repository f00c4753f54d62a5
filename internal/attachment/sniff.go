package attachment

import (
	"net/http"
	"strings"
)

// ContentProblem reports why the first bytes of a body do not look like
// the declared type, or "" when they do. It uses the WHATWG sniffing
// algorithm browsers use (net/http.DetectContentType), so a file a browser
// would take for HTML or XML is never stored as an image or as text, and
// binary formats must carry their own signature.
func ContentProblem(declared string, head []byte) string {
	sniffed, _, _ := strings.Cut(http.DetectContentType(head), ";")
	if sniffed == "text/html" || sniffed == "text/xml" {
		return "the file's content is " + sniffed + ", which is not allowed"
	}
	want := declared
	switch {
	case strings.HasPrefix(declared, "text/") || declared == "application/json":
		want = "text/plain"
	case strings.HasPrefix(declared, "application/vnd.openxmlformats-officedocument."):
		want = "application/zip" // Office documents are zip containers
	case declared == "application/gzip":
		want = "application/x-gzip"
	}
	if sniffed != want {
		return "the file's content does not look like " + declared
	}
	return ""
}

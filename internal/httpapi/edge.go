package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Limits of what the edge accepts before any handler runs. API Gateway's
// REST quota for the request line and headers together is 10,240 bytes.
const (
	MaxPathBytes   = 2048
	MaxQueryBytes  = 4096
	MaxQueryParams = 64
	MaxHeaderBytes = 10240
	MaxHeaders     = 100
)

// SingletonHeaders may appear at most once in a request: a second
// Authorization could be authorized by one layer and read by another.
var SingletonHeaders = singletonHeaders[:]

var singletonHeaders = [...]string{"Authorization", "Content-Type", "Content-Length", "Idempotency-Key", "If-Match", "X-Request-Id"}

// EdgeRequest is what the edge checks of a request: the local gateway fills
// it from the HTTP request, the Lambda adapter from the API Gateway event.
type EdgeRequest struct {
	Method string
	// EscapedPath is the path as sent, percent-encoded (API Gateway REST
	// events carry it so).
	EscapedPath string
	// RawQuery is the query string as sent; API Gateway events carry the
	// parameters decoded instead, in Query.
	RawQuery string
	Query    map[string][]string
	Header   map[string][]string
}

// CheckEdge returns a 400 when the request is malformed: a path with bad
// escapes, control characters, invalid UTF-8, an encoded '/', a stray '%'
// (double encoding) or dot segments; a query that does not parse or holds
// control characters or invalid UTF-8; headers with bad names or values, a
// repeated singleton header (two Authorization headers), or sizes beyond
// the limits above. Both homes of a function run it before any handler.
func CheckEdge(e EdgeRequest) error {
	if !validToken(e.Method) {
		return edgeErr("malformed_request", "method", "is not an HTTP method token")
	}
	if err := checkPath(e.EscapedPath); err != nil {
		return err
	}
	if err := checkQuery(e.RawQuery, e.Query); err != nil {
		return err
	}
	return checkHeaders(e.Header)
}

func edgeErr(code, field, reason string) error {
	return errs.Invalid(code, fmt.Sprintf("malformed request: %s %s", field, reason), errs.FieldError{Field: field, Reason: reason})
}

func checkPath(p string) error {
	bad := func(reason string) error { return edgeErr("malformed_path", "path", reason) }
	switch {
	case len(p) > MaxPathBytes:
		return bad(fmt.Sprintf("is longer than %d bytes", MaxPathBytes))
	case !strings.HasPrefix(p, "/"):
		return bad("must start with /")
	}
	if reason := pathBytes(p); reason != "" {
		return bad(reason)
	}
	for rest, more := p[1:], true; more; {
		var s string
		s, rest, more = strings.Cut(rest, "/")
		d, err := url.PathUnescape(s)
		switch {
		case err != nil:
			return bad("has a bad percent-escape")
		case d == "" && more:
			return bad("has an empty segment (//)")
		case d == "." || d == "..":
			return bad("has a dot segment")
		case strings.ContainsAny(d, "/%\\?#"):
			return bad("has an encoded '/', '%', '\\', '?' or '#'")
		}
		if reason := text.Problem(d, text.Line); reason != "" {
			return bad(reason)
		}
	}
	return nil
}

// pathBytes finds what is wrong with the raw bytes of a path: a stray '%',
// a control character or space, '?', '#' or a backslash.
func pathBytes(p string) string {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "has a '%' that is not a percent-escape"
			}
		case c <= ' ' || c == 0x7f:
			return "has a control character or space"
		case c == '?' || c == '#' || c == '\\':
			return fmt.Sprintf("has a %q", c)
		}
	}
	return ""
}

func checkQuery(raw string, decoded map[string][]string) error {
	bad := func(reason string) error { return edgeErr("malformed_query", "query", reason) }
	if len(raw) > MaxQueryBytes {
		return bad(fmt.Sprintf("is longer than %d bytes", MaxQueryBytes))
	}
	q := decoded
	if raw != "" {
		var err error
		if q, err = url.ParseQuery(raw); err != nil {
			return bad("does not parse (bad percent-escape or ';')")
		}
	}
	n, size := 0, 0
	for k, vs := range q {
		if reason := text.Problem(k, text.Line); reason != "" {
			return edgeErr("malformed_query", k, reason)
		}
		size += len(k)
		for _, v := range vs {
			n++
			size += len(v)
			if reason := text.Problem(v, text.Line); reason != "" {
				return edgeErr("malformed_query", k, reason)
			}
		}
	}
	if n > MaxQueryParams {
		return bad(fmt.Sprintf("has more than %d parameters", MaxQueryParams))
	}
	if size > MaxQueryBytes {
		return bad(fmt.Sprintf("is longer than %d bytes", MaxQueryBytes))
	}
	return nil
}

func checkHeaders(h map[string][]string) error {
	var singletons [len(singletonHeaders)]int // each one's values, however its name is spelled
	n, size := 0, 0
	for k, vs := range h {
		if !validToken(k) {
			return edgeErr("malformed_header", "header", fmt.Sprintf("name %q is not a token", k))
		}
		ck := http.CanonicalHeaderKey(k) // no allocation when k is canonical, as net/http's are
		if i := slices.Index(SingletonHeaders, ck); i >= 0 {
			singletons[i] += len(vs)
		}
		for _, v := range vs {
			n++
			size += len(k) + len(v) + 4
			if !utf8.ValidString(v) {
				return edgeErr("malformed_header", ck, "is not valid UTF-8")
			}
			for _, r := range v {
				if text.IsControl(r) && r != '\t' {
					return edgeErr("malformed_header", ck, "has a control character")
				}
			}
		}
	}
	if n > MaxHeaders || size > MaxHeaderBytes {
		return edgeErr("request_header_too_large", "header", fmt.Sprintf("more than %d headers or %d bytes", MaxHeaders, MaxHeaderBytes))
	}
	for i, s := range SingletonHeaders {
		if singletons[i] > 1 && s == "If-Match" {
			return IfMatchList() // RFC 9110: two lines are one list
		}
		if singletons[i] > 1 {
			return errs.Invalid("duplicate_header", fmt.Sprintf("the request has %d %s headers; send exactly one", singletons[i], s),
				errs.FieldError{Field: s, Reason: "repeated"})
		}
	}
	return nil
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// validToken reports whether s is an RFC 9110 token (method, header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || c <= ' ' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// EdgeOf describes an HTTP request for CheckEdge.
func EdgeOf(r *http.Request) EdgeRequest {
	return EdgeRequest{Method: r.Method, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header}
}

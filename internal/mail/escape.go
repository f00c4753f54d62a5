package mail

import (
	"strings"
	"unicode/utf8"
)

// The HTML parts escape exactly as html/template did when the messages
// were templates (the goldens in testdata pin it): html/template is not
// used because executing a template makes the linker keep every exported
// method of every reachable type (reflect's MethodByName), which made each
// function that mails 10-25 MB larger. These are the three escapers its
// contextual autoescaping chose for the messages' two contexts, ported
// from Go's html/template (html.go, url.go; BSD-style licence, Copyright
// 2011 The Go Authors): text nodes, and a whole URL in a double-quoted
// href. html.EscapeString is not the same: it leaves '+' and NUL alone,
// and knows nothing of URLs.

// htmlReplacementTable is html/template's table for text nodes and quoted
// attribute values.
var htmlReplacementTable = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// escapeHTML writes s escaped for an HTML text node or a quoted
// attribute value (html/template's htmlEscaper and attrEscaper on a plain
// string).
func escapeHTML(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if int(r) < len(htmlReplacementTable) {
			if repl := htmlReplacementTable[r]; repl != "" {
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		}
		i += w
	}
	b.WriteString(s[written:])
}

// escapeHref writes the URL s as the value of a double-quoted href: a URL
// whose scheme is not http, https or mailto becomes "#ZgotmplZ"
// (html/template's urlFilter), the rest is normalised (urlNormalizer: bytes
// outside RFC 3986's unreserved and reserved sets percent-encoded, valid
// escapes kept) and escaped for the attribute (attrEscaper).
func escapeHref(b *strings.Builder, s string) {
	if !isSafeURL(s) {
		b.WriteString("#ZgotmplZ")
		return
	}
	var n strings.Builder
	normalizeURL(&n, s)
	escapeHTML(b, n.String())
}

func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

func normalizeURL(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	written := 0
	for i, n := 0, len(s); i < n; i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']', '-', '.', '_', '~':
			continue
		case '%':
			// Valid escapes stay (html/template's bound: one that ends
			// the string is re-encoded).
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		b.WriteString(s[written:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
		written = i + 1
	}
	b.WriteString(s[written:])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Package xmltext reads and writes the little XML the hand-signed AWS
// calls exchange (STS's and CloudFormation's awsQuery answers, S3's
// restXml answers and bodies) without encoding/xml, which only the SDK's
// XML clients would link (issue 19). The answers it reads have a fixed
// shape: elements without attributes of interest, no CDATA, no comments.
package xmltext

import (
	"strconv"
	"strings"
)

// Raw is the text of the first element named name in doc, as written
// (escaped), and whether there is one.
func Raw(doc, name string) (string, bool) {
	open, end := "<"+name+">", "</"+name+">"
	i := strings.Index(doc, open)
	if i < 0 {
		return "", false
	}
	rest := doc[i+len(open):]
	j := strings.Index(rest, end)
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// Element is the text of the first element named name in doc, unescaped.
func Element(doc, name string) (string, bool) {
	s, ok := Raw(doc, name)
	return Unescape(s), ok
}

// Text is Element's text alone ("" when there is none).
func Text(doc, name string) string {
	s, _ := Element(doc, name)
	return s
}

// Each calls f with the raw content of every element named name in doc,
// in order (elements of that name must not nest in each other).
func Each(doc, name string, f func(content string)) {
	open, end := "<"+name+">", "</"+name+">"
	for {
		_, after, ok := strings.Cut(doc, open)
		if !ok {
			return
		}
		content, rest, ok := strings.Cut(after, end)
		if !ok {
			return
		}
		f(content)
		doc = rest
	}
}

// EscapeText escapes s for XML character data (what encoding/xml's
// EscapeText does: the five markup characters, and tab, newline and
// carriage return as references).
func EscapeText(s string) string {
	return textEscaper.Replace(s)
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")

// Unescape replaces XML's five named entities and character references
// (decimal and hex) in s; anything else is kept as it is.
func Unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, ';')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		ent := s[1:j]
		switch {
		case ent == "amp":
			b.WriteByte('&')
		case ent == "lt":
			b.WriteByte('<')
		case ent == "gt":
			b.WriteByte('>')
		case ent == "quot":
			b.WriteByte('"')
		case ent == "apos":
			b.WriteByte('\'')
		case strings.HasPrefix(ent, "#x") || strings.HasPrefix(ent, "#X"):
			n, err := strconv.ParseUint(ent[2:], 16, 32)
			if err != nil {
				b.WriteString(s[:j+1])
			} else {
				b.WriteRune(rune(n))
			}
		case strings.HasPrefix(ent, "#"):
			n, err := strconv.ParseUint(ent[1:], 10, 32)
			if err != nil {
				b.WriteString(s[:j+1])
			} else {
				b.WriteRune(rune(n))
			}
		default:
			b.WriteString(s[:j+1])
		}
		s = s[j+1:]
	}
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// checkJSONText walks the raw body once, before it is decoded, and refuses
// what encoding/json would silently repair or let through: invalid UTF-8 and
// lone UTF-16 surrogates (\ud800) are replaced by U+FFFD when decoding, and
// control characters other than newline, carriage return and tab have no
// place in any field. The error names the field (a JSON path such as
// "labels[2]" or "branding.display_name"). A key repeated in one object,
// or repeated in another case ("title" and "Title": encoding/json matches
// fields case-insensitively and keeps the last), is a 400 duplicate_key:
// another reader of the same bytes (a proxy, a log, the web client) could
// take the first. Syntax errors are left to the decoder, which reports
// them with their offset.
func checkJSONText(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var path []step
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error Decode reports
		}
		end := dec.InputOffset()
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				path = append(path, step{object: true})
			case '[':
				path = append(path, step{index: -1})
			case '}', ']':
				if len(path) > 0 {
					path = path[:len(path)-1]
				}
				advance(path)
			}
			continue
		case string:
			top := len(path) - 1
			isKey := top >= 0 && path[top].object && !path[top].haveKey
			name := fieldName(path)
			if isKey {
				name = fieldName(append(path[:top:top], step{object: true, key: t, haveKey: true}))
			}
			if reason := rawStringProblem(raw); reason != "" {
				return text.Invalid(name, reason)
			}
			if p := text.Problem(t, text.Multiline); p != "" {
				return text.Invalid(name, p)
			}
			if isKey {
				k := foldKey(t)
				if path[top].seen == nil {
					path[top].seen = map[string]bool{}
				}
				if path[top].seen[k] {
					return errs.Invalid("duplicate_key", fmt.Sprintf("%s appears twice in its object (keys are matched without regard to case)", name),
						errs.FieldError{Field: name, Reason: "duplicate key"})
				}
				path[top].seen[k] = true
				path[top].key, path[top].haveKey = t, true
				continue
			}
		}
		advance(path)
	}
}

// step is one level of the JSON path being walked.
type step struct {
	object  bool
	key     string
	haveKey bool            // an object's key was read, its value is next
	index   int             // an array's current index
	seen    map[string]bool // an object's keys so far, case-folded
}

// foldKey is k case-folded as encoding/json matches field names: each rune
// replaced by the smallest of its simple case folding orbit (K, k and the
// Kelvin sign are one key; so are s and the long s).
func foldKey(k string) string {
	b := make([]rune, 0, len(k))
	for _, r := range k {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b = append(b, m)
	}
	return string(b)
}

// advance moves past one complete value at the top level of path.
func advance(path []step) {
	if len(path) == 0 {
		return
	}
	top := &path[len(path)-1]
	if top.object {
		top.haveKey = false
		return
	}
	top.index++
}

func fieldName(path []step) string {
	var b []byte
	for _, s := range path {
		switch {
		case s.object && s.haveKey:
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, s.key...)
		case !s.object:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(max(s.index+1, 0)), 10)
			b = append(b, ']')
		}
	}
	if len(b) == 0 {
		return "body"
	}
	return string(b)
}

// rawStringProblem inspects the raw bytes of one string token (with the
// separators before it): invalid UTF-8, and \u escapes of unpaired surrogates.
func rawStringProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return "is not valid UTF-8"
	}
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return ""
	}
	s := raw[i+1:]
	for j := 0; j < len(s); j++ {
		if s[j] != '\\' || j+1 >= len(s) {
			continue
		}
		if s[j+1] != 'u' {
			j++ // a two-character escape such as \\ or \"
			continue
		}
		r, ok := hex4(s, j+2)
		if !ok {
			return "" // malformed escape: the decoder reports it
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := hex4(s, j+8)
			if !ok || j+7 >= len(s) || s[j+6] != '\\' || s[j+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
				return "has an unpaired UTF-16 surrogate (\\u" + string(s[j+2:j+6]) + ")"
			}
			j += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return "has an unpaired UTF-16 surrogate (\\u" + string(s[j+2:j+6]) + ")"
		default:
			j += 5
		}
	}
	return ""
}

func hex4(s []byte, at int) (rune, bool) {
	if at < 0 || at+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s[at:at+4]), 16, 32)
	return rune(n), err == nil
}

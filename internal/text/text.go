// Package text decides, in one place, which text the API accepts and stores:
// valid UTF-8 without control characters (newline and tab are allowed only in
// multi-line fields such as descriptions and comment bodies), normalised to
// Unicode NFC so that two strings that look the same compare equal.
// Single-line text also refuses Unicode's explicit directional formatting
// characters (embeddings, overrides and isolates, U+202A-U+202E and
// U+2066-U+2069): in a name, title or file name they make what is shown
// differ from what is stored ("invoice\u202Efdp.exe" shows as
// "invoicexe.pdf"), and they reorder whatever text follows them on the page.
// Multi-line prose (descriptions, comments) keeps them: right-to-left writing
// uses them, and each such field is rendered in a block of its own. Every
// domain's validation calls it; the JSON request decoder (internal/httpapi)
// refuses invalid UTF-8 and lone surrogates before a value reaches a field.
package text

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Kind says where newlines may appear.
type Kind int

const (
	// Line is single-line text: names, titles, slugs, e-mail addresses.
	Line Kind = iota
	// Multiline text may hold newlines (LF or CRLF) and tabs.
	Multiline
)

// Code is the problem code of text that is not acceptable.
const Code = "invalid_text"

// Problem returns why s is not acceptable text of kind k, or "" when it is.
func Problem(s string, k Kind) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i, r := range s {
		if k == Line && IsBidiControl(r) {
			return fmt.Sprintf("must not contain directional formatting characters (found %U at byte %d)", r, i)
		}
		if !IsControl(r) {
			continue
		}
		if k == Multiline && (r == '\n' || r == '\t' || (r == '\r' && i+1 < len(s) && s[i+1] == '\n')) {
			continue
		}
		return fmt.Sprintf("must not contain control characters (found %U at byte %d)", r, i)
	}
	return ""
}

// IsControl reports whether r is a control character: C0 (including NUL,
// ESC of ANSI escape sequences, CR, LF, TAB), DEL and C1.
func IsControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// IsBidiControl reports whether r is one of Unicode's explicit directional
// formatting characters: the embeddings and overrides LRE, RLE, PDF, LRO, RLO
// (U+202A-U+202E) and the isolates LRI, RLI, FSI, PDI (U+2066-U+2069). The
// implicit marks (LRM U+200E, RLM U+200F, ALM U+061C) change the direction of
// nothing but the neighbouring neutral characters and stay allowed.
func IsBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Check returns a 400 (code invalid_text) naming field when s is not
// acceptable text of kind k.
func Check(field, s string, k Kind) error {
	if p := Problem(s, k); p != "" {
		return Invalid(field, p)
	}
	return nil
}

// Invalid is the error of one unacceptable text field.
func Invalid(field, reason string) *errs.Error {
	return errs.Invalid(Code, field+": "+reason, errs.FieldError{Field: field, Reason: reason})
}

// Clean checks *s as text of kind k (naming field on error), trims the
// surrounding white space of single-line text, and normalises it to NFC.
func Clean(field string, s *string, k Kind) error {
	if err := Check(field, *s, k); err != nil {
		return err
	}
	if k == Line {
		*s = strings.TrimSpace(*s)
	}
	*s = NFC(*s)
	return nil
}

// Fields checks several fields at once and returns every bad one.
type Fields struct {
	bad   []errs.FieldError
	other bool // a failure other than a text check (length, format)
}

// Clean is text.Clean recording the failure instead of returning it.
func (f *Fields) Clean(field string, s *string, k Kind) {
	if err := Clean(field, s, k); err != nil {
		f.bad = append(f.bad, errs.As(err).Fields...)
	}
}

// Add records another field error (length, format...).
func (f *Fields) Add(field, reason string) {
	f.bad = append(f.bad, errs.FieldError{Field: field, Reason: reason})
	f.other = true
}

// Has reports whether field already failed (so length checks do not repeat it).
func (f *Fields) Has(field string) bool {
	for _, b := range f.bad {
		if b.Field == field {
			return true
		}
	}
	return false
}

// Err is nil when every field passed; otherwise a 400 naming each bad
// field: invalid_text when only text checks failed, else validation_failed.
func (f *Fields) Err() error {
	if len(f.bad) == 0 {
		return nil
	}
	code := Code
	if f.other {
		code = "validation_failed"
	}
	return errs.Invalid(code, f.bad[0].Field+": "+f.bad[0].Reason, f.bad...)
}

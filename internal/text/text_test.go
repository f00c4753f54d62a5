package text_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProblem(t *testing.T) {
	for _, c := range []struct {
		s        string
		line, ml bool // acceptable as single-line, multi-line
	}{
		{"plain", true, true},
		{"café 😀", true, true},
		{"a\nb", false, true},
		{"a\tb", false, true},
		{"a\r\nb", false, true},
		{"a\rb", false, false},
		{"a\x00b", false, false},
		{"\x1b[31m", false, false},
		{"a\x7f", false, false},
		{"a\u0085", false, false},
		{"a\xffb", false, false},
		{"\xed\xa0\x80", false, false}, // a surrogate encoded in UTF-8 (CESU)
		// explicit directional formatting: refused in a line, kept in prose
		{"invoice\u202efdp.exe", false, true}, // RLO: shows as "invoicexe.pdf"
		{"a\u202db", false, true},             // LRO
		{"a\u202ab\u202c", false, true},       // LRE ... PDF
		{"a\u2067b\u2069", false, true},       // RLI ... PDI
		{"a\u2066b", false, true},             // LRI
		{"a\u2068b", false, true},             // FSI
		// the implicit marks and right-to-left letters are plain text
		{"\u05e9\u05dc\u05d5\u05dd\u200f", true, true},
		{"abc\u200e", true, true},
		{"\u0627\u061c", true, true},
	} {
		assert.Equal(t, c.line, text.Problem(c.s, text.Line) == "", "%q as a line", c.s)
		assert.Equal(t, c.ml, text.Problem(c.s, text.Multiline) == "", "%q as multi-line text", c.s)
	}
}

func TestCleanNormalisesToNFC(t *testing.T) {
	s := "  Cafe\u0301 "
	require.NoError(t, text.Clean("name", &s, text.Line))
	assert.Equal(t, "Caf\u00e9", s)
	bad := "a\x00"
	err := text.Clean("title", &bad, text.Line)
	e := errs.As(err)
	assert.Equal(t, "invalid_text", e.Code)
	assert.Equal(t, "title", e.Fields[0].Field)
}

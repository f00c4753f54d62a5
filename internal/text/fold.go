package text

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold is Unicode full case folding (CaseFolding.txt's C and F mappings,
// the same as golang.org/x/text/cases.Fold()): the key under which two
// names that differ only in case are the same ("Straße" and "STRASSE").
// Per rune, without context: unicode.ToLower except the runes of
// foldExceptions (generated from x/text/cases; TestFoldIsXTextCasesFold
// compares every rune). Invalid UTF-8 bytes are kept as they are.
//
// Why not cases.Fold: it links golang.org/x/text/language and its tables,
// and their package initialisation, into every function that validates a
// label (14 of 18), for a fold that is a table lookup (issue 19,
// docs/performance.md).
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteByte(s[i])
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		default:
			if f, ok := foldException(r); ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
		i += n
	}
	return b.String()
}

func foldException(r rune) (string, bool) {
	const size = 6
	n := len(foldExceptions) / size
	i := sort.Search(n, func(i int) bool { return u24(foldExceptions, i*size) >= r })
	if i < n && u24(foldExceptions, i*size) == r {
		d := foldExceptions[i*size+3:]
		off := int(d[0])<<8 | int(d[1])
		return foldData[off : off+int(d[2])], true
	}
	return "", false
}

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
	i := sort.Search(len(foldExceptions), func(i int) bool { return foldExceptions[i].r >= r })
	if i < len(foldExceptions) && foldExceptions[i].r == r {
		return foldExceptions[i].fold, true
	}
	return "", false
}

package text

import (
	"sort"
	"sync"
	"unicode/utf8"
)

// NFC returns s in Unicode normalisation form C; uniqueness checks (label,
// team and company names, slugs) compare NFC strings. It is
// golang.org/x/text/unicode/norm's NFC.String: canonical decomposition
// (the generated nfcDecomp tables, Hangul by arithmetic), canonical
// ordering by combining class, then canonical composition (composition),
// with x/text's Stream-Safe Text Format rule (a combining grapheme joiner
// U+034F after 30 non-starters in a row). TestNFCIsXTextNorm compares
// every rune and strings built to exercise reordering and composition.
//
// Why not x/text/unicode/norm: its tables (~72 KB) were linked into every
// function that validates text, for the few names that are not already in
// NFC (issue 19, docs/performance.md). The standard library links its own
// copy (vendor/golang.org/x/text/unicode/norm, for net/http's IDNA), which
// other packages cannot import. Our tables are string constants
// (nfc_table.go): read-only data, searched in place.
func NFC(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return nfcSlow(s, i)
		}
	}
	return s
}

const (
	hangulSBase  = 0xAC00
	hangulLBase  = 0x1100
	hangulVBase  = 0x1161
	hangulTBase  = 0x11A7
	hangulLCount = 19
	hangulVCount = 21
	hangulTCount = 28
	hangulNCount = hangulVCount * hangulTCount
	hangulSCount = hangulLCount * hangulNCount

	maxNonStarters = 30     // x/text's Stream-Safe Text Format limit
	cgj            = 0x034F // combining grapheme joiner, inserted past it
)

func nfcSlow(s string, ascii int) string {
	buf := make([]rune, 0, len(s))
	for _, r := range s[:ascii] {
		buf = append(buf, r)
	}
	nonStarters := 0
	add := func(r rune) {
		if ccc(r) == 0 {
			nonStarters = 0
		} else if nonStarters++; nonStarters > maxNonStarters {
			buf = append(buf, cgj)
			nonStarters = 1
		}
		buf = append(buf, r)
	}
	for i := ascii; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			// Invalid bytes are kept; text.Problem refuses them before a
			// value is stored. Compose what came before, then go on.
			return string(compose(reorder(buf))) + s[i:i+1] + NFC(s[i+1:])
		}
		i += n
		switch d := decompose(r); {
		case r >= hangulSBase && r < hangulSBase+hangulSCount:
			si := r - hangulSBase
			add(hangulLBase + si/hangulNCount)
			add(hangulVBase + si%hangulNCount/hangulTCount)
			if t := si % hangulTCount; t != 0 {
				add(hangulTBase + t)
			}
		case d != "":
			for _, x := range d {
				add(x)
			}
		default:
			add(r)
		}
	}
	out := string(compose(reorder(buf)))
	if out == s {
		return s
	}
	return out
}

// reorder sorts each run of non-starters by combining class (stably).
func reorder(b []rune) []rune {
	for i := 0; i < len(b); {
		if ccc(b[i]) == 0 {
			i++
			continue
		}
		j := i
		for j < len(b) && ccc(b[j]) != 0 {
			j++
		}
		run := b[i:j]
		sort.SliceStable(run, func(x, y int) bool { return ccc(run[x]) < ccc(run[y]) })
		i = j
	}
	return b
}

// compose is the canonical composition algorithm (UAX #15) in place.
func compose(b []rune) []rune {
	if len(b) == 0 {
		return b
	}
	starter := 0
	last := int(ccc(b[0]))
	if last != 0 {
		last = 256 // a leading non-starter composes with nothing
	}
	n := 1
	for _, c := range b[1:] {
		cc := int(ccc(c))
		if p, ok := composePair(b[starter], c); ok && (last < cc || last == 0) {
			b[starter] = p
			continue
		}
		if cc == 0 {
			starter = n
		}
		last = cc
		b[n] = c
		n++
	}
	return b[:n]
}

func composePair(a, b rune) (rune, bool) {
	switch {
	case a >= hangulLBase && a < hangulLBase+hangulLCount && b >= hangulVBase && b < hangulVBase+hangulVCount:
		return hangulSBase + ((a-hangulLBase)*hangulVCount+(b-hangulVBase))*hangulTCount, true
	case a >= hangulSBase && a < hangulSBase+hangulSCount && (a-hangulSBase)%hangulTCount == 0 &&
		b > hangulTBase && b < hangulTBase+hangulTCount:
		return a + (b - hangulTBase), true
	}
	r, ok := composition()[[2]rune{a, b}]
	return r, ok
}

// composition are the primary composites (Hangul aside) by the pair they
// compose from, derived at first use from the decompositions: every rune
// whose decomposition has two runes or more, except nfcExcluded, composes
// from the composite of its decomposition's runes but the last, and the
// last. Not a table in the binary (8.5 KB of read-only data; issue 19); built
// by the first string that is not ASCII, once per process (~1,000 pairs).
var composition = sync.OnceValue(func() map[[2]rune]rune {
	const size = 6
	byDecomp := map[string]rune{}
	var composites []rune
	for i := 0; i < len(nfcDecomp); i += size {
		r := u24(nfcDecomp, i)
		d := decompose(r)
		if utf8.RuneCountInString(d) < 2 || excluded(r) {
			continue
		}
		byDecomp[d] = r
		composites = append(composites, r)
	}
	pairs := make(map[[2]rune]rune, len(composites))
	for _, r := range composites {
		d := decompose(r)
		last, n := utf8.DecodeLastRuneInString(d)
		first, m := utf8.DecodeRuneInString(d)
		if m != len(d)-n { // more than one rune before the last
			var ok bool
			if first, ok = byDecomp[d[:len(d)-n]]; !ok {
				continue
			}
		}
		pairs[[2]rune{first, last}] = r
	}
	return pairs
})

// excluded reports whether r is in nfcExcluded.
func excluded(r rune) bool {
	const size = 3
	n := len(nfcExcluded) / size
	i := sort.Search(n, func(i int) bool { return u24(nfcExcluded, i*size) >= r })
	return i < n && u24(nfcExcluded, i*size) == r
}

// decompose is r's full canonical decomposition, or "" when it has none
// (Hangul syllables aside).
func decompose(r rune) string {
	const size = 6
	n := len(nfcDecomp) / size
	i := sort.Search(n, func(i int) bool { return u24(nfcDecomp, i*size) >= r })
	if i < n && u24(nfcDecomp, i*size) == r {
		d := nfcDecomp[i*size+3:]
		off := int(d[0])<<8 | int(d[1])
		return nfcDecompData[off : off+int(d[2])]
	}
	return ""
}

// ccc is r's canonical combining class.
func ccc(r rune) uint8 {
	if r < 0x300 {
		return 0
	}
	const size = 7
	n := len(nfcCCC) / size
	i := sort.Search(n, func(i int) bool { return u24(nfcCCC, i*size+3) >= r })
	if i < n && u24(nfcCCC, i*size) <= r {
		return nfcCCC[i*size+6]
	}
	return 0
}

// u24 is the rune of the table record byte s[i:i+3] (big-endian): the
// tables of nfc_table.go and fold_table.go are strings of such records.
func u24(s string, i int) rune { return rune(s[i])<<16 | rune(s[i+1])<<8 | rune(s[i+2]) }

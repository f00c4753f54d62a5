package text

import (
	"strings"
	"unicode/utf8"
)

// SpreadsheetSafe defuses a CSV cell that a spreadsheet would run as a
// formula (CSV or formula injection, OWASP): a cell whose first character
// after any leading whitespace is =, +, -, @ or their full-width forms
// (which some spreadsheets also read as formulas), or that starts with a
// tab or carriage return, gets a leading quote. A plain number (-5, 3.14)
// stays as it is. Every CSV the platform writes (view export, audit export;
// the web app's chart CSV has the same rule in web/src/lib/csv.ts) passes
// every cell, headers included, through it.
func SpreadsheetSafe(s string) string {
	if s == "" || isPlainNumber(s) {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, " \t\r\n\u00a0\u3000"))
	switch r {
	case '=', '+', '-', '@', '\uff1d', '\uff0b', '\uff0d', '\uff20':
		return "'" + s
	}
	return s
}

// SpreadsheetSafeRow is SpreadsheetSafe on every cell of a row (a copy).
func SpreadsheetSafeRow(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = SpreadsheetSafe(c)
	}
	return out
}

// isPlainNumber reports whether s is -?digits(.digits)?.
func isPlainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	int, frac, dot := strings.Cut(s, ".")
	return digits(int) && (!dot || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

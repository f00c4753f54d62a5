// Package address checks the email addresses people give the platform
// (no dependencies beyond net/mail: the functions that take an address
// need not link the mailer).
package address

import (
	netmail "net/mail"
	"strings"
)

// Check says what is wrong with s as the address of a person the
// platform mails (an admin at sign-up, an invited user), or "" when it is
// one. net/mail's grammar is RFC 5322's, which lets through what no mailer
// on the way will deliver: a display name or angle brackets, a domain
// without a dot ("ann@localhost") or a literal ("ann@[10.0.0.1]"), and,
// since Go 1.x, UTF-8 anywhere (RFC 6532). SES and Cognito take only ASCII
// addresses (SMTPUTF8 is not offered), so a non-ASCII local part could
// never be mailed, and an internationalised domain must come in its
// xn-- form. The lengths are RFC 5321's: 64 for the local part, 254 in
// all (a path of 256 with its brackets), and DNS's 63 for a label.
func Check(s string) string {
	if s == "" {
		return "must be an email address such as ann@example.com"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return "must be a plain ASCII email address such as ann@example.com (an internationalised domain in its xn-- form)"
		}
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "must be a plain email address such as ann@example.com"
	}
	if len(s) > 254 {
		return "must be at most 254 characters"
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 {
		return "the part before @ must be at most 64 characters"
	}
	if strings.HasPrefix(domain, "[") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "must have a domain name with a dot, such as example.com"
	}
	for _, label := range strings.Split(domain, ".") {
		if len(label) > 63 {
			return "each part of the domain must be at most 63 characters"
		}
	}
	return ""
}

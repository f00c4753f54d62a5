// Package passwordpolicy is the password policy of every user pool the
// platform creates (tenant, Platinum and provider pools): the CDK identity
// construct sets it on the pools, the public workspace lookup gives it to
// the web app's first sign-in form, and the platform's own sign-in checks a
// new password against it before answering the challenge. cognito-local
// keeps a pool's policy but does not enforce it, so without this check a
// password AWS refuses would be accepted locally.
package passwordpolicy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy is a user pool's password policy, as the web app reads it.
type Policy struct {
	MinLength        int  `json:"min_length"`
	RequireLowercase bool `json:"require_lowercase"`
	RequireUppercase bool `json:"require_uppercase"`
	RequireDigits    bool `json:"require_digits"`
	RequireSymbols   bool `json:"require_symbols"`
	// TempPasswordDays is how long an invitation's temporary password works.
	TempPasswordDays int `json:"temp_password_days"`
}

// Pools is the policy of every pool of the platform.
var Pools = Policy{MinLength: 12, RequireLowercase: true, RequireUppercase: true, RequireDigits: true,
	RequireSymbols: true, TempPasswordDays: 3}

// Symbols are the characters Cognito counts as symbols
// (https://docs.aws.amazon.com/cognito/latest/developerguide/managing-users-passwords.html).
const Symbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// Check returns what pw lacks, in one sentence, or nil.
func (p Policy) Check(pw string) error {
	var missing []string
	if utf8.RuneCountInString(pw) < p.MinLength {
		missing = append(missing, fmt.Sprintf("at least %d characters", p.MinLength))
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(pw, f) >= 0 }
	if p.RequireLowercase && !has(unicode.IsLower) {
		missing = append(missing, "a lower case letter")
	}
	if p.RequireUppercase && !has(unicode.IsUpper) {
		missing = append(missing, "an upper case letter")
	}
	if p.RequireDigits && !has(func(r rune) bool { return r >= '0' && r <= '9' }) {
		missing = append(missing, "a digit")
	}
	if p.RequireSymbols && !has(func(r rune) bool { return strings.ContainsRune(Symbols, r) }) {
		missing = append(missing, "a symbol")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the password needs %s", strings.Join(missing, ", "))
}

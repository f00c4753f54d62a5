package text

import (
	"regexp"
	"sync"
)

// Pattern is a regular expression compiled at its first use, not at
// package initialisation (a cold start compiles none). One implementation
// for every pattern of the code base: a sync.OnceValue per pattern is
// ~450 bytes of code each, instantiated at every call site (issue 19).
type Pattern struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// Lazy is the pattern of expr, compiled (regexp.MustCompile) at its first
// Regexp call.
func Lazy(expr string) *Pattern { return &Pattern{expr: expr} }

// Regexp is the compiled pattern.
func (p *Pattern) Regexp() *regexp.Regexp {
	p.once.Do(func() { p.re = regexp.MustCompile(p.expr) })
	return p.re
}

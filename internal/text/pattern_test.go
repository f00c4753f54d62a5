package text

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A pattern is compiled at its first use, once, and not before.
func TestPatternCompilesAtFirstUse(t *testing.T) {
	p := Lazy(`^[a-z]+$`)
	assert.Nil(t, p.re, "not compiled before its first use")
	assert.True(t, p.Regexp().MatchString("abc"))
	assert.Same(t, p.Regexp(), p.Regexp(), "compiled once")
	bad := Lazy(`(`)
	assert.Panics(t, func() { bad.Regexp() }, "an invalid pattern panics at its first use, as regexp.MustCompile")
}

package envvars

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// needs is searched for the first entry of a function: a second entry of
// the same function would be ignored.
func TestNeedsNamesEachFunctionOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range needs {
		assert.False(t, seen[string(n.fn)], "two entries for %s", n.fn)
		seen[string(n.fn)] = true
	}
	_, ok := For("nothing")
	assert.False(t, ok)
	names, ok := For("presignup")
	assert.True(t, ok, "presignup needs nothing, and is known")
	assert.Empty(t, names)
}

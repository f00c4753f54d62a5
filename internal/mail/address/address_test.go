package address

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{
		"ann@example.com", "ann.lee+work@mail.example.co.uk", "a_b-c@xn--bcher-kva.example",
		strings.Repeat("a", 64) + "@example.com", "ann@" + strings.Repeat(strings.Repeat("d", 61)+".", 4) + "co",
	} {
		assert.Empty(t, Check(ok), ok)
	}
	for _, bad := range []string{
		"", "ann", "ann@", "@example.com", "ann@localhost", "ann@[10.0.0.1]", "ann@.example.com",
		"ann@example.com.", "ann@example..com", "Ann <ann@example.com>", "<ann@example.com>",
		" ann@example.com", "ann@example.com ", "ann lee@example.com", "ann@exa mple.com",
		"änn@example.com", "ann@bücher.example", "ann@example.com\n", "ann\x00@example.com",
		"ann@example.com, bob@example.com", strings.Repeat("a", 65) + "@example.com",
		"anne@" + strings.Repeat(strings.Repeat("d", 61)+".", 4) + "co", "ann@" + strings.Repeat("d", 64) + ".com",
	} {
		assert.NotEmpty(t, Check(bad), "%q", bad)
	}
}

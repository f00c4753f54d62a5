package passwordpolicy_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/passwordpolicy"
	"github.com/stretchr/testify/assert"
)

func TestPoolsPolicy(t *testing.T) {
	for pw, want := range map[string]string{
		"Demo-Passw0rd!": "",
		"short":          "the password needs at least 12 characters, an upper case letter, a digit, a symbol",
		"New-Passw0rd":   "",
		"password1234!":  "the password needs an upper case letter",
		"PASSWORD1234!":  "the password needs a lower case letter",
		"Password-abcd":  "the password needs a digit",
		"Password1234":   "the password needs a symbol",
		"Pass word 1234": "",
		"Éé-Passw0rd":    "the password needs at least 12 characters",
	} {
		err := passwordpolicy.Pools.Check(pw)
		if want == "" {
			assert.NoError(t, err, pw)
			continue
		}
		assert.EqualError(t, err, want, pw)
	}
}

package identity

import (
	"crypto/rand"
	"math/big"
)

// Character classes of generated passwords. The symbols are among those
// Cognito's policy counts and read unambiguously in a mail.
const (
	lower   = "abcdefghijkmnopqrstuvwxyz"
	upper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	digits  = "23456789"
	symbols = "!#%+-=?@_"
)

// TemporaryPasswordLength satisfies every pool's policy (12 or more).
const TemporaryPasswordLength = 16

// TemporaryPassword returns a random password that satisfies the pools'
// policy (constructs/identity: 12+ characters with lower and upper case,
// digits and symbols): one of each class, the rest from all, shuffled.
func TemporaryPassword() (string, error) {
	all := lower + upper + digits + symbols
	b := make([]byte, 0, TemporaryPasswordLength)
	for _, class := range []string{lower, upper, digits, symbols} {
		c, err := pick(class)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for len(b) < TemporaryPasswordLength {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for i := len(b) - 1; i > 0; i-- { // Fisher-Yates with crypto/rand
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		b[i], b[j.Int64()] = b[j.Int64()], b[i]
	}
	return string(b), nil
}

func pick(set string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, err
	}
	return set[n.Int64()], nil
}

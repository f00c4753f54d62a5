package onboarding

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"
)

// Registration verification: before anything is provisioned, the registrant
// proves they own the admin email by entering a 6-digit code mailed to it.
const (
	// CodeTTL is how long a code works.
	CodeTTL = 15 * time.Minute
	// MaxCodeAttempts wrong (or right) entries lock a code; a new code
	// (resend) unlocks.
	MaxCodeAttempts = 5
	codeDigits      = 6
)

// Verification is a registration's pending email code. Only a salted hash
// of the code is stored: the code itself exists only in the mail.
type Verification struct {
	TenantID  string
	Salt      string // hex; changes with every code, so a resend invalidates old attempts
	CodeHash  string // hex SHA-256 of salt, tenant and code
	ExpiresAt time.Time
	Attempts  int
	Sends     int
	SentAt    time.Time
	// StatusToken is the registration's status token, set by Register
	// only (never stored: the tenant keeps its hash).
	StatusToken string
}

// Locked reports whether the code took MaxCodeAttempts entries already.
func (v Verification) Locked() bool { return v.Attempts >= MaxCodeAttempts }

// Verifications stores pending verifications (onboardingdb), next to the
// tenant; registration writes the first one with the tenant.
type Verifications interface {
	// Get returns the tenant's pending verification, or not_found.
	Get(ctx context.Context, tenantID string) (Verification, error)
	// CountAttempt records one entry against the code generation salt,
	// atomically: false when the code is locked or was replaced meanwhile.
	CountAttempt(ctx context.Context, tenantID, salt string) (bool, error)
	// Replace stores a new code for a pending verification (resend).
	Replace(ctx context.Context, v Verification) error
	// Delete removes it (verified, or the registration failed).
	Delete(ctx context.Context, tenantID string) error
}

// newCode returns a random 6-digit code and its verification record.
func newCode(tenantID string, now time.Time) (string, Verification, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", Verification{}, err
	}
	code := fmt.Sprintf("%0*d", codeDigits, n.Int64())
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", Verification{}, err
	}
	v := Verification{TenantID: tenantID, Salt: hex.EncodeToString(salt), ExpiresAt: now.Add(CodeTTL), SentAt: now, Sends: 1}
	v.CodeHash = v.hash(code)
	return code, v, nil
}

func (v Verification) hash(code string) string {
	h := sha256.Sum256([]byte(v.Salt + "\x00" + v.TenantID + "\x00" + code))
	return hex.EncodeToString(h[:])
}

// matches compares a code with the stored hash in constant time.
func (v Verification) matches(code string) bool {
	if len(code) != codeDigits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(v.hash(code)), []byte(v.CodeHash)) == 1
}

package idtoken

import (
	"context"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// FuzzVerify: verifying any string never panics, never accepts anything but
// the one genuine token, and refuses with a 401 (or a 500 only when the
// JWKS cannot be read, which the fixture never does).
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	v := fx.verifier(Options{})
	good := signLocal(f, fx.idClaims(fx.tenant))
	expired := signLocal(f, with(fx.idClaims(fx.tenant), "exp", now.Add(-time.Hour).Unix()))
	for _, s := range []string{good, expired, good[:len(good)-2], good + "x", "", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAA", "Bearer " + good, good[:20]} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(ctx, token)
		if err == nil {
			if token != good {
				t.Fatalf("accepted a token that was not issued: %q (claims %+v)", token, c)
			}
			return
		}
		if k := errs.As(err).Kind; k != errs.KindUnauthorized {
			t.Fatalf("Verify(%q) = %v (%s), want a 401", token, err, k)
		}
	})
}

// A token is one exact string: a signature whose base64 spare bits differ
// decodes to the same bytes and must still be refused (no malleable tokens).
func TestVerifyRefusesNonCanonicalEncodings(t *testing.T) {
	fx := newFixture(t)
	v := fx.verifier(Options{})
	good := signLocal(t, fx.idClaims(fx.tenant))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := good[len(good)-1]
	i := 0
	for i < len(alphabet) && alphabet[i] != last {
		i++
	}
	// 256 signature bytes are 342 base64 characters: the last carries 2 spare bits.
	twin := good[:len(good)-1] + string(alphabet[i^1])
	_, err := v.Verify(context.Background(), twin)
	if err == nil {
		t.Fatalf("accepted %q, a second encoding of the genuine token", twin[len(twin)-8:])
	}
}

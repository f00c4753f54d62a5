package idtoken

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// requireCode asserts err is an unauthorized *errs.Error with code, whose
// message does not echo the token.
func requireCode(t *testing.T, err error, code, token string) {
	t.Helper()
	require.Error(t, err)
	e := errs.As(err)
	assert.Equal(t, errs.KindUnauthorized, e.Kind, "kind of %v", err)
	assert.Equal(t, code, e.Code, "code of %v", err)
	assert.NotEmpty(t, e.Message)
	if token != "" {
		assert.NotContains(t, e.Message, token)
	}
}

func TestVerifyRejects(t *testing.T) {
	hs256WithPublicKey := func(t *testing.T, f *fixture) string {
		der, err := x509.MarshalPKIXPublicKey(&poolKey().PublicKey)
		require.NoError(t, err)
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.idClaims(f.tenant))
		tok.Header["kid"] = localKid
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	tampered := func(t *testing.T, f *fixture) string {
		parts := strings.Split(signLocal(t, f.idClaims(f.tenant)), ".")
		payload, err := json.Marshal(with(f.idClaims(f.tenant), "custom:tenant_id", "initech"))
		require.NoError(t, err)
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}
	local := func(edit func(f *fixture) jwt.MapClaims) func(*testing.T, *fixture) string {
		return func(t *testing.T, f *fixture) string { return signLocal(t, edit(f)) }
	}

	tests := []struct {
		name    string
		token   func(*testing.T, *fixture) string
		code    string
		noFetch bool // rejected before any key lookup
	}{
		{"an empty token is missing", func(*testing.T, *fixture) string { return "" }, CodeTokenMissing, true},
		{"a string that is not a JWT is malformed", func(*testing.T, *fixture) string { return "not-a-jwt" }, CodeTokenMalformed, true},
		{"a JWT with an undecodable payload is malformed", func(*testing.T, *fixture) string { return "eyJhbGciOiJSUzI1NiJ9.!!!.c2ln" }, CodeTokenMalformed, true},
		{"an oversized token is malformed", func(*testing.T, *fixture) string { return strings.Repeat("a", maxTokenBytes+1) }, CodeTokenMalformed, true},
		{"a token with alg none is refused", func(t *testing.T, f *fixture) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.idClaims(f.tenant))
			tok.Header["kid"] = localKid
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return s
		}, CodeTokenAlgNotAllowed, true},
		{"an HS256 token keyed with the pool's public key is refused", hs256WithPublicKey, CodeTokenAlgNotAllowed, true},
		{"an RS512 token signed with the pool's own key is refused", func(t *testing.T, f *fixture) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS512, f.idClaims(f.tenant))
			tok.Header["kid"] = localKid
			s, err := tok.SignedString(poolKey())
			require.NoError(t, err)
			return s
		}, CodeTokenAlgNotAllowed, true},
		{"a token signed by another key under the pool's kid has a bad signature", func(t *testing.T, f *fixture) string {
			return sign(t, otherKey(), localKid, f.idClaims(f.tenant))
		}, CodeTokenSignatureInvalid, false},
		{"a token whose payload was edited after signing has a bad signature", tampered, CodeTokenSignatureInvalid, false},
		{"a token expired beyond the leeway is expired", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "exp", now.Add(-31*time.Second).Unix())
		}), CodeTokenExpired, false},
		{"a token whose nbf is beyond the leeway is not yet valid", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "nbf", now.Add(time.Minute).Unix())
		}), CodeTokenNotYetValid, false},
		{"a token issued in the future beyond the leeway is not yet valid", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "iat", now.Add(time.Minute).Unix())
		}), CodeTokenNotYetValid, false},
		{"a token without exp has invalid claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "exp", nil)
		}), CodeTokenClaimsInvalid, false},
		{"a token from an unknown issuer is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil")
		}), CodeTokenIssuerUnknown, true},
		{"a token whose issuer differs by a trailing slash is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "iss", f.tenant.Issuer+"/")
		}), CodeTokenIssuerUnknown, true},
		{"a token without an issuer is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "iss", nil)
		}), CodeTokenIssuerUnknown, true},
		{"a token without a kid is malformed", func(t *testing.T, f *fixture) string {
			return sign(t, poolKey(), "", f.idClaims(f.tenant))
		}, CodeTokenMalformed, true},
		{"a token for an unknown client is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "aud", "some-other-client")
		}), CodeTokenClientInvalid, false},
		{"a token of the tenant pool addressed to the dedicated pool's client is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "aud", f.dedicated.ClientIDs[0])
		}), CodeTokenClientInvalid, false},
		{"a token with two audiences is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "aud", []string{"tenant-web", "tenant-cli"})
		}), CodeTokenClientInvalid, false},
		{"an access token is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "token_use", "access", "aud", nil, "client_id", "tenant-web")
		}), CodeTokenUseInvalid, false},
		{"a token without token_use is refused", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "token_use", nil)
		}), CodeTokenUseInvalid, false},
		{"a token without a subject has invalid claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "sub", nil)
		}), CodeTokenClaimsInvalid, false},
		{"a tenant-pool token without a tenant has invalid claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "custom:tenant_id", nil)
		}), CodeTokenClaimsInvalid, false},
		{"a dedicated-pool token naming another tenant has invalid claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.dedicated), "custom:tenant_id", "globex")
		}), CodeTokenClaimsInvalid, false},
		{"a provider token naming a tenant has invalid claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.provider), "custom:tenant_id", "globex")
		}), CodeTokenClaimsInvalid, false},
		{"a token whose aud is not a string has malformed claims", local(func(f *fixture) jwt.MapClaims {
			return with(f.idClaims(f.tenant), "aud", 42)
		}), CodeTokenMalformed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			token := tt.token(t, f)
			claims, err := f.verifier(Options{}).Verify(context.Background(), token)
			assert.Nil(t, claims)
			requireCode(t, err, tt.code, token)
			if tt.noFetch {
				assert.Zero(t, f.totalFetches(), "JWKS fetches")
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(Options{})
	ctx := context.Background()

	t.Run("a valid ID token of the tenant pool yields all its claims", func(t *testing.T) {
		got, err := v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err)
		assert.Equal(t, &Claims{
			Pool:      f.tenant,
			Subject:   "6f1c2e9a-0000-4000-8000-000000000001",
			Username:  "alice",
			Email:     "alice@example.com",
			TokenUse:  "id",
			ClientID:  "tenant-web",
			TenantID:  "globex",
			Role:      "admin",
			Tier:      "standard",
			Groups:    []string{"admins"},
			IssuedAt:  time.Unix(now.Add(-time.Minute).Unix(), 0),
			AuthTime:  time.Unix(now.Add(-time.Minute).Unix(), 0),
			ExpiresAt: time.Unix(now.Add(time.Hour).Unix(), 0),
		}, got)
	})
	t.Run("any allowed client of the pool is accepted", func(t *testing.T) {
		got, err := v.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant), "aud", "tenant-cli")))
		require.NoError(t, err)
		assert.Equal(t, "tenant-cli", got.ClientID)
	})
	t.Run("a dedicated-pool token gets its tenant from the pool", func(t *testing.T) {
		got, err := v.Verify(ctx, signLocal(t, f.idClaims(f.dedicated)))
		require.NoError(t, err)
		assert.Equal(t, "acme", got.TenantID)
		assert.Equal(t, PoolDedicated, got.Pool.Kind)
	})
	t.Run("a provider token has no tenant", func(t *testing.T) {
		got, err := v.Verify(ctx, signLocal(t, f.idClaims(f.provider)))
		require.NoError(t, err)
		assert.Empty(t, got.TenantID)
		assert.Equal(t, PoolProvider, got.Pool.Kind)
	})
	t.Run("a token expired within the leeway is accepted", func(t *testing.T) {
		_, err := v.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant), "exp", now.Add(-20*time.Second).Unix())))
		require.NoError(t, err)
	})
	t.Run("a token whose nbf and iat are within the leeway is accepted", func(t *testing.T) {
		_, err := v.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant),
			"nbf", now.Add(20*time.Second).Unix(), "iat", now.Add(20*time.Second).Unix())))
		require.NoError(t, err)
	})
	t.Run("a custom leeway replaces the default", func(t *testing.T) {
		strict := f.verifier(Options{Leeway: time.Second})
		_, err := strict.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant), "exp", now.Add(-20*time.Second).Unix())))
		requireCode(t, err, CodeTokenExpired, "")
	})
}

// cognito-local signs every pool's tokens with one key, so only iss and aud
// keep pools apart: a token of another pool has a valid signature.
func TestVerifyKeepsPoolsApartWhenTheyShareAKey(t *testing.T) {
	ctx := context.Background()

	t.Run("a dedicated-pool token sent to a tenant-pool client resolves to the dedicated pool and fails on aud", func(t *testing.T) {
		f := newFixture(t)
		token := signLocal(t, with(f.idClaims(f.dedicated), "aud", f.tenant.ClientIDs[0]))
		_, err := f.verifier(Options{}).Verify(ctx, token)
		requireCode(t, err, CodeTokenClientInvalid, token)
		assert.Equal(t, 1, f.fetchesOf(f.dedicated), "the signature was checked with the dedicated pool's keys")
		assert.Zero(t, f.fetchesOf(f.tenant), "the tenant pool's keys were never needed")
	})
	t.Run("a tenant-pool token sent to a provider client fails on aud", func(t *testing.T) {
		f := newFixture(t)
		token := signLocal(t, with(f.idClaims(f.tenant), "aud", f.provider.ClientIDs[0]))
		_, err := f.verifier(Options{}).Verify(ctx, token)
		requireCode(t, err, CodeTokenClientInvalid, token)
	})
	t.Run("a tenant-pool token claiming the provider issuer is refused on aud", func(t *testing.T) {
		f := newFixture(t)
		token := signLocal(t, with(f.idClaims(f.tenant), "iss", f.provider.Issuer))
		_, err := f.verifier(Options{}).Verify(ctx, token)
		requireCode(t, err, CodeTokenClientInvalid, token)
	})
	t.Run("the same token with its own pool's client is accepted", func(t *testing.T) {
		f := newFixture(t)
		got, err := f.verifier(Options{}).Verify(ctx, signLocal(t, f.idClaims(f.dedicated)))
		require.NoError(t, err)
		assert.Equal(t, f.dedicated.ID, got.Pool.ID)
	})
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name, header, want, code string
	}{
		{"a Bearer header yields its token", "Bearer abc.def.ghi", "abc.def.ghi", ""},
		{"the scheme is case-insensitive", "bearer abc.def.ghi", "abc.def.ghi", ""},
		{"surrounding spaces are ignored", "  BEARER   abc.def.ghi  ", "abc.def.ghi", ""},
		{"an empty header is a missing token", "", "", CodeTokenMissing},
		{"a scheme without a token is a missing token", "Bearer ", "", CodeTokenMissing},
		{"another scheme is malformed", "Basic dXNlcjpwYXNz", "", CodeTokenMalformed},
		{"a bare token without scheme is malformed", "abc.def.ghi", "", CodeTokenMalformed},
		{"two tokens are malformed", "Bearer a.b.c d.e.f", "", CodeTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BearerToken(tt.header)
			if tt.code != "" {
				requireCode(t, err, tt.code, "")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestVerifyMarksAFederatedSignIn(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(Options{})
	ctx := context.Background()
	google := []map[string]any{{"providerName": "Google", "providerType": "Google", "userId": "104812345", "primary": "false"}}
	got, err := v.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant), "identities", google)))
	require.NoError(t, err)
	assert.True(t, got.Federated, "a Google sign-in (identities claim) is federated")
	got, err = v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
	require.NoError(t, err)
	assert.False(t, got.Federated, "a password sign-in is not")
}

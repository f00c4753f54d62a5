package idtoken

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// localKid is the kid cognito-local signs every pool's tokens with.
const localKid = "CognitoLocal"

// now is the fixed clock of every test verifier.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// RSA keys are slow to generate: make each once per test binary.
var (
	poolKey  = sync.OnceValue(func() *rsa.PrivateKey { return genKey() })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return genKey() })
	nextKey  = sync.OnceValue(func() *rsa.PrivateKey { return genKey() })
)

func genKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// servedKey is one public key in the JWKS the fixture serves.
type servedKey struct {
	kid string
	key *rsa.PublicKey
}

// fixture is a cognito-local look-alike: three pools whose JWKS all live on
// one httptest server and, like cognito-local, serve the same key.
type fixture struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	served  []servedKey
	fetches map[string]int // by URL path
	failing bool           // answer 500 to every JWKS request

	tenant, dedicated, provider Pool
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, fetches: map[string]int{}}
	f.served = []servedKey{{localKid, &poolKey().PublicKey}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveJWKS))
	t.Cleanup(f.srv.Close)
	f.tenant = NewPool("local_tenant", f.srv.URL+"/local_tenant", PoolTenant, "", "tenant-web", "tenant-cli")
	f.dedicated = NewPool("local_acme", f.srv.URL+"/local_acme", PoolDedicated, "acme", "acme-web")
	f.provider = NewPool("local_root", f.srv.URL+"/local_root", PoolProvider, "", "root-web")
	return f
}

func (f *fixture) serveJWKS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches[r.URL.Path]++
	if f.failing || !strings.HasSuffix(r.URL.Path, "/.well-known/jwks.json") {
		http.Error(w, "unavailable", http.StatusInternalServerError)
		return
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for _, k := range f.served {
		set.Keys = append(set.Keys, map[string]string{
			"kty": "RSA", "kid": k.kid, "alg": "RS256", "use": "sig",
			"n": b64(k.key.N.Bytes()), "e": b64(big.NewInt(int64(k.key.E)).Bytes()),
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// serve replaces the keys of the JWKS, as a key rotation does.
func (f *fixture) serve(keys ...servedKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served = keys
}

func (f *fixture) setFailing(b bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = b
}

// fetchesOf counts the JWKS requests made for p.
func (f *fixture) fetchesOf(p Pool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches[strings.TrimPrefix(p.JWKSURL, f.srv.URL)]
}

func (f *fixture) totalFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.fetches {
		n += c
	}
	return n
}

func (f *fixture) pools() StaticPools { return StaticPools{f.tenant, f.dedicated, f.provider} }

// verifier is a fresh (cold) Verifier over the fixture's pools.
func (f *fixture) verifier(o Options) *Verifier {
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	return NewVerifier(f.pools(), o)
}

// idClaims are the claims of a valid ID token of p, issued now to its first client.
func (f *fixture) idClaims(p Pool) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":              p.Issuer,
		"aud":              p.ClientIDs[0],
		"sub":              "6f1c2e9a-0000-4000-8000-000000000001",
		"token_use":        "id",
		"cognito:username": "alice",
		"email":            "alice@example.com",
		"custom:role":      "admin",
		"custom:tier":      "standard",
		"cognito:groups":   []string{"admins"},
		"auth_time":        now.Add(-time.Minute).Unix(),
		"iat":              now.Add(-time.Minute).Unix(),
		"exp":              now.Add(time.Hour).Unix(),
	}
	if p.Kind == PoolTenant {
		c["custom:tenant_id"] = "globex"
	}
	return c
}

// with returns a copy of c with the given claims set (nil deletes).
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// sign signs c with RS256 under kid, as Cognito does.
func sign(t testing.TB, key *rsa.PrivateKey, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// signLocal signs c as cognito-local does: the shared key, kid CognitoLocal.
func signLocal(t testing.TB, c jwt.MapClaims) string {
	return sign(t, poolKey(), localKid, c)
}

// resolverFunc adapts a function to PoolResolver.
type resolverFunc func(ctx context.Context, iss string) (Pool, bool, error)

func (r resolverFunc) PoolByIssuer(ctx context.Context, iss string) (Pool, bool, error) {
	return r(ctx, iss)
}

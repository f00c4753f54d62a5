package authorizer_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// cognitoLocalKey is the private key cognito-local signs its tokens with
// (the npm package's own, public by design): tokens minted with it are
// signed as the local Cognito signs, so the authorizer's refusal of each
// is about the claim or header changed, never the signature.
func cognitoLocalKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "cognito-local", "lib", "keys", "cognitoLocal.private.json"))
	require.NoError(t, err)
	var f struct {
		JWK map[string]string `json:"jwk"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	num := func(k string) *big.Int {
		v, err := base64.RawURLEncoding.DecodeString(f.JWK[k])
		require.NoError(t, err, k)
		return new(big.Int).SetBytes(v)
	}
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: num("n"), E: int(num("e").Int64())}, D: num("d"),
		Primes: []*big.Int{num("p"), num("q")}}
	require.NoError(t, key.Validate())
	key.Precompute()
	return key, f.JWK["kid"]
}

// Every forged or unfit token is, through the gateway, the one 401
// problem+json API Gateway answers for a refused token (the authorizer's
// reason stays in the log): expired, not yet valid, issued in the future,
// for another audience, from another issuer, an access token, alg none,
// HS256 keyed with the pool's public key, RS512, signed by another key.
// The same claims re-signed unchanged are let in, so each refusal is the
// change's.
func TestForgedAndUnfitTokensAreA401ProblemThroughTheGateway(t *testing.T) {
	w := newWorld(t)
	key, kid := cognitoLocalKey(t)
	var orig jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(w.tokens["ann@acme.test"], &orig)
	require.NoError(t, err)
	require.Equal(t, kid, tok.Header["kid"], "cognito-local signs with its package's key")

	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{routes.FnUsers: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		})},
		Authorize:          w.a.Authorize,
		AuthorizerCacheTTL: -1,
	})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	call := func(token string) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/v1/me", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res, m
	}
	claims := func(kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range orig {
			c[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	sign := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
		t.Helper()
		tk := jwt.NewWithClaims(m, c)
		tk.Header["kid"] = kid
		s, err := tk.SignedString(k)
		require.NoError(t, err)
		return s
	}
	now := time.Now()
	res, body := call(sign(jwt.SigningMethodRS256, key, claims()))
	require.Equal(t, 200, res.StatusCode, "the same claims re-signed with cognito-local's key: %v", body)

	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, c := range []struct{ name, token string }{
		{"expired an hour ago", sign(jwt.SigningMethodRS256, key, claims("exp", now.Add(-time.Hour).Unix(), "iat", now.Add(-2*time.Hour).Unix(), "auth_time", now.Add(-2*time.Hour).Unix()))},
		{"not valid before an hour from now", sign(jwt.SigningMethodRS256, key, claims("nbf", now.Add(time.Hour).Unix()))},
		{"issued an hour from now", sign(jwt.SigningMethodRS256, key, claims("iat", now.Add(time.Hour).Unix()))},
		{"for another app client (aud)", sign(jwt.SigningMethodRS256, key, claims("aud", "another-client"))},
		{"from another issuer", sign(jwt.SigningMethodRS256, key, claims("iss", orig["iss"].(string)+"x"))},
		{"an access token", sign(jwt.SigningMethodRS256, key, claims("token_use", "access", "client_id", orig["aud"], "aud", nil))},
		{"with alg none", func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodNone, claims())
			tk.Header["kid"] = kid
			s, err := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return s
		}()},
		{"HS256 keyed with the pool's public key", sign(jwt.SigningMethodHS256, publicPEM, claims())},
		{"RS512 with the pool's own key", sign(jwt.SigningMethodRS512, key, claims())},
		{"signed by another key under the pool's kid", sign(jwt.SigningMethodRS256, other, claims())},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := call(c.token)
			require.Equal(t, http.StatusUnauthorized, res.StatusCode, "%v", body)
			assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
			assert.Equal(t, httpapi.Unauthenticated.Code, body["code"], "the authorizer's reason is not told")
			assert.Equal(t, float64(401), body["status"])
			assert.Equal(t, res.Header.Get(httpapi.RequestIDHeader), body["request_id"])
			for k, v := range edge.SecurityHeaders() {
				assert.Equal(t, v, res.Header.Get(k), k)
			}
		})
	}
}

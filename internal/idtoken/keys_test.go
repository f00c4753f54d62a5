package idtoken

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
)

func TestVerifyCachesKeys(t *testing.T) {
	ctx := context.Background()

	t.Run("a pool's JWKS is fetched once for many tokens", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		for i := range 20 {
			_, err := v.Verify(ctx, signLocal(t, with(f.idClaims(f.tenant), "sub", fmt.Sprint("user-", i))))
			require.NoError(t, err)
		}
		assert.Equal(t, 1, f.fetchesOf(f.tenant))
	})
	t.Run("each pool's JWKS is fetched at its first use only", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		_, err := v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err)
		assert.Equal(t, 1, f.fetchesOf(f.tenant))
		assert.Zero(t, f.fetchesOf(f.dedicated))
		_, err = v.Verify(ctx, signLocal(t, f.idClaims(f.dedicated)))
		require.NoError(t, err)
		assert.Equal(t, 1, f.fetchesOf(f.dedicated))
		assert.Equal(t, 2, f.totalFetches())
	})
	t.Run("an unknown issuer makes no request, even to the URL the token names", func(t *testing.T) {
		var hits atomic.Int32
		evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		defer evil.Close()
		f := newFixture(t)
		claims := with(f.idClaims(f.tenant), "iss", evil.URL)
		token := sign(t, otherKey(), localKid, claims)
		_, err := f.verifier(Options{}).Verify(ctx, token)
		requireCode(t, err, CodeTokenIssuerUnknown, token)
		assert.Zero(t, hits.Load())
		assert.Zero(t, f.totalFetches())
	})
}

func TestVerifyUnknownKid(t *testing.T) {
	ctx := context.Background()

	t.Run("an unknown kid refetches once then is refused, and a second one within the interval does not refetch", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		_, err := v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err)
		require.Equal(t, 1, f.fetchesOf(f.tenant))

		token := sign(t, otherKey(), "unknown-1", f.idClaims(f.tenant))
		_, err = v.Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		assert.Equal(t, 2, f.fetchesOf(f.tenant), "one refetch")

		token = sign(t, otherKey(), "unknown-2", f.idClaims(f.tenant))
		start := time.Now()
		_, err = v.Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		assert.Equal(t, 2, f.fetchesOf(f.tenant), "no refetch within the interval")
		// The limiter's next token is MinRefreshInterval (30 s) away: half of
		// it tells "refused at once" from "waited" on any machine.
		assert.Less(t, time.Since(start), 15*time.Second, "refused at once, not after waiting for the rate limiter")

		_, err = v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err, "known keys still verify")
		assert.Equal(t, 2, f.fetchesOf(f.tenant))
	})
	t.Run("an unknown kid on a cold pool is refused after the first fetch and one refetch", func(t *testing.T) {
		f := newFixture(t)
		token := sign(t, otherKey(), "unknown", f.idClaims(f.tenant))
		_, err := f.verifier(Options{}).Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		assert.Equal(t, 2, f.fetchesOf(f.tenant))
	})
	t.Run("the refetch limit is per pool", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		for _, p := range []Pool{f.tenant, f.dedicated} {
			token := sign(t, otherKey(), "unknown", f.idClaims(p))
			_, err := v.Verify(ctx, token)
			requireCode(t, err, CodeTokenKidUnknown, token)
			assert.Equal(t, 2, f.fetchesOf(p), p.ID)
		}
	})
	t.Run("an unknown kid refetches again once the interval has passed", func(t *testing.T) {
		f := newFixture(t)
		// The second Verify must come within the interval of the refetch
		// before it: 2 s, not 300 ms, which a loaded machine can spend
		// between two calls (the limiter runs on the real clock).
		v := f.verifier(Options{MinRefreshInterval: 2 * time.Second})
		token := sign(t, otherKey(), "unknown", f.idClaims(f.tenant))
		_, err := v.Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		_, err = v.Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		require.Equal(t, 2, f.fetchesOf(f.tenant))

		time.Sleep(2100 * time.Millisecond)
		_, err = v.Verify(ctx, token)
		requireCode(t, err, CodeTokenKidUnknown, token)
		assert.Equal(t, 3, f.fetchesOf(f.tenant))
	})
}

func TestVerifyKeyRotation(t *testing.T) {
	ctx := context.Background()

	t.Run("a new kid appearing in the JWKS is picked up through the refetch", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		_, err := v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err)

		f.serve(servedKey{localKid, &poolKey().PublicKey}, servedKey{"rotated", &nextKey().PublicKey})
		rotated := sign(t, nextKey(), "rotated", f.idClaims(f.tenant))
		_, err = v.Verify(ctx, rotated)
		require.NoError(t, err)
		assert.Equal(t, 2, f.fetchesOf(f.tenant))

		_, err = v.Verify(ctx, rotated)
		require.NoError(t, err)
		_, err = v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		require.NoError(t, err, "the old key is still published")
		assert.Equal(t, 2, f.fetchesOf(f.tenant), "the rotated key is cached")
	})
	t.Run("a key dropped from the JWKS stops verifying after a refetch", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		old := signLocal(t, f.idClaims(f.tenant))
		_, err := v.Verify(ctx, old)
		require.NoError(t, err)

		f.serve(servedKey{"rotated", &nextKey().PublicKey})
		_, err = v.Verify(ctx, sign(t, nextKey(), "rotated", f.idClaims(f.tenant)))
		require.NoError(t, err)
		_, err = v.Verify(ctx, old)
		requireCode(t, err, CodeTokenKidUnknown, old)
	})
}

func TestVerifyPoolsAtRuntime(t *testing.T) {
	ctx := context.Background()

	t.Run("a dedicated pool registered after start is accepted and its keys fetched then", func(t *testing.T) {
		f := newFixture(t)
		var mu sync.Mutex
		registered := map[string]Pool{f.tenant.Issuer: f.tenant}
		v := NewVerifier(resolverFunc(func(_ context.Context, iss string) (Pool, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			p, ok := registered[iss]
			return p, ok, nil
		}), Options{Now: func() time.Time { return now }})

		token := signLocal(t, f.idClaims(f.dedicated))
		_, err := v.Verify(ctx, token)
		requireCode(t, err, CodeTokenIssuerUnknown, token)
		assert.Zero(t, f.totalFetches())

		mu.Lock()
		registered[f.dedicated.Issuer] = f.dedicated
		mu.Unlock()
		got, err := v.Verify(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, "acme", got.TenantID)
		assert.Equal(t, 1, f.fetchesOf(f.dedicated))
	})
	t.Run("a resolver failure is an internal error, not a rejection", func(t *testing.T) {
		f := newFixture(t)
		v := NewVerifier(resolverFunc(func(context.Context, string) (Pool, bool, error) {
			return Pool{}, false, fmt.Errorf("registry unreachable")
		}), Options{Now: func() time.Time { return now }})
		_, err := v.Verify(ctx, signLocal(t, f.idClaims(f.tenant)))
		assert.True(t, errs.Is(err, errs.KindInternal), "%v", err)
	})
	t.Run("an unreachable JWKS is an internal error and is retried on the next request", func(t *testing.T) {
		f := newFixture(t)
		v := f.verifier(Options{})
		token := signLocal(t, f.idClaims(f.tenant))
		f.setFailing(true)
		_, err := v.Verify(ctx, token)
		assert.True(t, errs.Is(err, errs.KindInternal), "%v", err)

		f.setFailing(false)
		_, err = v.Verify(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, 2, f.fetchesOf(f.tenant))
	})
}

// Run with -race: many goroutines verify on a cold verifier at once.
func TestVerifyConcurrently(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(Options{})
	good := map[string]string{ // pool id → token
		f.tenant.ID:    signLocal(t, f.idClaims(f.tenant)),
		f.dedicated.ID: signLocal(t, f.idClaims(f.dedicated)),
	}
	bad := sign(t, otherKey(), localKid, f.idClaims(f.tenant))
	unknownKid := sign(t, otherKey(), "unknown", f.idClaims(f.dedicated))

	const workers, rounds = 16, 25
	var wg sync.WaitGroup
	failures := make(chan string, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for range rounds {
				for id, token := range good {
					if c, err := v.Verify(ctx, token); err != nil || c.Pool.ID != id {
						failures <- fmt.Sprintf("worker %d: good token of %s: %v", w, id, err)
					}
				}
				if _, err := v.Verify(ctx, bad); errs.As(err).Code != CodeTokenSignatureInvalid {
					failures <- fmt.Sprintf("worker %d: bad signature: %v", w, err)
				}
				if _, err := v.Verify(ctx, unknownKid); errs.As(err).Code != CodeTokenKidUnknown {
					failures <- fmt.Sprintf("worker %d: unknown kid: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for msg := range failures {
		t.Error(msg)
	}
	assert.Equal(t, 1, f.fetchesOf(f.tenant), "one fetch for the tenant pool")
	assert.Equal(t, 2, f.fetchesOf(f.dedicated), "one fetch and one unknown-kid refetch for the dedicated pool")
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	v := f.verifier(Options{})
	token := signLocal(b, f.idClaims(f.tenant))
	ctx := context.Background()
	if _, err := v.Verify(ctx, token); err != nil { // warm the key cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

package idtoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// jwksTimeout bounds one JWKS fetch, so a slow Cognito cannot hold requests.
const jwksTimeout = 5 * time.Second

// errKidUnknown means the pool has no usable key with the token's kid, even
// after the refetch we were allowed.
var errKidUnknown = errors.New("no usable key with this kid")

// keyCache holds the signing keys of every pool seen so far, one jwkset
// client per JWKS URL. It lives as long as the Verifier (one per cold start).
type keyCache struct {
	client     *http.Client
	minRefresh time.Duration
	mu         sync.RWMutex
	byURL      map[string]*poolKeys
}

// poolKeys is the lazily built key source of one JWKS URL.
type poolKeys struct {
	init sync.Mutex // serialises the first fetch so a cold start fetches once
	src  atomic.Pointer[keySource]
}

// keySource combines jwkset and keyfunc rather than a hand-written cache:
//   - fetched: the keys of the last fetch, read without any network call;
//   - kf: keyfunc over a jwkset HTTP client around fetched that refetches on
//     an unknown kid, rate-limited by limiter (burst 1, one per
//     MinRefreshInterval); keyfunc checks the JWK's alg and use against the
//     token and returns the public key.
type keySource struct {
	fetched jwkset.Storage
	limiter *rate.Limiter
	kf      keyfunc.Keyfunc
}

func newKeyCache(client *http.Client, minRefresh time.Duration) *keyCache {
	return &keyCache{client: client, minRefresh: minRefresh, byURL: map[string]*poolKeys{}}
}

// key returns the public key of kid in the JWKS at url, fetching the JWKS at
// first use and once more (rate-limited) when kid is not in it. It returns
// errKidUnknown when kid is not there, and any other error when the keys
// could not be fetched at all.
func (c *keyCache) key(ctx context.Context, url string, token *jwt.Token, kid string) (any, error) {
	src, err := c.source(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := src.fetched.KeyRead(ctx, kid); errors.Is(err, jwkset.ErrKeyNotFound) && src.limiter.Tokens() < 1 {
		// A refetch happened less than MinRefreshInterval ago. jwkset would
		// block on the limiter until the next one is due; answer now instead,
		// so unknown-kid tokens (e.g. forged ones) cost neither a fetch nor a wait.
		return nil, errKidUnknown
	}
	key, err := src.kf.KeyfuncCtx(ctx)(token)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read signing key: %w", ctx.Err())
		}
		// Not found after the refetch, refetch denied by the limiter, or a
		// JWK whose alg or use does not fit the token: no usable key.
		return nil, fmt.Errorf("%w: %w", errKidUnknown, err)
	}
	return key, nil
}

// source returns the key source of url, building it (and fetching the JWKS)
// at first use. A failed first fetch is not cached: the next request retries.
func (c *keyCache) source(ctx context.Context, url string) (*keySource, error) {
	c.mu.RLock()
	pk := c.byURL[url]
	c.mu.RUnlock()
	if pk == nil {
		c.mu.Lock()
		if pk = c.byURL[url]; pk == nil {
			pk = &poolKeys{}
			c.byURL[url] = pk
		}
		c.mu.Unlock()
	}
	if src := pk.src.Load(); src != nil {
		return src, nil
	}
	pk.init.Lock()
	defer pk.init.Unlock()
	if src := pk.src.Load(); src != nil {
		return src, nil
	}
	src, err := c.newSource(ctx, url)
	if err != nil {
		return nil, err
	}
	pk.src.Store(src)
	return src, nil
}

func (c *keyCache) newSource(ctx context.Context, url string) (*keySource, error) {
	// No RefreshInterval: no background goroutine (it would freeze between
	// Lambda invocations anyway). Cognito rotates by adding a kid, which the
	// unknown-kid refetch picks up.
	fetched, err := jwkset.NewStorageFromHTTP(url, jwkset.HTTPClientStorageOptions{
		Client:      c.client,
		Ctx:         ctx,
		HTTPTimeout: jwksTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	limiter := rate.NewLimiter(rate.Every(c.minRefresh), 1)
	refetcher, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{url: fetched},
		RefreshUnknownKID: limiter,
		// Also bounds the refetch itself: jwkset uses this context for it.
		RateLimitWaitMax: jwksTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("build JWKS client: %w", err)
	}
	kf, err := keyfunc.New(keyfunc.Options{
		Storage: refetcher,
		// Cognito publishes use "sig"; a key published for encryption must
		// not verify signatures. An absent use is allowed, as RFC 7517 does.
		UseWhitelist: []jwkset.USE{jwkset.UseSig, ""},
	})
	if err != nil {
		return nil, fmt.Errorf("build keyfunc: %w", err)
	}
	return &keySource{fetched: fetched, limiter: limiter, kf: kf}, nil
}

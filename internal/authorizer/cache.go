package authorizer

import (
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// cache is a small TTL cache of registry reads. Not-found answers are cached
// too (a flood of tokens naming a deleted tenant costs one read per TTL);
// other errors are not. Concurrent misses of one key make one read
// (singleflight): when an entry expires under load, the requests that find
// it stale wait for the one read instead of each reading the registry.
// Hand-written: a map, a mutex and singleflight are all it needs.
type cache[V any] struct {
	ttl    time.Duration
	mu     sync.Mutex
	m      map[string]entry[V]
	now    func() time.Time
	flight singleflight.Group
}

type entry[V any] struct {
	v       V
	err     error
	expires time.Time
}

func newCache[V any](ttl time.Duration) *cache[V] {
	return &cache[V]{ttl: ttl, m: map[string]entry[V]{}, now: time.Now}
}

func (c *cache[V]) get(key string, load func() (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, e.err
	}
	r, _, _ := c.flight.Do(key, func() (any, error) {
		read := c.now() // the entry's age counts from before the read
		v, err := load()
		e := entry[V]{v: v, err: err, expires: read.Add(c.ttl)}
		if err != nil && !errs.Is(err, errs.KindNotFound) {
			return e, nil
		}
		c.mu.Lock()
		if len(c.m) > 50000 {
			c.m = map[string]entry[V]{}
		}
		c.m[key] = e
		c.mu.Unlock()
		return e, nil
	})
	e = r.(entry[V])
	return e.v, e.err
}

package authorizer

import (
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// cache is a small TTL cache of registry reads. Not-found answers are cached
// too (a flood of tokens naming a deleted tenant costs one read per TTL);
// other errors are not. Hand-written: a map and a mutex are all it needs.
type cache[V any] struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]entry[V]
	now func() time.Time
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
	v, err := load()
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) > 50000 {
		c.m = map[string]entry[V]{}
	}
	c.m[key] = entry[V]{v: v, err: err, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, err
}

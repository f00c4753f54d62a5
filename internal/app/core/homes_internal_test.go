package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/tenant"
)

// stubRegistry answers Get with answer(n), n counting the calls from 1.
type stubRegistry struct {
	tenant.Registry
	calls  atomic.Int32
	answer func(n int32) (tenant.Tenant, error)
}

func (r *stubRegistry) Get(context.Context, string) (tenant.Tenant, error) {
	return r.answer(r.calls.Add(1))
}

// getAll makes n concurrent Gets of tenant t1 and returns their answers
// once every caller is blocked (the read under way, the others waiting
// for it) and release has been closed.
func getAll(c *cachedHomes, n int, release chan struct{}) ([]tenant.Tenant, []error) {
	got, errsGot := make([]tenant.Tenant, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errsGot[i] = c.Get(context.Background(), "t1") })
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	return got, errsGot
}

// The requests that find a tenant's record missing or expired while a read
// of it is under way share that read: before, each made its own (at 32
// concurrent clients of 3 tenants, ~20 registry reads a second instead of
// 3, each a consistent GetItem).
func TestConcurrentMissesOfATenantShareOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		reg := &stubRegistry{answer: func(n int32) (tenant.Tenant, error) {
			<-release
			return tenant.Tenant{ID: "t1", Table: "app", Version: int64(n)}, nil
		}}
		c := &cachedHomes{reg: reg, ttl: time.Second, now: time.Now}
		got, errsGot := getAll(c, 16, release)
		assert.EqualValues(t, 1, reg.calls.Load(), "registry reads for 16 concurrent misses")
		for i := range got {
			assert.NoError(t, errsGot[i])
			assert.Equal(t, int64(1), got[i].Version)
		}
		// Within ttl: the cache answers.
		_, _ = c.Get(context.Background(), "t1")
		assert.EqualValues(t, 1, reg.calls.Load())
		// Expired: one read again for all of them.
		time.Sleep(time.Second)
		release = make(chan struct{})
		got, _ = getAll(c, 16, release)
		assert.EqualValues(t, 2, reg.calls.Load(), "registry reads after the expiry")
		assert.Equal(t, int64(2), got[15].Version)
	})
}

// A shared read is taken on the cache's terms only: a failed read is not
// shared (each waiter reads for itself, as errors are not kept), nor one
// that took longer than ttl (its record would be older than a cache hit
// may be: the migration's freeze counts on that bound).
func TestASharedReadIsTakenOnlyAsTheCacheWouldKeepIt(t *testing.T) {
	for name, first := range map[string]func(release chan struct{}) (tenant.Tenant, error){
		"failed": func(release chan struct{}) (tenant.Tenant, error) {
			<-release
			return tenant.Tenant{}, errors.New("throttled")
		},
		"older than ttl": func(release chan struct{}) (tenant.Tenant, error) {
			<-release
			time.Sleep(2 * time.Second)
			return tenant.Tenant{ID: "t1", Version: 1}, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				reg := &stubRegistry{}
				reg.answer = func(n int32) (tenant.Tenant, error) {
					if n == 1 {
						return first(release)
					}
					return tenant.Tenant{ID: "t1", Version: int64(n)}, nil
				}
				c := &cachedHomes{reg: reg, ttl: time.Second, now: time.Now}
				got, errsGot := getAll(c, 8, release)
				var own int
				for i := range got {
					if errsGot[i] == nil && got[i].Version > 1 {
						own++
					}
				}
				assert.Equal(t, 7, own, "waiters that read the registry themselves")
				assert.EqualValues(t, 8, reg.calls.Load())
			})
		})
	}
}

// A waiter whose client leaves stops waiting.
func TestAWaiterWhoseContextEndsStopsWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		reg := &stubRegistry{answer: func(n int32) (tenant.Tenant, error) {
			if n == 1 {
				<-release
			}
			return tenant.Tenant{}, context.Canceled
		}}
		c := &cachedHomes{reg: reg, ttl: time.Second, now: time.Now}
		go func() { _, _ = c.Get(context.Background(), "t1") }()
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := c.Get(ctx, "t1"); done <- err }()
		synctest.Wait()
		cancel()
		assert.Error(t, <-done)
		close(release)
	})
}

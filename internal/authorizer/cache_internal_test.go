package authorizer

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// When an entry is missing or expired, concurrent requests for it make one
// registry read, not one each.
func TestCacheMissesOfOneKeyMakeOneRead(t *testing.T) {
	c := newCache[string](time.Minute)
	var reads atomic.Int32
	release := make(chan struct{})
	load := func() (string, error) {
		reads.Add(1)
		<-release
		return "acme", nil
	}
	const n = 16
	var wg sync.WaitGroup
	got := make([]string, n)
	for i := range n {
		wg.Go(func() {
			v, err := c.get("tenant/acme", load)
			assert.NoError(t, err)
			got[i] = v
		})
	}
	time.Sleep(50 * time.Millisecond) // let the goroutines reach the read (only to make the old bug visible)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), reads.Load(), "registry reads for one key")
	for _, v := range got {
		assert.Equal(t, "acme", v)
	}
}

func TestCacheKeepsNotFoundButNotOtherErrors(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := newCache[string](10 * time.Second)
	c.now = func() time.Time { return now }
	var reads int
	notFound := func() (string, error) { reads++; return "", errs.NotFound("tenant") }
	_, err := c.get("a", notFound)
	require.True(t, errs.Is(err, errs.KindNotFound))
	_, err = c.get("a", notFound)
	require.True(t, errs.Is(err, errs.KindNotFound))
	assert.Equal(t, 1, reads, "a not-found answer is cached")

	boom := errors.New("throttled")
	failing := func() (string, error) { reads++; return "", boom }
	_, err = c.get("b", failing)
	require.ErrorIs(t, err, boom)
	_, err = c.get("b", failing)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 3, reads, "other errors are read again")

	now = now.Add(11 * time.Second)
	_, _ = c.get("a", notFound)
	assert.Equal(t, 4, reads, "an expired entry is read again")
}

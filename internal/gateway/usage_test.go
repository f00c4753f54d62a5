package gateway

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBurstThenRefill(t *testing.T) {
	u := NewUsagePlans()
	basic := tiers.MustGet(tiers.Basic)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := range basic.Burst {
		require.True(t, u.Take("k", basic, now).Allowed, "request %d is within the burst", i)
	}
	d := u.Take("k", basic, now)
	assert.False(t, d.Allowed)
	assert.Equal(t, "burst", d.Reason)
	assert.Equal(t, "1", d.Headers["Retry-After"])
	assert.Contains(t, d.Headers["RateLimit-Policy"], `"burst";q=20;w=1`)
	// One token per 1/rate seconds comes back.
	assert.True(t, u.Take("k", basic, now.Add(time.Second/time.Duration(basic.RateLimit))).Allowed)
}

func TestKeysDoNotShareABucket(t *testing.T) {
	u := NewUsagePlans()
	basic := tiers.MustGet(tiers.Basic)
	now := time.Now()
	for range basic.Burst + 5 {
		u.Take("a", basic, now)
	}
	assert.False(t, u.Take("a", basic, now).Allowed)
	assert.True(t, u.Take("b", basic, now).Allowed, "another tenant's key has its own bucket")
}

func TestMonthlyQuota(t *testing.T) {
	u := NewUsagePlans()
	tiny := tiers.MustGet(tiers.Basic)
	tiny.MonthlyQuota, tiny.RateLimit, tiny.Burst = 3, 1000, 1000
	now := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	for range 3 {
		require.True(t, u.Take("k", tiny, now).Allowed)
	}
	d := u.Take("k", tiny, now)
	assert.False(t, d.Allowed)
	assert.Equal(t, "quota", d.Reason)
	assert.Equal(t, "3600", d.Headers["Retry-After"], "the quota resets at the start of the next UTC month")
	assert.True(t, u.Take("k", tiny, now.Add(2*time.Hour)).Allowed, "a new month has a new quota")
}

func TestRefusedRequestsDoNotCount(t *testing.T) {
	u := NewUsagePlans()
	basic := tiers.MustGet(tiers.Basic)
	now := time.Now()
	for range basic.Burst {
		u.Take("k", basic, now)
	}
	for range 100 {
		assert.False(t, u.Take("k", basic, now).Allowed)
	}
	// After a full refill the whole burst is available again: refusals took no tokens.
	later := now.Add(time.Duration(float64(basic.Burst)/basic.RateLimit*float64(time.Second)) + time.Millisecond)
	for i := range basic.Burst {
		require.True(t, u.Take("k", basic, later).Allowed, "request %d", i)
	}
}

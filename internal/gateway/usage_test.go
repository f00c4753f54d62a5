package gateway

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
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
	assert.Equal(t, "1", d.Retry)
	assert.Contains(t, d.Policy, `"burst";q=20;w=1`)
	// 3 days and 14 hours to the month's end; the quota counts the 20 admitted.
	untilMonthEnd := int((3*24 + 14) * time.Hour / time.Second)
	assert.Equal(t, fmt.Sprintf(`"burst";q=20;w=1, "month";q=%d;w=%d`, basic.MonthlyQuota, untilMonthEnd), d.Policy)
	assert.Equal(t, fmt.Sprintf(`"burst";r=0;t=1, "month";r=%d;t=%d`, basic.MonthlyQuota-20, untilMonthEnd), d.Limit)
	h := http.Header{}
	d.SetHeaders(h)
	assert.Equal(t, http.Header{"Ratelimit-Policy": {d.Policy}, "Ratelimit": {d.Limit}, "Retry-After": {"1"}}, h)
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
	assert.Equal(t, "3600", d.Retry, "the quota resets at the start of the next UTC month")
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

// The bucket admits at most rate x elapsed + burst, whatever the order in
// which concurrent callers' clock readings reach it. Out-of-order times made
// rate.Limiter credit the same interval twice (39% over at 32 workers).
func TestBucketNeverAdmitsMoreThanRateTimesTimePlusBurst(t *testing.T) {
	basic := tiers.MustGet(tiers.Basic)
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	const n = 4000
	step := 5 * time.Millisecond // 200 requests/s offered against 10/s
	times := make([]time.Time, n)
	for i := range times {
		times[i] = start.Add(time.Duration(i) * step)
	}
	elapsed := times[n-1].Sub(start).Seconds()
	limit := int(basic.RateLimit*elapsed) + basic.Burst

	t.Run("in order", func(t *testing.T) {
		u := NewUsagePlans()
		admitted := 0
		for _, ts := range times {
			if u.Take("k", basic, ts).Allowed {
				admitted++
			}
		}
		assert.LessOrEqual(t, admitted, limit)
		assert.GreaterOrEqual(t, admitted, limit-1, "the bucket admits what the rate allows")
	})
	t.Run("arriving out of order, as concurrent callers' readings do", func(t *testing.T) {
		u := NewUsagePlans()
		// Readings taken by 32 workers reach the lock up to 32 steps out of order.
		order := make([]time.Time, 0, n)
		for base := 0; base < n; base += 32 {
			for j := min(base+31, n-1); j >= base; j-- {
				order = append(order, times[j])
			}
		}
		admitted := 0
		for _, ts := range order {
			if u.Take("k", basic, ts).Allowed {
				admitted++
			}
		}
		assert.LessOrEqual(t, admitted, limit, "admitted %d, at most %d allowed", admitted, limit)
	})
	t.Run("from many goroutines", func(t *testing.T) {
		u := NewUsagePlans()
		var next atomic.Int64
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= n {
						return
					}
					ts := times[i] // read "the clock" before the lock, like the gateway
					runtime.Gosched()
					if u.Take("k", basic, ts).Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.LessOrEqual(t, int(admitted.Load()), limit)
	})
}

package gateway

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
	"golang.org/x/time/rate"
)

// UsagePlans enforces each tier's usage plan per API key, as API Gateway
// does: a token bucket (rate, burst) and a monthly quota (UTC calendar
// month). Every tenant has its own key, so tenants never share a bucket.
type UsagePlans struct {
	mu   sync.Mutex
	keys map[string]*keyUsage
}

type keyUsage struct {
	tier    tiers.Name
	limiter *rate.Limiter
	last    time.Time // latest time seen: the bucket's clock never runs backwards
	month   string
	used    int64
}

// Decision is the outcome of one request against a usage plan.
type Decision struct {
	Allowed    bool
	Reason     string // "burst" or "quota" when refused
	RetryAfter time.Duration
	Headers    map[string]string // RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers)
}

// NewUsagePlans returns empty usage state.
func NewUsagePlans() *UsagePlans { return &UsagePlans{keys: map[string]*keyUsage{}} }

// Take counts one request of key under tier t at now. Callers read their
// clocks before taking the lock, so under concurrency times arrive out of
// order; a time earlier than one already seen counts as that later time
// (rate.Limiter would otherwise credit the same interval twice).
func (u *UsagePlans) Take(key string, t tiers.Tier, now time.Time) Decision {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := u.keys[key]
	if k == nil || k.tier != t.Name { // a tier change switches the plan
		k = &keyUsage{tier: t.Name, limiter: rate.NewLimiter(rate.Limit(t.RateLimit), t.Burst)}
		if old := u.keys[key]; old != nil {
			k.month, k.used, k.last = old.month, old.used, old.last
		}
		u.keys[key] = k
	}
	if now.Before(k.last) {
		now = k.last
	}
	k.last = now
	month := now.UTC().Format("2006-01")
	if k.month != month {
		k.month, k.used = month, 0
	}
	monthEnd := time.Date(now.UTC().Year(), now.UTC().Month()+1, 1, 0, 0, 0, 0, time.UTC)
	d := Decision{Allowed: true}
	switch {
	case k.used >= t.MonthlyQuota:
		d = Decision{Reason: "quota", RetryAfter: monthEnd.Sub(now)}
	default:
		r := k.limiter.ReserveN(now, 1)
		if delay := r.DelayFrom(now); delay > 0 {
			r.CancelAt(now)
			d = Decision{Reason: "burst", RetryAfter: delay}
		} else {
			k.used++
		}
	}
	remainingBurst := int(math.Max(0, math.Floor(k.limiter.TokensAt(now))))
	d.Headers = map[string]string{
		"RateLimit-Policy": fmt.Sprintf(`"burst";q=%d;w=1, "month";q=%d;w=%d`, t.Burst, t.MonthlyQuota, int(monthEnd.Sub(now).Seconds())),
		"RateLimit":        fmt.Sprintf(`"burst";r=%d;t=%d, "month";r=%d;t=%d`, remainingBurst, ceilSeconds(d.RetryAfter, d.Reason == "burst"), t.MonthlyQuota-k.used, int(monthEnd.Sub(now).Seconds())),
	}
	if !d.Allowed {
		d.Headers["Retry-After"] = fmt.Sprint(ceilSeconds(d.RetryAfter, true))
	}
	return d
}

func ceilSeconds(d time.Duration, apply bool) int {
	if !apply || d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

// Used is the key's request count this UTC month (the provider's usage summary).
func (u *UsagePlans) Used(key string, now time.Time) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	if k := u.keys[key]; k != nil && k.month == now.UTC().Format("2006-01") {
		return k.used
	}
	return 0
}

package gateway

import (
	"math"
	"net/http"
	"strconv"
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
	month   int       // year*12 + month, UTC
	used    int64
}

// Decision is the outcome of one request against a usage plan.
type Decision struct {
	Allowed    bool
	Reason     string // "burst" or "quota" when refused
	RetryAfter time.Duration
	// The RateLimit-Policy and RateLimit headers' values
	// (draft-ietf-httpapi-ratelimit-headers), and Retry-After's when refused.
	Policy, Limit, Retry string
}

// Canonical forms of the headers' names: set as map keys, they cost no
// canonicalisation per request.
var (
	headerPolicy = http.CanonicalHeaderKey("RateLimit-Policy")
	headerLimit  = http.CanonicalHeaderKey("RateLimit")
	headerRetry  = http.CanonicalHeaderKey("Retry-After")
)

// SetHeaders puts the decision's headers on an answer.
func (d Decision) SetHeaders(h http.Header) {
	h[headerPolicy] = []string{d.Policy}
	h[headerLimit] = []string{d.Limit}
	if d.Retry != "" {
		h[headerRetry] = []string{d.Retry}
	}
}

// monthOf is t's UTC month as a number.
func monthOf(t time.Time) int {
	y, m, _ := t.UTC().Date()
	return y*12 + int(m)
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
	month := monthOf(now)
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
	untilMonthEnd := int64(monthEnd.Sub(now).Seconds())
	b := make([]byte, 0, 128)
	b = append(b, `"burst";q=`...)
	b = strconv.AppendInt(b, int64(t.Burst), 10)
	b = append(b, `;w=1, "month";q=`...)
	b = strconv.AppendInt(b, t.MonthlyQuota, 10)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, untilMonthEnd, 10)
	d.Policy = string(b)
	b = append(b[:0], `"burst";r=`...)
	b = strconv.AppendInt(b, int64(remainingBurst), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, int64(ceilSeconds(d.RetryAfter, d.Reason == "burst")), 10)
	b = append(b, `, "month";r=`...)
	b = strconv.AppendInt(b, t.MonthlyQuota-k.used, 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, untilMonthEnd, 10)
	d.Limit = string(b)
	if !d.Allowed {
		d.Retry = strconv.Itoa(ceilSeconds(d.RetryAfter, true))
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
	if k := u.keys[key]; k != nil && k.month == monthOf(now) {
		return k.used
	}
	return 0
}

package gateway

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// EnvTierLimits changes the local gateway's usage plans for one run (a load
// test, a soak) without touching the catalog: a comma-separated list of
// tier=rate:burst[:quota], where tier may be * for every tier, e.g.
// "*=100000:100000:1000000000" or "premium=500:1000,basic=10:20". Local
// only: the deployed usage plans come from the catalog (internal/tiers).
const EnvTierLimits = envvars.LocalTierLimits

// Limit overrides a tier's throttle and quota (zero Quota keeps the tier's).
type Limit struct {
	Rate  float64
	Burst int
	Quota int64
}

// TierLimits maps a tier (or "*") to its override.
type TierLimits map[tiers.Name]Limit

// Apply returns t with its override, if any (a named tier wins over *).
func (l TierLimits) Apply(t tiers.Tier) tiers.Tier {
	o, ok := l[t.Name]
	if !ok {
		if o, ok = l["*"]; !ok {
			return t
		}
	}
	t.RateLimit, t.Burst = o.Rate, o.Burst
	if o.Quota > 0 {
		t.MonthlyQuota = o.Quota
	}
	return t
}

// TierLimitsFromEnv reads EnvTierLimits (nil when unset).
func TierLimitsFromEnv() (TierLimits, error) { return ParseTierLimits(os.Getenv(EnvTierLimits)) }

// ParseTierLimits parses the EnvTierLimits syntax.
func ParseTierLimits(s string) (TierLimits, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := TierLimits{}
	for _, part := range strings.Split(s, ",") {
		name, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not tier=rate:burst[:quota]", EnvTierLimits, part)
		}
		if name != "*" {
			if _, err := tiers.Parse(name); err != nil {
				return nil, fmt.Errorf("%s: %w", EnvTierLimits, err)
			}
		}
		f := strings.Split(spec, ":")
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("%s: %q is not rate:burst[:quota]", EnvTierLimits, spec)
		}
		var l Limit
		var err1, err2, err3 error
		l.Rate, err1 = strconv.ParseFloat(f[0], 64)
		l.Burst, err2 = strconv.Atoi(f[1])
		if len(f) == 3 {
			l.Quota, err3 = strconv.ParseInt(f[2], 10, 64)
		}
		if err1 != nil || err2 != nil || err3 != nil || l.Rate <= 0 || l.Burst <= 0 || l.Quota < 0 {
			return nil, fmt.Errorf("%s: %q needs a positive rate and burst and a quota >= 0", EnvTierLimits, spec)
		}
		out[tiers.Name(name)] = l
	}
	return out, nil
}

package capacity

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// secondsPerMonth is the month of the usage plans' monthly quota (30 days).
const secondsPerMonth = 30 * 24 * 3600.0

// TierProfile is how the tenants of one tier use the platform.
type TierProfile struct {
	// Seats is the number of users per tenant.
	Seats float64
	// QuotaUse is the share of the tier's monthly API quota a tenant uses:
	// the catalog's monthly quota bounds a tenant's average request rate.
	QuotaUse float64
	// MFAEnforced is the share of tenants that enforce MFA (tiers with the
	// feature); their sessions make the authorizer ask Cognito (AdminGetUser).
	MFAEnforced float64
}

// Profile is a traffic profile: per-tier usage and the shape of the peak.
type Profile struct {
	Name, About string
	Tiers       map[tiers.Name]TierProfile
	// PeakFactor is the peak-hour request rate over the month's average
	// (working hours only: about 168/40 ≈ 4).
	PeakFactor float64
	// AtLimitShare of tenants run at their tier's rate limit during the peak
	// (1: every tenant uses all its usage plan allows).
	AtLimitShare float64
	// ActiveUserShare of seats are signed in during the peak hour.
	ActiveUserShare float64
	// AuthBurst is the peak of sign-ins and token refreshes over their hourly
	// average (the morning sign-in rush).
	AuthBurst float64
	// SeatTurnoverPerMonth is the share of seats invited anew each month
	// (hires, replacements); PasswordResetsPerSeatMonth the resets, which
	// Cognito emails as well.
	SeatTurnoverPerMonth, PasswordResetsPerSeatMonth float64
	// GrowthPerDay is the number of new tenants per day per existing tenant;
	// a new tenant invites its seats on its first day.
	GrowthPerDay float64
	// DailyPeak is the busiest hour's rate of daily events (invitations,
	// onboardings) over the day's average.
	DailyPeak float64
	// HandlerMillis and AuthorizerMillis are the average Lambda durations.
	HandlerMillis, AuthorizerMillis float64
	// HotFunctionShare is the share of requests the busiest function (issues)
	// serves; StepShare the share of its peak concurrency that can arrive
	// within 10 seconds (Lambda's scaling step).
	HotFunctionShare, StepShare float64
	// EnvsPerTenantHour is the number of Lambda execution environments one
	// active tenant's requests reach in an hour: each assumes the tenant
	// access role once per hour (internal/tenantcreds); a session's
	// authorizer calls reach as many authorizer environments.
	EnvsPerTenantHour float64
	// BuildMinutes is one tenant stack deploy in CodeBuild.
	BuildMinutes float64
	Mix          Mix
	Sizes        Sizes
}

func typicalMix() Mix {
	return Mix{OpGetIssue: 0.30, OpListIssues: 0.30, OpOtherRead: 0.15, OpSearch: 0.05,
		OpCreateIssue: 0.04, OpUpdateIssue: 0.10, OpComment: 0.06}
}

// Typical is a working-hours SaaS load: tenants use a quarter to 40% of
// their monthly quota, peak hour at four times the average.
func Typical() Profile {
	return Profile{
		Name:  "typical",
		About: "tenants use 25-40% of their monthly API quota; peak hour 4x the month's average; half the seats signed in at peak",
		Tiers: map[tiers.Name]TierProfile{
			tiers.Basic:    {Seats: 4, QuotaUse: 0.25},
			tiers.Standard: {Seats: 20, QuotaUse: 0.30},
			tiers.Premium:  {Seats: 100, QuotaUse: 0.35, MFAEnforced: 0.5},
			tiers.Platinum: {Seats: 500, QuotaUse: 0.40, MFAEnforced: 0.5},
		},
		PeakFactor: 4, ActiveUserShare: 0.5, AuthBurst: 2,
		SeatTurnoverPerMonth: 0.03, PasswordResetsPerSeatMonth: 0.02,
		GrowthPerDay: 0.002, DailyPeak: 4,
		HandlerMillis: 50, AuthorizerMillis: 20,
		HotFunctionShare: 0.8, StepShare: 0.5,
		EnvsPerTenantHour: 20, BuildMinutes: 10,
		Mix: typicalMix(), Sizes: DefaultSizes(),
	}
}

// Heavy is every tenant using its whole monthly quota, a sharper peak and
// 1% of tenants pinned at their rate limit.
func Heavy() Profile {
	p := Typical()
	p.Name = "heavy"
	p.About = "every tenant uses its whole monthly API quota; peak hour 6x the average; 1% of tenants at their rate limit; 70% of seats signed in"
	for n, tp := range p.Tiers {
		tp.QuotaUse = 1
		tp.Seats = math.Round(tp.Seats * 1.5)
		p.Tiers[n] = tp
	}
	p.PeakFactor, p.AtLimitShare, p.ActiveUserShare = 6, 0.01, 0.7
	return p
}

// Limit is every tenant at its tier's rate limit at once: what the usage
// plans allow, the worst case the issue names (20 Platinum tenants at
// 500 requests/s fill the 10,000 requests/s account throttle).
func Limit() Profile {
	p := Heavy()
	p.Name = "limit"
	p.About = "every tenant at its tier's rate limit at the same time (the usage plans' ceiling)"
	p.AtLimitShare = 1
	return p
}

// Profiles are the named profiles, by name.
func Profiles() map[string]Profile {
	return map[string]Profile{"typical": Typical(), "heavy": Heavy(), "limit": Limit()}
}

// ProfileNames lists the named profiles in order.
func ProfileNames() []string { return []string{"typical", "heavy", "limit"} }

// Load is what one tenant of a tier puts on the platform at the profile's
// peak; every quota's consumption is computed from it.
type Load struct {
	Tier   tiers.Tier
	Pooled bool // in the pooled table and the shared user pool
	// API requests/s at peak, and on the busiest route.
	RPS, HotMethodRPS  float64
	Seats, ActiveUsers float64
	// AuthorizerRPS: one authorizer invocation per signed-in user per
	// result-cache TTL. AuthRPS: Cognito sign-ins and token refreshes/s.
	AuthorizerRPS, AuthRPS float64
	// AdminGetUserRPS: the authorizer's MFA check (once per session and
	// authorizer environment per edge.MFASessionTTL) for tenants that
	// enforce MFA, plus the read after each invitation.
	AdminGetUserRPS float64
	// InvitesPerDay: AdminCreateUser calls, each an email; EmailsPerDay adds
	// the password resets. InvitesPeakRPS is their busiest-hour rate.
	InvitesPerDay, EmailsPerDay, InvitesPeakRPS float64
	// OnboardingsPerDay: this tenant's share of new tenants per day;
	// OnboardingsPeakRPS the same at the busiest hour, per second.
	OnboardingsPerDay, OnboardingsPeakRPS float64
	// Table request units/s at peak (the pooled table for pooled tiers, the
	// tenant's own table for Platinum).
	WRU, RRU float64
	// Lambda concurrency at peak, all functions and the busiest one.
	Concurrency, HotFunctionConcurrency float64
	// ScalingStep: the busiest function's concurrency that can arrive within
	// Lambda's 10-second scaling step.
	ScalingStep float64
	// AssumeRolePerSec: STS calls for the tenant's scoped credentials.
	AssumeRolePerSec float64
	// BuildSlots: CodeBuild builds running for this tenant's share of
	// onboardings (Platinum only).
	BuildSlots float64
}

// Validate reports a profile that cannot be evaluated.
func (p Profile) Validate() error {
	for _, t := range tiers.All() {
		if _, ok := p.Tiers[t.Name]; !ok {
			return fmt.Errorf("profile %s: no usage for tier %s", p.Name, t.Name)
		}
	}
	if math.Abs(p.Mix.Total()-1) > 1e-6 {
		return fmt.Errorf("profile %s: request mix sums to %.3f, want 1", p.Name, p.Mix.Total())
	}
	if p.PeakFactor < 1 || p.AtLimitShare < 0 || p.AtLimitShare > 1 {
		return fmt.Errorf("profile %s: peak factor must be ≥ 1 and at-limit share in [0,1]", p.Name)
	}
	return nil
}

// Load derives the peak load of one tenant of tier t.
func (p Profile) Load(t tiers.Tier, d Design) Load {
	tp := p.Tiers[t.Name]
	avg := tp.QuotaUse * float64(t.MonthlyQuota) / secondsPerMonth
	normal := math.Min(t.RateLimit, avg*p.PeakFactor)
	l := Load{Tier: t, Pooled: t.Isolation == tiers.Pooled, Seats: tp.Seats}
	l.RPS = (1-p.AtLimitShare)*normal + p.AtLimitShare*t.RateLimit
	l.HotMethodRPS = l.RPS * p.Mix.HottestMethod()
	l.ActiveUsers = tp.Seats * p.ActiveUserShare
	if d.AuthorizerTTL > 0 {
		l.AuthorizerRPS = l.ActiveUsers / d.AuthorizerTTL
	}
	if d.TokenHours > 0 {
		l.AuthRPS = l.ActiveUsers / (d.TokenHours * 3600) * p.AuthBurst
	}
	mfa := 0.0
	if t.Has(tiers.FeatureMFAEnforcement) {
		mfa = tp.MFAEnforced
	}
	l.InvitesPerDay = tp.Seats * (p.SeatTurnoverPerMonth/30 + p.GrowthPerDay)
	l.EmailsPerDay = l.InvitesPerDay + tp.Seats*p.PasswordResetsPerSeatMonth/30
	l.InvitesPeakRPS = l.InvitesPerDay / 86400 * p.DailyPeak
	// The authorizer asks Cognito once per session per MFASessionTTL in each
	// warm authorizer environment the session's calls reach (at most one
	// ask per authorizer call).
	checksPerHour := p.EnvsPerTenantHour * 3600 / edge.MFASessionTTL.Seconds()
	if d.AuthorizerTTL > 0 {
		checksPerHour = math.Min(checksPerHour, 3600/d.AuthorizerTTL)
	}
	l.AdminGetUserRPS = l.ActiveUsers*mfa*checksPerHour/3600 + l.InvitesPeakRPS
	l.OnboardingsPerDay = p.GrowthPerDay
	l.OnboardingsPeakRPS = p.GrowthPerDay / 86400 * p.DailyPeak
	c := p.Mix.Cost(p.Sizes)
	l.WRU = l.RPS * c.WRU
	// The authorizer reads the user's directory record (one consistent read).
	l.RRU = l.RPS*c.RRU + l.AuthorizerRPS*strongRU(p.Sizes.SmallKB)
	l.Concurrency = (l.RPS*p.HandlerMillis + l.AuthorizerRPS*p.AuthorizerMillis) / 1000
	l.HotFunctionConcurrency = l.RPS * p.HotFunctionShare * p.HandlerMillis / 1000
	l.ScalingStep = l.HotFunctionConcurrency * p.StepShare
	l.AssumeRolePerSec = math.Min(l.RPS*3600, p.EnvsPerTenantHour) / 3600
	if !l.Pooled {
		l.BuildSlots = p.GrowthPerDay / 86400 * p.DailyPeak * p.BuildMinutes * 60
	}
	return l
}

// ParseMix reads a tier mix such as "basic=70,standard=20,premium=8,platinum=2"
// (weights, normalised to shares). Tiers left out get no tenants.
func ParseMix(s string) (map[tiers.Name]float64, error) {
	out := map[tiers.Name]float64{}
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix %q: want tier=weight", part)
		}
		n, err := tiers.Parse(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		var w float64
		if _, err := fmt.Sscanf(strings.TrimSpace(val), "%g", &w); err != nil || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			return nil, fmt.Errorf("mix %q: weight must be a number ≥ 0", part)
		}
		out[n] += w
		total += w
	}
	if total <= 0 {
		return nil, fmt.Errorf("mix %q: no tenants", s)
	}
	for n := range out {
		out[n] /= total
	}
	return out, nil
}

// FormatMix writes a mix back in ParseMix's form, in percent, tier order.
func FormatMix(m map[tiers.Name]float64) string {
	var parts []string
	for _, t := range tiers.All() {
		if v, ok := m[t.Name]; ok && v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", t.Name, math.Round(v*1000)/10))
		}
	}
	return strings.Join(parts, ",")
}

// Counts spreads n tenants over a mix (fractions of tenants, not rounded:
// the model is linear, so 0.4 Platinum tenants is 40% of one).
func Counts(mix map[tiers.Name]float64, n float64) map[tiers.Name]float64 {
	out := make(map[tiers.Name]float64, len(mix))
	for k, v := range mix {
		out[k] = v * n
	}
	return out
}

func sortedTierNames(m map[tiers.Name]float64) []tiers.Name {
	order := map[tiers.Name]int{}
	for i, t := range tiers.All() {
		order[t.Name] = i
	}
	names := make([]tiers.Name, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	return slices.Clip(names)
}

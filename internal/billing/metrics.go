package billing

import (
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// TierMetrics are one tier's recurring revenue and churn over a month.
type TierMetrics struct {
	Tier tiers.Name `json:"tier"`
	// MRRCents is the monthly recurring revenue of paying subscriptions
	// (active or in their grace period), in cents.
	MRRCents int64 `json:"mrr_cents"`
	// Subscribers are the paying subscriptions now (at the close: at the
	// end of the month).
	Subscribers int `json:"subscribers"`
	// AtStart are the subscriptions that were running when the month
	// began; Churned the subscriptions of the tier that ended in the month.
	AtStart int `json:"subscribers_at_start"`
	Churned int `json:"churned"`
	// ChurnRate is Churned / AtStart (0 when none at start).
	ChurnRate float64 `json:"churn_rate"`
	// New are the subscriptions started in the month.
	New int `json:"new"`
}

// MonthClose is a month's figures per tier, as the monthly close recorded them.
type MonthClose struct {
	Month    string        `json:"month"`
	ClosedAt time.Time     `json:"closed_at"`
	Tiers    []TierMetrics `json:"tiers"`
	MRRCents int64         `json:"mrr_cents"`
	Currency string        `json:"currency"`
}

// Metrics computes MRR and churn per paid tier for the month holding at
// (UTC), from the accounts as they are: MRR sums the paying accounts'
// amounts by their tier; a subscription counts at the month's start if it
// started before and had not ended by then; it churned in the month if it
// ended in it (by the tier it ended on). A subscription that started and
// ended within the month is churn but not at start.
func Metrics(accounts []Account, at time.Time) []TierMetrics {
	at = at.UTC()
	start := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	by := map[tiers.Name]*TierMetrics{}
	var out []TierMetrics
	for _, p := range tiers.Prices() {
		by[p.Tier] = &TierMetrics{Tier: p.Tier}
	}
	for _, a := range accounts {
		if a.StartedAt.IsZero() {
			continue // never subscribed
		}
		tier := a.Tier
		ended := !a.CanceledAt.IsZero()
		if ended {
			tier = a.CanceledTier
		}
		m := by[tier]
		if m == nil {
			continue
		}
		if a.Paying() && (!ended || !a.CanceledAt.Before(end)) {
			m.MRRCents += a.AmountCents
			m.Subscribers++
		}
		if a.StartedAt.Before(start) && (!ended || !a.CanceledAt.Before(start)) {
			m.AtStart++
		}
		if ended && !a.CanceledAt.Before(start) && a.CanceledAt.Before(end) {
			m.Churned++
		}
		if !a.StartedAt.Before(start) && a.StartedAt.Before(end) {
			m.New++
		}
	}
	for _, p := range tiers.Prices() {
		m := by[p.Tier]
		if m.AtStart > 0 {
			m.ChurnRate = float64(m.Churned) / float64(m.AtStart)
		}
		out = append(out, *m)
	}
	return out
}

package billing

import (
	"context"
	"errors"
	"time"
)

// SweepResult is what a dunning sweep did.
type SweepResult struct {
	Suspended []string `json:"suspended"`
}

// Sweep suspends the workspaces whose grace period ran out (the hourly job;
// locally the platform runs it every few seconds).
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	res := SweepResult{Suspended: []string{}}
	accounts, err := s.Store.List(ctx)
	if err != nil {
		return res, err
	}
	now := s.now()
	var errs []error
	for _, a := range accounts {
		if a.Status != StatusPastDue || a.GraceUntil.IsZero() || now.Before(a.GraceUntil) {
			continue
		}
		if s.Here != nil {
			if here, err := s.Here(ctx, a.TenantID); err != nil || !here {
				errs = append(errs, err) // housed in another cell: its cell's lifecycle suspends it
				continue
			}
		}
		a.Status, a.UpdatedAt = StatusSuspended, now
		if a, err = s.Store.Put(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.suspend(ctx, a, "a payment is overdue and the grace period has ended"); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Suspended = append(res.Suspended, a.TenantID)
	}
	return res, errors.Join(errs...)
}

// Figures are Root's view of revenue: this month so far, and the closes.
type Figures struct {
	Month    string        `json:"month"`
	Tiers    []TierMetrics `json:"tiers"`
	MRRCents int64         `json:"mrr_cents"`
	Currency string        `json:"currency"`
	Closes   []MonthClose  `json:"closes"`
}

// Figures computes MRR and churn per tier now, with the last 12 closes.
func (s *Service) Figures(ctx context.Context) (Figures, error) {
	accounts, err := s.Store.List(ctx)
	if err != nil {
		return Figures{}, err
	}
	now := s.now()
	f := Figures{Month: now.Format("2006-01"), Tiers: Metrics(accounts, now), Currency: "usd"}
	for _, m := range f.Tiers {
		f.MRRCents += m.MRRCents
	}
	if f.Closes, err = s.Store.Closes(ctx, 12); err != nil {
		return f, err
	}
	return f, nil
}

// Close records the figures of the month that just ended (the monthly job
// runs on the 1st: "now" minus a day is the closed month). Closing a month
// again replaces its record.
func (s *Service) Close(ctx context.Context) (MonthClose, error) {
	accounts, err := s.Store.List(ctx)
	if err != nil {
		return MonthClose{}, err
	}
	now := s.now()
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
	c := MonthClose{Month: last.Format("2006-01"), ClosedAt: now, Tiers: Metrics(accounts, last), Currency: "usd"}
	for _, m := range c.Tiers {
		c.MRRCents += m.MRRCents
	}
	return c, s.Store.PutClose(ctx, c)
}

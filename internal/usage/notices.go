package usage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Recipients finds who hears of a tenant's usage: its name and its Super
// Admins' addresses.
type Recipients func(ctx context.Context, tenantID string) (company string, emails []string, err error)

// Notices mails a tenant's Super Admins when a flush takes API calls or
// storage past 80% or 100% of the tier's limit: once per threshold and
// month, whichever process sees it first (Store.ClaimNotice).
type Notices struct {
	Store      Store
	Mail       mail.Sender
	Recipients Recipients
	WebBaseURL string
}

// Totals implements Notifier. Failures are logged: a lost warning must not
// stop metering.
func (n Notices) Totals(ctx context.Context, t Totals) {
	tr, ok := tiers.Get(t.Tier)
	if !ok || n.Mail == nil || n.Recipients == nil {
		return
	}
	if t.HasCalls {
		n.judge(ctx, t, tr, MetricCalls, NewGauge(t.Calls, tr.MonthlyQuota), fmt.Sprint(t.Calls), fmt.Sprint(tr.MonthlyQuota))
	}
	if t.HasStorage {
		n.judge(ctx, t, tr, MetricStorage, NewGauge(t.Storage.Total(), tr.StorageBytes), bytesText(t.Storage.Total()), bytesText(tr.StorageBytes))
	}
}

func (n Notices) judge(ctx context.Context, t Totals, tr tiers.Tier, m Metric, g Gauge, used, limit string) {
	if g.Level == LevelOK {
		return
	}
	// Claim every threshold reached; mail the highest one newly claimed.
	var send Level
	for _, l := range []Level{LevelWarning, LevelLimit} {
		if l == LevelLimit && g.Level != LevelLimit {
			break
		}
		first, err := n.Store.ClaimNotice(ctx, t.TenantID, t.Month, m, l)
		if err != nil {
			slog.WarnContext(ctx, "usage notice not claimed", "tenant_id", t.TenantID, "metric", m, "err", err)
			return
		}
		if first {
			send = l
		}
	}
	if send == "" {
		return
	}
	company, to, err := n.Recipients(ctx, t.TenantID)
	if err != nil {
		slog.WarnContext(ctx, "usage notice: no recipients", "tenant_id", t.TenantID, "err", err)
		return
	}
	g.Level = send
	w := NewWarning(m, g, tr)
	for _, addr := range to {
		msg, err := mail.UsageWarning{To: addr, Company: company, Tier: tr.DisplayName, Period: t.Month, AtLimit: send == LevelLimit,
			Text: w.Message, Used: used, Limit: limit, UsageURL: mail.WorkspaceURL(n.WebBaseURL, t.TenantID, "settings/usage")}.Message()
		if err == nil {
			err = n.Mail.Send(ctx, msg)
		}
		if err != nil {
			slog.WarnContext(ctx, "usage notice not sent", "tenant_id", t.TenantID, "metric", m, "err", err)
		}
	}
}

func bytesText(n int64) string {
	const gib, mib = 1 << 30, 1 << 20
	switch {
	case n >= gib:
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	}
	return fmt.Sprintf("%d bytes", n)
}

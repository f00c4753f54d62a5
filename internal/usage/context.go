package usage

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

type meterKey struct{}

// WithMeter makes the stores reached with ctx report storage changes to m
// (the composition root sets it on every request).
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// MeterFrom returns ctx's meter, or nil.
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

// AddItemBytes reports that the tenant ctx acts for stores delta more item
// bytes (negative when items went). Without a meter or a tenant it does
// nothing, so stores call it unconditionally after a successful write.
func AddItemBytes(ctx context.Context, delta int64) {
	MeterFrom(ctx).ItemBytes(tenancy.TenantFrom(ctx), delta)
}

// AddAttachmentBytes is AddItemBytes for attachment bytes (the attachments
// domain, a later issue, calls it when an upload completes or goes).
func AddAttachmentBytes(ctx context.Context, delta int64) {
	MeterFrom(ctx).AttachmentBytes(tenancy.TenantFrom(ctx), delta)
}

package tenancy

import "context"

type tenantKey struct{}

// WithTenant marks ctx as acting for tenantID. Every read or write of tenant
// data happens under such a context: the tenant-scoped DynamoDB client signs
// with credentials of that tenant (package tenantcreds) and refuses to sign
// without one.
func WithTenant(ctx context.Context, tenantID string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenantID)
}

// TenantFrom returns the tenant ctx acts for, or "".
func TenantFrom(ctx context.Context) string {
	s, _ := ctx.Value(tenantKey{}).(string)
	return s
}

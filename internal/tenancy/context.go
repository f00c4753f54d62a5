package tenancy

import "context"

type (
	tenantKey    struct{}
	principalKey struct{}
)

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

// WithPrincipal keeps the verified caller in ctx: the route guard decodes
// it once per request and handlers read it back with PrincipalFrom.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller WithPrincipal kept in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Package tiers is the one tier catalog of IssueTracker. The CDK app (usage
// plans), the functions (limits), the local gateway (throttling) and the web
// app (pricing page, through the API) all read it. Plain data, no AWS imports.
package tiers

import (
	"fmt"
	"slices"
)

// Name identifies a tier. It is stored on the tenant record and in tokens.
type Name string

const (
	Basic    Name = "basic"
	Standard Name = "standard"
	Premium  Name = "premium"
	Platinum Name = "platinum"
)

// Isolation is the tenant data model: pooled tenants share the application
// table and user pool, silo tenants get their own stack.
type Isolation string

const (
	Pooled Isolation = "pooled"
	Silo   Isolation = "silo"
)

// Feature is a capability a tier may include.
type Feature string

const (
	FeatureBranding       Feature = "custom_branding"
	FeatureMFAEnforcement Feature = "mfa_enforcement"
	FeatureAuditExport    Feature = "audit_export"
	FeatureDedicatedStack Feature = "dedicated_stack"
)

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
	tib = int64(1) << 40
)

// Tier is one row of the catalog.
type Tier struct {
	Name        Name      `json:"name"`
	DisplayName string    `json:"display_name"`
	Isolation   Isolation `json:"isolation"`
	// RateLimit is the steady request rate per second (API Gateway throttle rateLimit).
	RateLimit float64 `json:"rate_limit"`
	// Burst is the token-bucket size (API Gateway throttle burstLimit).
	Burst int `json:"burst"`
	// MonthlyQuota is the number of API requests per calendar month (UTC).
	MonthlyQuota int64 `json:"monthly_quota"`
	// MaxUsers is the number of users a tenant may have; 0 means unlimited.
	MaxUsers int `json:"max_users"`
	// MaxProjects is the number of projects a tenant may have (archived
	// ones count); 0 means unlimited.
	MaxProjects int `json:"max_projects"`
	// StorageBytes is the attachment storage a tenant may use.
	StorageBytes int64 `json:"storage_bytes"`
	// MaxFileBytes is the largest attachment a tenant may upload.
	MaxFileBytes int64     `json:"max_file_bytes"`
	Features     []Feature `json:"features"`
	// PriceUSD is the monthly list price shown on the pricing page.
	PriceUSD int `json:"price_usd"`
}

// Has reports whether the tier includes f.
func (t Tier) Has(f Feature) bool { return slices.Contains(t.Features, f) }

// Unlimited reports whether the tier has no user limit.
func (t Tier) UnlimitedUsers() bool { return t.MaxUsers == 0 }

var catalog = []Tier{
	{Name: Basic, DisplayName: "Basic", Isolation: Pooled, RateLimit: 10, Burst: 20,
		MonthlyQuota: 100_000, MaxUsers: 10, MaxProjects: 3, StorageBytes: 1 * gib, MaxFileBytes: 10 * mib, PriceUSD: 0},
	{Name: Standard, DisplayName: "Standard", Isolation: Pooled, RateLimit: 25, Burst: 50,
		MonthlyQuota: 500_000, MaxUsers: 50, MaxProjects: 20, StorageBytes: 10 * gib, MaxFileBytes: 25 * mib, PriceUSD: 49,
		Features: []Feature{FeatureBranding}},
	{Name: Premium, DisplayName: "Premium", Isolation: Pooled, RateLimit: 100, Burst: 200,
		MonthlyQuota: 2_000_000, MaxUsers: 250, MaxProjects: 100, StorageBytes: 100 * gib, MaxFileBytes: 100 * mib, PriceUSD: 199,
		Features: []Feature{FeatureBranding, FeatureMFAEnforcement, FeatureAuditExport}},
	{Name: Platinum, DisplayName: "Platinum", Isolation: Silo, RateLimit: 500, Burst: 1000,
		MonthlyQuota: 20_000_000, MaxUsers: 0, StorageBytes: 1 * tib, MaxFileBytes: 250 * mib, PriceUSD: 999,
		Features: []Feature{FeatureBranding, FeatureMFAEnforcement, FeatureAuditExport, FeatureDedicatedStack}},
}

// All returns the catalog in ascending order of tier. The slice is a copy.
func All() []Tier {
	out := make([]Tier, len(catalog))
	for i, t := range catalog {
		t.Features = slices.Clone(t.Features)
		out[i] = t
	}
	return out
}

// Get returns the tier named n. Only that tier is copied (with its own
// Features): the gateway asks for the caller's tier on every request.
func Get(n Name) (Tier, bool) {
	for _, t := range catalog {
		if t.Name == n {
			t.Features = slices.Clone(t.Features)
			return t, true
		}
	}
	return Tier{}, false
}

// MustGet returns the tier named n and panics when it is not in the catalog;
// for names that come from code, never from input.
func MustGet(n Name) Tier {
	t, ok := Get(n)
	if !ok {
		panic(fmt.Sprintf("tiers: unknown tier %q", n))
	}
	return t
}

// Parse validates a tier name from input.
func Parse(s string) (Name, error) {
	if _, ok := Get(Name(s)); ok {
		return Name(s), nil
	}
	return "", fmt.Errorf("unknown tier %q (want one of basic, standard, premium, platinum)", s)
}

// Catalog is the answer of GET /v1/tiers (the pricing page's data).
type Catalog struct {
	Tiers []Tier `json:"tiers"`
}

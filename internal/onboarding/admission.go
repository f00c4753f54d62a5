package onboarding

import (
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Admission decides what a verified registration waits for before it is
// provisioned: nothing (StatusRegistered, onboarding starts) or someone's
// decision. Billing plugs in here: billing.Admission answers
// tenant.StatusPendingPayment for paid pooled tiers, and the provider's
// confirmed payment admits the tenant (Service.Admit), with Root approval
// kept for what still needs a human (Platinum's own AWS resources) and as
// the alternative to a payment (Service.Approve).
type Admission interface {
	AfterVerification(t tenant.Tenant) tenant.Status
}

// RootApproval is the admission until billing exists: a free tier starts at
// once, a paid tier (Standard, Premium, Platinum) waits for Root's approval,
// so an anonymous form alone never activates a paid tier or creates AWS
// resources.
type RootApproval struct{}

// AfterVerification implements Admission.
func (RootApproval) AfterVerification(t tenant.Tenant) tenant.Status {
	if tr, ok := tiers.Get(t.Tier); ok && tr.PriceUSD == 0 {
		return tenant.StatusRegistered
	}
	return tenant.StatusPendingApproval
}

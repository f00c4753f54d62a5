package billing

import (
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Admission is onboarding's admission with billing (onboarding.Admission):
// Basic starts at once; Standard and Premium wait for their first payment
// (pending_payment, a checkout session; Root may approve instead); Platinum,
// which creates AWS resources of its own, still waits for Root's approval
// and is invoiced by the provider's team.
type Admission struct{}

// AfterVerification implements onboarding.Admission.
func (Admission) AfterVerification(t tenant.Tenant) tenant.Status {
	tr, ok := tiers.Get(t.Tier)
	switch {
	case ok && tr.Free():
		return tenant.StatusRegistered
	case ok && tr.Isolation == tiers.Pooled:
		return tenant.StatusPendingPayment
	}
	return tenant.StatusPendingApproval
}

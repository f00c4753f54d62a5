package onboarding

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Availability says whether a slug can be registered.
type Availability struct {
	Slug      string `json:"slug"`
	Available bool   `json:"available"`
	// Reason is taken, reserved or invalid when not available.
	Reason string `json:"reason,omitempty"`
	// Detail says what is wrong with an invalid slug.
	Detail string `json:"detail,omitempty"`
}

// SlugAvailability checks slug: reserved and invalid slugs never are; a
// tenant's slug is taken for good (offboarded ones included) unless it is
// an unverified registration past UnverifiedTTL.
func (s *Service) SlugAvailability(ctx context.Context, slug string) (Availability, error) {
	a := Availability{Slug: slug}
	switch err := tenant.ValidateSlug(slug); {
	case tenant.IsReserved(slug):
		a.Reason = "reserved"
	case err != nil:
		a.Reason = "invalid"
		if fe := errs.As(err).Fields; len(fe) > 0 {
			a.Detail = fe[0].Reason
		}
	default:
		t, err := s.Tenants.Get(ctx, slug)
		switch {
		case err == nil && Reclaimable(t, time.Now()):
			a.Available = true // an unverified registration past its time
		case err == nil:
			a.Reason = "taken"
		case errs.Is(err, errs.KindNotFound):
			a.Available = true
		default:
			return Availability{}, err
		}
	}
	return a, nil
}

package webhook

import (
	"context"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/text"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Store is what webhooks need of storage (webhookdb implements it). Every
// key is in the tenant's scope: another tenant's endpoint is not found.
type Store interface {
	// Endpoints are all of the tenant's endpoints (at most MaxEndpoints).
	Endpoints(ctx context.Context, sc tenancy.Scope) ([]Endpoint, error)
	// Endpoint is one endpoint (errs not_found).
	Endpoint(ctx context.Context, sc tenancy.Scope, id string) (Endpoint, error)
	// CreateEndpoint writes a new endpoint.
	CreateEndpoint(ctx context.Context, sc tenancy.Scope, e Endpoint) error
	// PutEndpoint replaces an existing endpoint's settings (not found when
	// it was deleted meanwhile); its failure counter is left alone unless
	// resetFailures.
	PutEndpoint(ctx context.Context, sc tenancy.Scope, e Endpoint, resetFailures bool) error
	// DeleteEndpoint removes it (its deliveries expire on their own).
	DeleteEndpoint(ctx context.Context, sc tenancy.Scope, id string) error
	// RecordSuccess resets the endpoint's consecutive failures.
	RecordSuccess(ctx context.Context, sc tenancy.Scope, id string) error
	// RecordFailure counts a failed attempt and, at disableAfter in a row,
	// disables the endpoint with reason; disabled is true for the one call
	// that disabled it.
	RecordFailure(ctx context.Context, sc tenancy.Scope, id string, disableAfter int, reason string, now time.Time) (disabled bool, err error)
	// CreateDelivery writes d unless it exists; false when it did (the
	// stream delivered the event again).
	CreateDelivery(ctx context.Context, sc tenancy.Scope, d Delivery) (bool, error)
	// Delivery is one delivery of the endpoint (errs not_found).
	Delivery(ctx context.Context, sc tenancy.Scope, endpointID, id string) (Delivery, error)
	// RecordAttempt appends a to the delivery's log and sets its status
	// and next attempt. An automatic attempt (a.Manual false) is recorded
	// only as the delivery's automatic attempt a.N: false when that one was
	// recorded before (a duplicate queue message).
	RecordAttempt(ctx context.Context, sc tenancy.Scope, endpointID, id string, a Attempt, status string, next time.Time) (bool, error)
	// Deliveries is the endpoint's delivery log, newest first.
	Deliveries(ctx context.Context, sc tenancy.Scope, endpointID string, req list.Request) (list.Page[Delivery], error)
}

// Service is every webhook use case of a tenant's admins.
type Service struct {
	Store Store
	Guard Guard
	Queue Queue
	Now   func() time.Time
}

func (s Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Registered is an endpoint with its signing secret, shown once: when it
// is registered and when the secret is rotated.
type Registered struct {
	Endpoint
	Secret string `json:"secret"`
}

// List is the tenant's endpoints.
func (s Service) List(ctx context.Context, p tenancy.Principal) ([]Endpoint, error) {
	return s.Store.Endpoints(ctx, p.Scope())
}

// Get is one endpoint (not found for another tenant's).
func (s Service) Get(ctx context.Context, p tenancy.Principal, id string) (Endpoint, error) {
	return s.Store.Endpoint(ctx, p.Scope(), id)
}

// Create registers an endpoint: a 422 naming the field for a URL that is
// not https or resolves inward, or unknown event types; a 409
// too_many_webhooks past MaxEndpoints.
func (s Service) Create(ctx context.Context, p tenancy.Principal, in Input) (Registered, error) {
	if err := in.Validate(true); err != nil {
		return Registered{}, err
	}
	if err := s.Guard.CheckURL(ctx, *in.URL); err != nil {
		return Registered{}, err
	}
	all, err := s.Store.Endpoints(ctx, p.Scope())
	if err != nil {
		return Registered{}, err
	}
	if len(all) >= MaxEndpoints {
		return Registered{}, errs.Conflict("too_many_webhooks", fmt.Sprintf("a workspace has at most %d webhook endpoints", MaxEndpoints))
	}
	now := s.now().UTC()
	e := Endpoint{ID: ulid.Make().String(), URL: *in.URL, EventTypes: in.EventTypes, State: Enabled,
		Secrets: []Secret{{Value: NewSecret(), CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if in.Description != nil {
		e.Description = *in.Description
	}
	if err := s.Store.CreateEndpoint(ctx, p.Scope(), e); err != nil {
		return Registered{}, err
	}
	return Registered{Endpoint: e, Secret: e.Secrets[0].Value}, nil
}

// Update changes an endpoint's URL, description, event types or state;
// turning it back on resets its failures.
func (s Service) Update(ctx context.Context, p tenancy.Principal, id string, in Input) (Endpoint, error) {
	if err := in.Validate(false); err != nil {
		return Endpoint{}, err
	}
	e, err := s.Store.Endpoint(ctx, p.Scope(), id)
	if err != nil {
		return Endpoint{}, err
	}
	if in.URL != nil {
		if err := s.Guard.CheckURL(ctx, *in.URL); err != nil {
			return Endpoint{}, err
		}
		e.URL = *in.URL
	}
	if in.Description != nil {
		e.Description = *in.Description
	}
	if in.EventTypes != nil {
		e.EventTypes = in.EventTypes
	}
	reset := false
	if in.Enabled != nil {
		if *in.Enabled && e.State != Enabled {
			e.State, e.DisabledReason, e.ConsecutiveFailures, reset = Enabled, "", 0, true
		} else if !*in.Enabled {
			e.State, e.DisabledReason = Disabled, ""
		}
	}
	e.UpdatedAt = s.now().UTC()
	return e, s.Store.PutEndpoint(ctx, p.Scope(), e, reset)
}

// Delete removes an endpoint; queued attempts find it gone and stop.
func (s Service) Delete(ctx context.Context, p tenancy.Principal, id string) error {
	if _, err := s.Store.Endpoint(ctx, p.Scope(), id); err != nil {
		return err
	}
	return s.Store.DeleteEndpoint(ctx, p.Scope(), id)
}

// RotateSecret makes a new signing secret; the current one keeps signing
// (a second signature) for RotationOverlap, so receivers can switch over.
func (s Service) RotateSecret(ctx context.Context, p tenancy.Principal, id string) (Registered, error) {
	e, err := s.Store.Endpoint(ctx, p.Scope(), id)
	if err != nil {
		return Registered{}, err
	}
	now := s.now().UTC()
	var kept []Secret
	for _, sec := range e.Secrets {
		if !sec.ExpiresAt.IsZero() && !now.Before(sec.ExpiresAt) {
			continue // expired: dropped
		}
		if sec.ExpiresAt.IsZero() || sec.ExpiresAt.After(now.Add(RotationOverlap)) {
			sec.ExpiresAt = now.Add(RotationOverlap)
		}
		kept = append(kept, sec)
	}
	fresh := Secret{Value: NewSecret(), CreatedAt: now}
	e.Secrets = append([]Secret{fresh}, kept...)
	e.UpdatedAt = now
	if err := s.Store.PutEndpoint(ctx, p.Scope(), e, false); err != nil {
		return Registered{}, err
	}
	return Registered{Endpoint: e, Secret: fresh.Value}, nil
}

// Deliveries is an endpoint's delivery log, newest first.
func (s Service) Deliveries(ctx context.Context, p tenancy.Principal, id string, req list.Request) (list.Page[Delivery], error) {
	if _, err := s.Store.Endpoint(ctx, p.Scope(), id); err != nil {
		return list.Page[Delivery]{}, err
	}
	return s.Store.Deliveries(ctx, p.Scope(), id, req)
}

// MaxAttempts a delivery's log holds; redelivery stops there.
const MaxAttempts = 40

var deliveryIDPattern = text.Lazy(`^[0-9]{13}_[A-Za-z0-9_]{1,80}$`)

// ValidDeliveryID reports whether id has the form DeliveryID makes.
func ValidDeliveryID(id string) bool { return deliveryIDPattern.Regexp().MatchString(id) }

// DeliveryID is a delivery's id: the event's time (so the log sorts newest
// first) and its message id.
func DeliveryID(at time.Time, msgID string) string {
	return fmt.Sprintf("%013d_%s", at.UnixMilli(), msgID)
}

// Redeliver queues a manual attempt of a delivery now, whatever its state
// (409 webhook_disabled for a disabled endpoint).
func (s Service) Redeliver(ctx context.Context, p tenancy.Principal, endpointID, deliveryID string) (Delivery, error) {
	e, err := s.Store.Endpoint(ctx, p.Scope(), endpointID)
	if err != nil {
		return Delivery{}, err
	}
	if !ValidDeliveryID(deliveryID) {
		return Delivery{}, errs.NotFound("delivery")
	}
	d, err := s.Store.Delivery(ctx, p.Scope(), endpointID, deliveryID)
	if err != nil {
		return Delivery{}, err
	}
	if e.State != Enabled {
		return Delivery{}, errs.Conflict("webhook_disabled", "the endpoint is disabled: enable it before redelivering")
	}
	if len(d.Attempts) >= MaxAttempts {
		return Delivery{}, errs.Conflict("too_many_attempts", fmt.Sprintf("a delivery is attempted at most %d times", MaxAttempts))
	}
	if s.Queue == nil {
		return Delivery{}, errs.Unavailable("webhooks_unavailable", "webhook delivery is not configured", nil)
	}
	sc := p.Scope()
	if err := s.Queue.Send(ctx, Task{Table: sc.Table, TenantID: sc.TenantID, EndpointID: endpointID, DeliveryID: deliveryID, Manual: true}, 0); err != nil {
		return Delivery{}, err
	}
	return d, nil
}

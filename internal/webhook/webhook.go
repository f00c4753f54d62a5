// Package webhook sends a tenant's events to the HTTPS endpoints its
// admins register, as the Standard Webhooks specification describes
// (webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC>").
//
// Events come from the change stream's activity consumer (never from the
// request path): the Producer writes one delivery per subscribed endpoint
// and queues it; the Deliverer makes one attempt per queue message,
// records it in the endpoint's delivery log and queues the next attempt
// with exponential backoff for about a day. An endpoint that fails
// DisableAfter times in a row is disabled and the tenant's admins are
// mailed. Every outgoing request goes through the SSRF Guard.
package webhook

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// EventType names what happened; endpoints subscribe to a set of them.
type EventType string

const (
	IssueCreated      EventType = "issue.created"
	IssueUpdated      EventType = "issue.updated"
	IssueTransitioned EventType = "issue.transitioned"
	IssueDeleted      EventType = "issue.deleted"
	CommentCreated    EventType = "comment.created"
)

// EventTypes are every event type, in the order the API lists them.
var EventTypes = []EventType{IssueCreated, IssueUpdated, IssueTransitioned, IssueDeleted, CommentCreated}

// Endpoint states.
const (
	Enabled  = "enabled"
	Disabled = "disabled"
)

// Limits.
const (
	MaxEndpoints   = 20 // per tenant
	MaxURLLength   = 2048
	MaxDescription = 200
	// DefaultDisableAfter consecutive failed attempts disable an endpoint.
	DefaultDisableAfter = 15
	// RotationOverlap is how long a replaced secret still signs.
	RotationOverlap = 24 * time.Hour
)

// Secret signs deliveries; during a rotation the old one signs too, until
// it expires.
type Secret struct {
	Value     string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is zero for the current secret.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Endpoint is a registered receiver of events.
type Endpoint struct {
	ID          string      `json:"id"`
	URL         string      `json:"url"`
	Description string      `json:"description,omitempty"`
	EventTypes  []EventType `json:"event_types"`
	State       string      `json:"state"`
	// DisabledReason says why the platform disabled it ("" when enabled
	// or disabled by an admin).
	DisabledReason      string    `json:"disabled_reason,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	Secrets             []Secret  `json:"-"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// Subscribes reports whether the endpoint wants events of type t now.
func (e Endpoint) Subscribes(t EventType) bool {
	return e.State == Enabled && slices.Contains(e.EventTypes, t)
}

// SigningSecrets are the secrets that sign at now: the current one and any
// replaced one still in its overlap.
func (e Endpoint) SigningSecrets(now time.Time) []string {
	var out []string
	for _, s := range e.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Value)
		}
	}
	return out
}

// Input registers or changes an endpoint. Nil fields of a change are left
// as they are.
type Input struct {
	URL         *string     `json:"url,omitempty"`
	Description *string     `json:"description,omitempty"`
	EventTypes  []EventType `json:"event_types,omitempty"`
	// Enabled turns an endpoint off or back on (on resets its failures).
	Enabled *bool `json:"enabled,omitempty"`
}

// Validate checks the input's shape (create: URL and event types required).
// The URL's addresses are checked by the Guard, after DNS resolution.
func (in *Input) Validate(create bool) error {
	var fields []errs.FieldError
	if in.URL == nil {
		if create {
			fields = append(fields, errs.FieldError{Field: "url", Reason: "is required"})
		}
	} else if reason := checkURLShape(*in.URL); reason != "" {
		fields = append(fields, errs.FieldError{Field: "url", Reason: reason})
	}
	if in.Description != nil {
		d := *in.Description
		if err := text.Clean("description", &d, text.Line); err != nil {
			return err
		}
		if len([]rune(d)) > MaxDescription {
			fields = append(fields, errs.FieldError{Field: "description", Reason: "is longer than 200 characters"})
		}
		in.Description = &d
	}
	if in.EventTypes == nil && create {
		fields = append(fields, errs.FieldError{Field: "event_types", Reason: "is required"})
	} else if in.EventTypes != nil {
		if len(in.EventTypes) == 0 {
			fields = append(fields, errs.FieldError{Field: "event_types", Reason: "must name at least one event type"})
		}
		for _, t := range in.EventTypes {
			if !slices.Contains(EventTypes, t) {
				fields = append(fields, errs.FieldError{Field: "event_types", Reason: "unknown event type " + strconv.Quote(string(t))})
				break
			}
		}
		slices.Sort(in.EventTypes)
		in.EventTypes = slices.Compact(in.EventTypes)
	}
	if len(fields) > 0 {
		return errs.E(errs.KindUnprocessable, "invalid_webhook", "the webhook endpoint is not acceptable").WithFields(fields...)
	}
	return nil
}

// checkURLShape is the static part of the URL check: https, a host name,
// no credentials or fragment. "" when fine.
func checkURLShape(raw string) string {
	if len(raw) > MaxURLLength {
		return "is longer than 2048 characters"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return "must be an absolute URL"
	case u.Scheme != "https":
		return "must use https"
	case u.User != nil:
		return "must not carry credentials"
	case u.Hostname() == "":
		return "must name a host"
	case u.Fragment != "":
		return "must not have a fragment"
	}
	return ""
}

// Event is one thing that happened in a tenant's workspace, as sent.
type Event struct {
	Scope tenancy.Scope `json:"-"`
	// ID is the message id (webhook-id): the same for every endpoint and
	// every attempt, so a receiver can drop duplicates.
	ID   string    `json:"-"`
	Type EventType `json:"type"`
	At   time.Time `json:"timestamp"`
	Data any       `json:"data"`
}

// Payload is the body sent: {"type", "timestamp", "data"}.
func (e Event) Payload() ([]byte, error) { return json.Marshal(e) }

// Delivery states.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed" // the schedule is exhausted, or the endpoint was disabled
)

// Attempt is one try of a delivery, as the delivery log shows it.
type Attempt struct {
	N          int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	Manual     bool      `json:"manual,omitempty"`
}

// Delivery is one event for one endpoint and its attempts.
type Delivery struct {
	ID         string          `json:"id"`
	EndpointID string          `json:"endpoint_id"`
	MessageID  string          `json:"message_id"`
	EventType  EventType       `json:"event_type"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"created_at"`
	Status     string          `json:"status"`
	Attempts   []Attempt       `json:"attempts"`
	// NextAttemptAt is when the next automatic attempt is due (pending).
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// AutoAttempts counts the automatic attempts (manual ones do not
	// move the backoff schedule).
	AutoAttempts int `json:"-"`
}

// Task is a queue message: attempt N of a delivery.
type Task struct {
	Table      string `json:"table"`
	TenantID   string `json:"tenant_id"`
	EndpointID string `json:"endpoint_id"`
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
	Manual     bool   `json:"manual,omitempty"`
	// NotBefore holds a delay longer than the queue's longest (SQS: 15
	// minutes): a message received earlier is queued again.
	NotBefore time.Time `json:"not_before,omitzero"`
}

// Scope is the task's tenant scope.
func (t Task) Scope() tenancy.Scope { return tenancy.Scope{Table: t.Table, TenantID: t.TenantID} }

// Queue carries tasks to the Deliverer (SQS in AWS, an in-process queue
// with the same semantics locally): at least once, after delay.
type Queue interface {
	Send(ctx context.Context, t Task, delay time.Duration) error
}

// Schedule is the wait before each automatic retry (attempt i+2 waits
// Schedule[i] after attempt i+1): exponential, about 26 hours in all.
var Schedule = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 10 * time.Hour}

// Backoff is the wait after failed attempt n (1-based); false when the
// schedule is exhausted.
func Backoff(schedule []time.Duration, n int) (time.Duration, bool) {
	if n < 1 || n > len(schedule) {
		return 0, false
	}
	return schedule[n-1], true
}

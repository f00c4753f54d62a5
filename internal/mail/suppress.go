package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Suppression keeps an address from being mailed again.
//
// The list is platform-wide, not per tenant: a bounce or a complaint is a
// property of the mailbox, not of the workspace that happened to write to
// it; one person can belong to several workspaces; and every workspace
// sends through the platform's one SES identity, whose reputation a second
// bounce from another tenant would hurt all the same.
type Suppression struct {
	Address string    `json:"address"`
	Reason  string    `json:"reason"` // ReasonBounce or ReasonComplaint
	Detail  string    `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// Suppression reasons.
const (
	ReasonBounce    = "bounce"
	ReasonComplaint = "complaint"
)

// Suppressions is the list (maildb implements it on the control table).
type Suppressions interface {
	Suppressed(ctx context.Context, address string) (bool, error)
	Suppress(ctx context.Context, s Suppression) error
}

// NormalizeAddress is the key of an address on the list.
func NormalizeAddress(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// Suppressing is a Sender that skips suppressed recipients: Send returns
// nil without mailing them (the caller's flow goes on; the skip is
// logged). When the list cannot be read the message is sent: a lost
// verification code costs more than one more bounce, and SES's own
// suppression still stands behind it in AWS.
type Suppressing struct {
	Sender Sender
	List   Suppressions
}

// Send implements Sender.
func (s Suppressing) Send(ctx context.Context, m Message) error {
	skip, err := s.List.Suppressed(ctx, m.To)
	if err != nil {
		slog.WarnContext(ctx, "mail suppression list unreadable; sending", "error", err)
	} else if skip {
		slog.InfoContext(ctx, "mail not sent: the address is suppressed", "subject", m.Subject)
		return nil
	}
	return s.Sender.Send(ctx, m)
}

// sesEvent is what SES publishes to SNS for a configuration set's event
// destination ("eventType") or an identity's feedback notifications
// ("notificationType"); only the fields used here.
type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string    `json:"complaintFeedbackType"`
		Timestamp             time.Time `json:"timestamp"`
	} `json:"complaint"`
}

// SuppressFromSES reads one SES event (the Message of an SNS notification)
// and puts its addresses on the list: every recipient of a permanent
// bounce and of a complaint. Transient bounces (a full mailbox) and other
// events (deliveries, opens) change nothing. It returns the addresses it
// suppressed; putting one twice is harmless.
func SuppressFromSES(ctx context.Context, list Suppressions, message []byte, now time.Time) ([]string, error) {
	var ev sesEvent
	if err := json.Unmarshal(message, &ev); err != nil {
		return nil, fmt.Errorf("SES event: %w", err)
	}
	kind := ev.EventType
	if kind == "" {
		kind = ev.NotificationType
	}
	var out []Suppression
	switch {
	case kind == "Bounce" && ev.Bounce != nil && ev.Bounce.BounceType == "Permanent":
		for _, r := range ev.Bounce.BouncedRecipients {
			out = append(out, Suppression{Address: r.EmailAddress, Reason: ReasonBounce,
				Detail: strings.TrimSpace(ev.Bounce.BounceSubType + " " + r.DiagnosticCode), At: orNow(ev.Bounce.Timestamp, now)})
		}
	case kind == "Complaint" && ev.Complaint != nil:
		for _, r := range ev.Complaint.ComplainedRecipients {
			out = append(out, Suppression{Address: r.EmailAddress, Reason: ReasonComplaint,
				Detail: ev.Complaint.ComplaintFeedbackType, At: orNow(ev.Complaint.Timestamp, now)})
		}
	}
	var done []string
	for _, s := range out {
		s.Address = NormalizeAddress(s.Address)
		if s.Address == "" {
			continue
		}
		if err := list.Suppress(ctx, s); err != nil {
			return done, fmt.Errorf("suppress %s: %w", s.Address, err)
		}
		done = append(done, s.Address)
	}
	return done, nil
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now.UTC()
	}
	return t.UTC()
}

// SuppressFromSNS is SuppressFromSES for each record of an SNS delivery to
// a function (the configuration set's event destination topic).
func SuppressFromSNS(ctx context.Context, list Suppressions, ev events.SNSEvent, now time.Time) ([]string, error) {
	var all []string
	for _, r := range ev.Records {
		got, err := SuppressFromSES(ctx, list, []byte(r.SNS.Message), now)
		all = append(all, got...)
		if err != nil {
			return all, fmt.Errorf("SNS message %s: %w", r.SNS.MessageID, err)
		}
	}
	return all, nil
}

// Package mail sends the platform's own e-mail: registration verification
// codes and invitations. A Sender is chosen by the environment: SMTP locally
// (mailpit, `make dev` and the tests read what was sent) and Amazon SES v2 in
// AWS. Messages have a plain-text and an HTML part, both written by Go
// functions (render.go; no template engine, see escape.go).
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"

	"github.com/issuetracker/issuetracker/internal/envvars"
)

// Environment of the functions and the local platform (the names live in
// internal/envvars, the contract the CDK app and DepsFromEnv share).
const (
	// EnvSender selects the sender: "ses" (AWS) or "smtp" (local). Unset:
	// no sender, and operations that must send mail answer mail_unavailable.
	EnvSender = envvars.MailSender
	// EnvFrom is the From address ("IssueTracker <no-reply@example.com>");
	// in AWS its domain (or the address) is a verified SES identity.
	EnvFrom = envvars.MailFrom
	// EnvSMTPAddr is host:port of the SMTP server (mailpit locally).
	EnvSMTPAddr = envvars.SMTPAddr
	// EnvWebBaseURL is the web app's base URL, for links in messages.
	EnvWebBaseURL = envvars.WebBaseURL
)

// Sender kinds (values of EnvSender).
const (
	SenderSES  = "ses"
	SenderSMTP = "smtp"
)

// DefaultFrom is the From address when EnvFrom is unset.
const DefaultFrom = "IssueTracker <no-reply@issuetracker.local>"

// DefaultWebBaseURL is the web app of `make dev` (the gateway serves it).
const DefaultWebBaseURL = "http://localhost:8080"

// Message is one e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Headers are extra header fields (List-Unsubscribe, ...), in order.
	Headers []Header
}

// Header is one extra header field of a message.
type Header struct{ Name, Value string }

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrNotConfigured is returned by FromEnv when no sender is configured.
var ErrNotConfigured = errors.New("no mail sender is configured (" + EnvSender + ")")

// WebBaseURL is EnvWebBaseURL without a trailing slash, or the default.
func WebBaseURL() string {
	if v := strings.TrimRight(os.Getenv(EnvWebBaseURL), "/"); v != "" {
		return v
	}
	return DefaultWebBaseURL
}

// Validate refuses what no sender should send: header injection through
// the recipient or the subject, or an empty message.
func (m Message) Validate() error {
	a, err := mail.ParseAddress(m.To)
	if err != nil || a.Address != m.To {
		return fmt.Errorf("send mail: recipient %q is not a plain address", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("send mail: the subject has a line break")
	}
	for _, h := range m.Headers {
		if h.Name == "" || strings.ContainsAny(h.Name, "\r\n: ") || strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("send mail: header %q is malformed", h.Name)
		}
	}
	if m.Text == "" && m.HTML == "" {
		return errors.New("send mail: empty message")
	}
	return nil
}

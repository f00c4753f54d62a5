// Package mailwire gives a function the platform's mail sender (WithMail).
// Apart from core so that the functions that send no mail do not link the
// SES client (nor its initialisation at cold start).
package mailwire

import (
	"context"
	"errors"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/mail/sesmail"
)

// WithMail adds the platform's mail sender (envvars.MailSender: SES in
// AWS, SMTP locally; none when unset), skipping suppressed addresses. A
// Setup step of the functions that mail.
func WithMail(_ context.Context, e core.Env, d *core.Deps) error {
	sender, err := sesmail.FromEnv(e.AWS)
	if errors.Is(err, mail.ErrNotConfigured) {
		return nil
	}
	if err != nil {
		return err
	}
	// Bounced and complaining addresses are not mailed again (SES events, the activity function).
	d.Mail = mail.Suppressing{Sender: sender, List: maildb.Suppressions{DB: d.Control(), Table: d.Names.Control()}}
	d.UsageNotices = core.UsageNotices(*d)
	return nil
}

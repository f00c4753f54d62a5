// Package mailwire gives the functions that send mail the platform's
// sender: their mains import it (for its side effect), which makes
// core.WithMail build the sender. Apart from core and the wiring packages
// so that the functions that send no mail neither link the SES client
// nor run its initialisation at cold start, even when their wiring
// package also declares a function that mails.
package mailwire

import (
	"context"
	"errors"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/mail/sesmail"
)

func init() { core.RegisterMail(withMail) }

// withMail adds the platform's mail sender (envvars.MailSender: SES in
// AWS, SMTP locally; none when unset), skipping suppressed addresses.
func withMail(_ context.Context, e core.Env, d *core.Deps) error {
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

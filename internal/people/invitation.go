package people

import (
	"context"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// SendInvitation mails a new user of t their temporary password and the
// workspace's sign-in page (<web>/w/<slug>/signin). Invitations by a Super
// Admin and the Super Admin's own (onboarding) share it.
func SendInvitation(ctx context.Context, s mail.Sender, webBase string, t tenant.Tenant, email, role, temporaryPassword string) error {
	if s == nil {
		return errs.E(errs.KindInternal, "mail_unavailable", "no mail sender is configured")
	}
	if webBase == "" {
		webBase = mail.DefaultWebBaseURL
	}
	company := t.Branding.DisplayName
	if company == "" {
		company = t.Name
	}
	m, err := mail.Invitation{To: email, Company: company, Role: role, TemporaryPassword: temporaryPassword,
		SignInURL: mail.SignInURL(webBase, t.ID)}.Message()
	if err != nil {
		return fmt.Errorf("invitation of %s: %w", email, err)
	}
	if err := s.Send(ctx, m); err != nil {
		return fmt.Errorf("invitation of %s: %w", email, err)
	}
	return nil
}

// SendInvitationElsewhere tells an invited address that is a user of
// another workspace why no invitation came (mail.InvitationElsewhere); the
// inviting Super Admin's answer is the same as for any invitation.
func SendInvitationElsewhere(ctx context.Context, s mail.Sender, t tenant.Tenant, email string) error {
	if s == nil {
		return errs.E(errs.KindInternal, "mail_unavailable", "no mail sender is configured")
	}
	company := t.Branding.DisplayName
	if company == "" {
		company = t.Name
	}
	m, err := mail.InvitationElsewhere{To: email, Company: company}.Message()
	if err != nil {
		return fmt.Errorf("invitation of %s: %w", email, err)
	}
	if err := s.Send(ctx, m); err != nil {
		return fmt.Errorf("invitation of %s: %w", email, err)
	}
	return nil
}

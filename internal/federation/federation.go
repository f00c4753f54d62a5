// Package federation links a federated sign-in (Google) to the person a
// tenant invited with the same verified email. It is the PreSignUp trigger
// of the shared tenant pool (functions/presignup; constructs/identity wires
// it when Google sign-in is configured): Cognito calls it before it would
// create a user for a first federated sign-in. The trigger links the
// federated identity to the invited (native) user with
// AdminLinkProviderForUser, so that identity signs in AS that user, with its
// tenant, role and tier claims; it refuses everyone else, so no user
// without a tenant (which the authorizer would refuse) is ever created.
//
// Cognito still fails the very sign-in during which the link is made (the
// federated user it meant to create now exists as a link), so the trigger
// refuses it with LinkedMessage: the web app signs in again, and from then
// on the federated identity is that user.
package federation

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Cognito is what the trigger calls (a *cognitoidentityprovider.Client).
type Cognito interface {
	ListUsers(ctx context.Context, in *cip.ListUsersInput, opts ...func(*cip.Options)) (*cip.ListUsersOutput, error)
	AdminLinkProviderForUser(ctx context.Context, in *cip.AdminLinkProviderForUserInput, opts ...func(*cip.Options)) (*cip.AdminLinkProviderForUserOutput, error)
}

// Messages Cognito shows the web app (the OAuth redirect's
// error_description says "PreSignUp failed with error <message>."). Each
// starts with a stable code.
const (
	// LinkedMessage: the link is made; sign in again.
	LinkedMessage = "account_linked: your sign-in is now linked to your invitation; sign in again"
	// NotInvitedMessage: nobody invited this email (or it is not verified).
	NotInvitedMessage = "not_invited: this email has no invitation to a workspace; ask your workspace admin to invite it, then sign in again"
)

// TenantClaim is the custom attribute that names a user's tenant
// (constructs/identity.AttrTenantID).
const TenantClaim = "custom:tenant_id"

// Linker is the trigger.
type Linker struct {
	C Cognito
	// Providers are the identity providers whose users may be linked, by
	// their Cognito provider name. Default: Google.
	Providers []string
}

// Handle is the Lambda handler.
func (l Linker) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
	if ev.TriggerSource != "PreSignUp_ExternalProvider" {
		// Users created by onboarding and by admins (AdminCreateUser); the
		// pool allows no self sign-up.
		return ev, nil
	}
	provider, subject, ok := l.provider(ev.UserName)
	if !ok {
		slog.WarnContext(ctx, "federated sign-up refused: provider not allowed", "user", ev.UserName)
		return ev, fmt.Errorf("%s", NotInvitedMessage)
	}
	email := strings.ToLower(strings.TrimSpace(ev.Request.UserAttributes["email"]))
	if ev.Request.UserAttributes["email_verified"] != "true" || !plainEmail(email) {
		slog.InfoContext(ctx, "federated sign-up refused: no verified email", "provider", provider)
		return ev, fmt.Errorf("%s", NotInvitedMessage)
	}
	invited, err := l.invited(ctx, ev.UserPoolID, email)
	if err != nil {
		return ev, err
	}
	if invited == "" {
		slog.InfoContext(ctx, "federated sign-up refused: not invited", "provider", provider)
		return ev, fmt.Errorf("%s", NotInvitedMessage)
	}
	if _, err := l.C.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{
		UserPoolId:      aws.String(ev.UserPoolID),
		DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String(invited)},
		SourceUser: &types.ProviderUserIdentifierType{ProviderName: aws.String(provider),
			ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(subject)},
	}); err != nil {
		return ev, fmt.Errorf("link %s identity to the invited user: %w", provider, err)
	}
	slog.InfoContext(ctx, "federated identity linked to the invited user", "provider", provider, "user", invited)
	return ev, fmt.Errorf("%s", LinkedMessage)
}

// provider splits a federated user name ("Google_1234...") into the
// provider's name as configured and the user's subject there.
func (l Linker) provider(userName string) (name, subject string, ok bool) {
	name, subject, found := strings.Cut(userName, "_")
	if !found || subject == "" {
		return "", "", false
	}
	allowed := l.Providers
	if allowed == nil {
		allowed = []string{"Google"}
	}
	for _, p := range allowed {
		if strings.EqualFold(p, name) { // Cognito sometimes sends "google_..."
			return p, subject, true
		}
	}
	return "", "", false
}

// invited finds the native user a tenant invited with this email: enabled,
// email verified, with a tenant. "" if there is none, or more than one.
func (l Linker) invited(ctx context.Context, poolID, email string) (string, error) {
	out, err := l.C.ListUsers(ctx, &cip.ListUsersInput{
		UserPoolId: aws.String(poolID),
		Filter:     aws.String(`email = "` + email + `"`),
		Limit:      aws.Int32(10),
	})
	if err != nil {
		return "", fmt.Errorf("find the invited user: %w", err)
	}
	found := ""
	for _, u := range out.Users {
		if u.UserStatus == types.UserStatusTypeExternalProvider || !u.Enabled {
			continue
		}
		attrs := map[string]string{}
		for _, a := range u.Attributes {
			attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		if !strings.EqualFold(attrs["email"], email) || attrs["email_verified"] != "true" || attrs[TenantClaim] == "" {
			continue
		}
		if found != "" {
			return "", nil // ambiguous: link nobody
		}
		found = aws.ToString(u.Username)
	}
	return found, nil
}

// plainEmail accepts the emails the ListUsers filter can carry verbatim: no
// quotes, backslashes, spaces or control characters.
func plainEmail(e string) bool {
	if e == "" || len(e) > 254 || !strings.Contains(e, "@") {
		return false
	}
	return !strings.ContainsFunc(e, func(r rune) bool {
		return r == '"' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
}

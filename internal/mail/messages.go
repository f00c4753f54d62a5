package mail

import (
	"fmt"
	"strings"
	"time"
)

// Subject lines are stable: the web app's end-to-end tests find messages
// in mailpit by them (docs/onboarding.md lists them).
const (
	SubjectVerification = "Verify your email for IssueTracker"
	subjectInvitation   = "You're invited to %s on IssueTracker"
)

// InvitationSubject is the subject of an invitation to company.
func InvitationSubject(company string) string {
	return strings.Replace(subjectInvitation, "%s", oneLine(company), 1)
}

// Verification is the data of a registration's verification code message.
type Verification struct {
	To        string
	Company   string
	Code      string
	ExpiresIn time.Duration
}

// Message renders the verification message.
func (v Verification) Message() (Message, error) {
	text, html := verificationParts(oneLine(v.Company), v.Code, int(v.ExpiresIn.Minutes()))
	return Message{To: v.To, Subject: SubjectVerification, Text: text, HTML: html}, nil
}

// Invitation is the data of an invitation: the temporary password and
// where to sign in with it.
type Invitation struct {
	To                string
	Company           string
	Role              string
	TemporaryPassword string
	SignInURL         string
	// ValidFor is how long the temporary password works (the pool's
	// policy); DefaultTemporaryPasswordValidity if zero.
	ValidFor time.Duration
}

// DefaultTemporaryPasswordValidity is the pools' TempPasswordValidity
// (constructs/identity).
const DefaultTemporaryPasswordValidity = 72 * time.Hour

// Message renders the invitation.
func (in Invitation) Message() (Message, error) {
	if in.ValidFor <= 0 {
		in.ValidFor = DefaultTemporaryPasswordValidity
	}
	text, html := invitationParts(oneLine(in.Company), in.To, strings.ReplaceAll(in.Role, "_", " "),
		in.TemporaryPassword, in.SignInURL, int(in.ValidFor.Hours()/24))
	return Message{To: in.To, Subject: InvitationSubject(in.Company), Text: text, HTML: html}, nil
}

// InvitationElsewhere tells the invitee that their address already has an
// account in another workspace (an address belongs to one workspace on the
// shared pool): the inviting Super Admin gets the answer of any invitation
// and learns nothing; the invitee learns what to do. Same subject as an
// invitation.
type InvitationElsewhere struct {
	To      string
	Company string
}

// Message renders the notice.
func (in InvitationElsewhere) Message() (Message, error) {
	text, html := invitationElsewhereParts(oneLine(in.Company), in.To)
	return Message{To: in.To, Subject: InvitationSubject(in.Company), Text: text, HTML: html}, nil
}

// SignInURL is the web app's sign-in page of a workspace.
func SignInURL(webBase, slug string) string {
	return strings.TrimRight(webBase, "/") + "/w/" + slug + "/signin"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Usage and billing subjects (stable, like the others).
const (
	subjectUsageWarning  = "%s: usage warning on IssueTracker"
	subjectUsageLimit    = "%s: usage limit reached on IssueTracker"
	subjectPaymentFailed = "%s: payment failed on IssueTracker"
	subjectSuspended     = "%s: workspace suspended for non-payment"
)

// UsageWarning tells a Super Admin a quantity crossed 80% or 100% of the
// tier's limit (sent once per threshold and period).
type UsageWarning struct {
	To, Company, Tier, Period string
	// Limit reached (100%) rather than a warning (80%).
	AtLimit     bool
	Text        string
	Used, Limit string
	UsageURL    string
}

// UsageWarningSubject is the subject of a usage warning for company.
func UsageWarningSubject(company string, atLimit bool) string {
	s := subjectUsageWarning
	if atLimit {
		s = subjectUsageLimit
	}
	return strings.Replace(s, "%s", oneLine(company), 1)
}

// Message renders the warning.
func (u UsageWarning) Message() (Message, error) {
	text, html := usageWarningParts(oneLine(u.Company), u.Tier, u.Period, u.Text, u.Used, u.Limit, u.UsageURL)
	return Message{To: u.To, Subject: UsageWarningSubject(u.Company, u.AtLimit), Text: text, HTML: html}, nil
}

// BillingNotice tells a Super Admin a payment failed (with the grace
// period's end) or that the workspace was suspended for non-payment.
type BillingNotice struct {
	To, Company string
	Suspended   bool
	Text        string
	Until       string // end of the grace period
	BillingURL  string
}

// BillingNoticeSubject is the subject of a billing notice for company.
func BillingNoticeSubject(company string, suspended bool) string {
	s := subjectPaymentFailed
	if suspended {
		s = subjectSuspended
	}
	return strings.Replace(s, "%s", oneLine(company), 1)
}

// Message renders the notice.
func (b BillingNotice) Message() (Message, error) {
	text, html := billingParts(oneLine(b.Company), b.Text, b.Until, b.BillingURL)
	return Message{To: b.To, Subject: BillingNoticeSubject(b.Company, b.Suspended), Text: text, HTML: html}, nil
}

// WorkspaceURL is a page of a workspace in the web app (settings/usage, settings/billing).
func WorkspaceURL(webBase, slug, page string) string {
	return strings.TrimRight(webBase, "/") + "/w/" + slug + "/" + page
}

// NotificationLine is one change in a notification mail.
type NotificationLine struct {
	Actor, Summary, Title, Excerpt, URL string
}

// Notifications is one batch of a person's notifications (a burst of
// changes, or the daily digest), with the workspace's name as branding
// and the links to preferences and one-click unsubscribe.
type Notifications struct {
	To, Name, Company string
	Lines             []NotificationLine
	Digest            bool
	// PreferencesURL is the web app's settings page; UnsubscribeURL the
	// signed one-click unsubscribe (also in List-Unsubscribe, RFC 8058).
	PreferencesURL, UnsubscribeURL string
}

// NotificationsSubject is the subject of a batch: the one change, or how
// many there are.
func NotificationsSubject(company string, lines []NotificationLine, digest bool) string {
	switch {
	case digest:
		return fmt.Sprintf("[%s] Your daily digest: %d updates", oneLine(company), len(lines))
	case len(lines) == 1:
		return fmt.Sprintf("[%s] %s %s", oneLine(company), oneLine(lines[0].Actor), oneLine(lines[0].Summary))
	}
	return fmt.Sprintf("[%s] %d updates on issues you follow", oneLine(company), len(lines))
}

// Message renders the batch with its List-Unsubscribe headers.
func (n Notifications) Message() (Message, error) {
	text, html := notificationsParts(oneLine(n.Name), oneLine(n.Company), n.Lines, n.PreferencesURL, n.UnsubscribeURL)
	m := Message{To: n.To, Subject: NotificationsSubject(n.Company, n.Lines, n.Digest), Text: text, HTML: html}
	m.Headers = []Header{{"List-Unsubscribe", "<" + n.UnsubscribeURL + ">"}, {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}}
	return m, nil
}

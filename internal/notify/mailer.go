package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Names the platform stack and the functions share.
const (
	// EnvAPIBaseURL is the API's public base URL (the one-click
	// unsubscribe link of notification mail).
	EnvAPIBaseURL = envvars.APIBaseURL
	// JobSendMail is the activity function's scheduled job (every minute).
	JobSendMail = "send-notification-mail"
)

// MailStore is what the mail job needs of storage (notifydb.Store).
type MailStore interface {
	Due(ctx context.Context, sc tenancy.Scope, now time.Time, limit int) ([]Pending, error)
	Sent(ctx context.Context, sc tenancy.Scope, ps []Pending) error
	Preferences(ctx context.Context, sc tenancy.Scope, user string) (Preferences, error)
}

// Person is what a mail needs of a user.
type Person struct {
	Email, Name string
	Active      bool
}

// People finds users (nil error and Active false for one who left).
type People interface {
	Person(ctx context.Context, sc tenancy.Scope, user string) (Person, error)
}

// Mailer sends the due batches of a tenant.
type Mailer struct {
	Store  MailStore
	People People
	Mail   mail.Sender
	Tokens Tokens
	// WebBaseURL (links to issues and settings) and APIBaseURL (the
	// one-click unsubscribe endpoint).
	WebBaseURL, APIBaseURL string
}

// MailBatchLimit bounds the entries one run reads per tenant.
const MailBatchLimit = 500

// SendDue sends every batch due at now in the tenant: one mail per person
// and batch, then forgets the batch's entries. A failure to send leaves
// them for the next run (a crash between sending and forgetting sends the
// batch again: at least once).
func (m Mailer) SendDue(ctx context.Context, sc tenancy.Scope, company string, now time.Time) (int, error) {
	ps, err := m.Store.Due(ctx, sc, now, MailBatchLimit)
	if err != nil || len(ps) == 0 {
		return 0, err
	}
	type key struct {
		user string
		due  time.Time
	}
	groups := map[key][]Pending{}
	var order []key
	for _, p := range ps {
		k := key{p.UserID, p.Due}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	sent := 0
	var failed []error
	for _, k := range order {
		ok, err := m.sendBatch(ctx, sc, company, k.user, groups[k])
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if err := m.Store.Sent(ctx, sc, groups[k]); err != nil {
			failed = append(failed, err)
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(failed...)
}

func (m Mailer) sendBatch(ctx context.Context, sc tenancy.Scope, company, user string, ps []Pending) (bool, error) {
	to, err := m.People.Person(ctx, sc, user)
	if err != nil || !to.Active || to.Email == "" {
		return false, err // gone: the entries are dropped
	}
	prefs, err := m.Store.Preferences(ctx, sc, user)
	if err != nil {
		return false, err
	}
	names := map[string]string{}
	var lines []mail.NotificationLine
	digest := false
	slices.SortFunc(ps, func(a, b Pending) int { return a.At.Compare(b.At) })
	for _, p := range ps {
		if prefs.Mode(p.Kind) != p.Mode { // changed (or unsubscribed) since
			continue
		}
		digest = digest || p.Mode == Daily
		actor, ok := names[p.ActorID]
		if !ok {
			who, err := m.People.Person(ctx, sc, p.ActorID)
			if err != nil {
				return false, err
			}
			actor = cmpOr(who.Name, who.Email, "Someone")
			names[p.ActorID] = actor
		}
		lines = append(lines, mail.NotificationLine{Actor: actor, Summary: p.Summary, Title: p.IssueTitle, Excerpt: p.Excerpt,
			URL: strings.TrimRight(m.WebBaseURL, "/") + "/w/" + sc.TenantID + "/issues/" + p.IssueKey})
	}
	if len(lines) == 0 {
		return false, nil
	}
	tok, err := m.Tokens.Make(ctx, sc.TenantID, user)
	if err != nil {
		return false, err
	}
	msg, err := mail.Notifications{To: to.Email, Name: cmpOr(to.Name, to.Email), Company: company, Lines: lines, Digest: digest,
		PreferencesURL: strings.TrimRight(m.WebBaseURL, "/") + "/w/" + sc.TenantID + "/settings/notifications",
		UnsubscribeURL: strings.TrimRight(m.APIBaseURL, "/") + "/v1/notifications/unsubscribe?token=" + tok}.Message()
	if err != nil {
		return false, err
	}
	if err := m.Mail.Send(ctx, msg); err != nil {
		return false, fmt.Errorf("send notifications to %s: %w", user, err)
	}
	return true, nil
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Tokens signs and checks one-click unsubscribe tokens: the tenant and the
// user, under an HMAC key of the deployment (Key: the cursor key's
// keyring, with its own label so a cursor can never pass as a token).
type Tokens struct {
	Key func(ctx context.Context) ([]byte, error)
}

const tokenLabel = "issuetracker-unsubscribe-v1\x00"

// Make returns the token of user in tenant.
func (t Tokens) Make(ctx context.Context, tenant, user string) (string, error) {
	body := base64.RawURLEncoding.EncodeToString([]byte(tenant + "\x00" + user))
	sig, err := t.sign(ctx, body)
	if err != nil {
		return "", err
	}
	return body + "." + sig, nil
}

// Check returns the tenant and user of a valid token; invalid_token else.
func (t Tokens) Check(ctx context.Context, tok string) (tenant, user string, err error) {
	bad := errs.Invalid("invalid_token", "the unsubscribe link is not valid", errs.FieldError{Field: "token", Reason: "is not a valid unsubscribe token"})
	body, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 512 {
		return "", "", bad
	}
	want, err := t.sign(ctx, body)
	if err != nil {
		return "", "", err
	}
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", "", bad
	}
	tenant, user, ok = strings.Cut(string(raw), "\x00")
	if !ok || tenant == "" || user == "" {
		return "", "", bad
	}
	return tenant, user, nil
}

func (t Tokens) sign(ctx context.Context, body string) (string, error) {
	key, err := t.Key(ctx)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte(tokenLabel + body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:20]), nil
}

// AllOff is the preferences of someone who unsubscribed from all mail.
func AllOff() Preferences {
	p := Preferences{Email: map[Kind]Mode{}}
	for _, k := range Kinds {
		p.Email[k] = Off
	}
	return p
}

package mail_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite internal/mail/testdata/*.golden from the current rendering")

// hostile is a workspace, person or issue text that must come out
// escaped in the HTML part (and as is in the text part): markup, both
// quotes, an entity, '+', a NUL, a noncharacter and line breaks.
const hostile = "Acme <script>alert('x')</script> & \"Co\" +1\x00\ufdd0 Ünïcode\r\nBcc: evil@x.test"

// hostileURL would break out of an href, and leaves a valid escape, an
// invalid one and one at the very end (html/template re-encodes that one).
const hostileURL = `http://localhost:8080/w/acme/i/1?q=a b"c'<d>&e=%41%zz(1)%4`

// TestMessagesMatchTheirGoldens pins every message's subject, headers, text
// and HTML byte for byte, for ordinary and hostile input: the rendering can
// change engine only if no recipient sees a difference. `go test
// ./internal/mail -update` rewrites the goldens.
func TestMessagesMatchTheirGoldens(t *testing.T) {
	lines := []mail.NotificationLine{
		{Actor: "Ann Lee", Summary: "commented on", Title: "ACME-12 Login fails", Excerpt: "It works for me", URL: "http://localhost:8080/w/acme/issues/ACME-12"},
		{Actor: "Bob", Summary: "assigned you", Title: "ACME-7 Export", URL: "http://localhost:8080/w/acme/issues/ACME-7"},
		{Actor: hostile, Summary: hostile, Title: hostile, Excerpt: hostile, URL: hostileURL},
	}
	unsubscribe := "http://localhost:8080/v1/unsubscribe?t=eyJ0IjoiYWNtZSJ9.c2ln-_+/="
	cases := map[string]interface{ Message() (mail.Message, error) }{
		"invitation_elsewhere":         mail.InvitationElsewhere{To: "ann@acme.test", Company: "Acme Corp"},
		"invitation_elsewhere_hostile": mail.InvitationElsewhere{To: "ann@acme.test", Company: hostile},
		"verification":                 mail.Verification{To: "ann@acme.test", Company: "Acme Corp", Code: "042137", ExpiresIn: 15 * time.Minute},
		"verification_hostile":         mail.Verification{To: "ann@acme.test", Company: hostile, Code: "<b>1</b>", ExpiresIn: 90 * time.Second},
		"invitation": mail.Invitation{To: "bob@acme.test", Company: "Acme Corp", Role: "super_admin",
			TemporaryPassword: "Tmp-Passw0rd!xyz", SignInURL: mail.SignInURL("http://localhost:8080/", "acme")},
		"invitation_hostile": mail.Invitation{To: "bob+x@acme.test", Company: hostile, Role: "<i>admin</i>_x",
			TemporaryPassword: `a<b>&"'+`, SignInURL: hostileURL, ValidFor: 36 * time.Hour},
		"invitation_javascript_url": mail.Invitation{To: "bob@acme.test", Company: "Acme", Role: "member",
			TemporaryPassword: "pw", SignInURL: "javascript:alert(1)"},
		"usage_warning": mail.UsageWarning{To: "ann@acme.test", Company: "Acme Corp", Tier: "Gold", Period: "2026-11",
			Text: "Acme Corp used 80% of its API requests", Used: "80,000", Limit: "100,000",
			UsageURL: mail.WorkspaceURL("http://localhost:8080", "acme", "settings/usage")},
		"usage_limit_no_limit": mail.UsageWarning{To: "ann@acme.test", Company: "Acme Corp", Tier: "Gold", Period: "2026-11",
			AtLimit: true, Text: "Acme Corp reached its storage limit", Used: "5 GB",
			UsageURL: mail.WorkspaceURL("http://localhost:8080/", "acme", "settings/usage")},
		"usage_warning_hostile": mail.UsageWarning{To: "ann@acme.test", Company: hostile, Tier: hostile, Period: hostile,
			AtLimit: true, Text: hostile, Used: hostile, Limit: hostile, UsageURL: hostileURL},
		"billing_payment_failed": mail.BillingNotice{To: "ann@acme.test", Company: "Acme Corp", Text: "The payment of your invoice failed.",
			Until: "2026-12-14", BillingURL: mail.WorkspaceURL("http://localhost:8080", "acme", "settings/billing")},
		"billing_suspended": mail.BillingNotice{To: "ann@acme.test", Company: "Acme Corp", Suspended: true,
			Text: "The workspace is suspended.", BillingURL: mail.WorkspaceURL("http://localhost:8080", "acme", "settings/billing")},
		"billing_hostile": mail.BillingNotice{To: "ann@acme.test", Company: hostile, Text: hostile, Until: hostile, BillingURL: "vbscript:x"},
		"notifications_one": mail.Notifications{To: "cat@acme.test", Name: "Cat", Company: "Acme Corp", Lines: lines[:1],
			PreferencesURL: "http://localhost:8080/w/acme/settings/notifications", UnsubscribeURL: unsubscribe},
		"notifications_two": mail.Notifications{To: "cat@acme.test", Name: "Cat", Company: "Acme Corp", Lines: lines[:2],
			PreferencesURL: "http://localhost:8080/w/acme/settings/notifications", UnsubscribeURL: unsubscribe},
		"notifications_digest_hostile": mail.Notifications{To: "cat@acme.test", Name: hostile, Company: hostile, Lines: lines, Digest: true,
			PreferencesURL: hostileURL, UnsubscribeURL: hostileURL},
		"notifications_none": mail.Notifications{To: "cat@acme.test", Name: "Cat", Company: "Acme", Digest: true,
			PreferencesURL: "/w/acme/settings/notifications", UnsubscribeURL: "data:text/html,x"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := c.Message()
			require.NoError(t, err)
			var b strings.Builder
			b.WriteString("To: " + m.To + "\nSubject: " + m.Subject + "\n")
			for _, h := range m.Headers {
				b.WriteString(h.Name + ": " + h.Value + "\n")
			}
			b.WriteString("\n--- text\n" + m.Text + "\n--- html\n" + m.HTML)
			path := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run `go test ./internal/mail -update`")
			assert.Equal(t, string(want), b.String(), "run `go test ./internal/mail -update` only if the change is meant")
		})
	}
}

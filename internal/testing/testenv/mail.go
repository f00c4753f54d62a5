package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
)

// Mail ports of the tests' mailpit (dev uses 1025 and 8025):
// ITR_TEST_SMTP_PORT and ITR_TEST_MAIL_UI_PORT move them.
var (
	SMTPPort   = envPort("ITR_TEST_SMTP_PORT", 1026)
	MailUIPort = envPort("ITR_TEST_MAIL_UI_PORT", 8026)
)

// MailEnv is the tests' mailpit: SMTP for senders, the HTTP API for reading.
type MailEnv struct {
	SMTPAddr string
	API      string // http://127.0.0.1:<ui port>
}

var (
	mailOnce sync.Once
	mailEnv  MailEnv
	mailErr  error
)

// Mail starts or reuses the tests' mailpit (like DynamoDB Local: once per
// run, shared by every test binary, stopped by scripts/stop-test-services.sh).
func Mail(t testing.TB) MailEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	mailOnce.Do(func() { mailEnv, mailErr = ensureMail() })
	if mailErr != nil {
		t.Fatalf("mailpit: %v", mailErr)
	}
	return mailEnv
}

func ensureMail() (MailEnv, error) {
	e := MailEnv{SMTPAddr: fmt.Sprintf("127.0.0.1:%d", SMTPPort), API: fmt.Sprintf("http://127.0.0.1:%d", MailUIPort)}
	root, dir, unlock, err := lockServices()
	if err != nil {
		return e, err
	}
	defer unlock()
	if !localcloud.PortFree(SMTPPort) && !localcloud.PortFree(MailUIPort) {
		// started by another test binary of this run, or left running
		return e, reuse("mailpit", MailUIPort, "ITR_TEST_MAIL_UI_PORT", httpAnswers(e.API+"/api/v1/info"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = startDetached(ctx, dir, serviceFile("mailpit", SMTPPort), func(o localcloud.Options) (*localcloud.Process, error) {
		o.Port = SMTPPort
		m, err := localcloud.StartMailpit(ctx, o, MailUIPort)
		if err != nil {
			return nil, err
		}
		return m.Process, nil
	}, root)
	return e, err
}

// TestMailFrom is the From address of the tests' senders.
const TestMailFrom = "IssueTracker <no-reply@issuetracker.test>"

// MailSender is an SMTP sender to the tests' mailpit.
func MailSender(t testing.TB) mail.Sender {
	return mail.SMTP{Addr: Mail(t).SMTPAddr, From: TestMailFrom}
}

// MailMessage is a message as mailpit's API returns it.
type MailMessage struct {
	ID      string
	From    string
	To      []string
	Subject string
	Text    string
	HTML    string
	Created time.Time
}

// Mailbox reads the messages sent to one address. It remembers what it has
// returned, so Next waits for a message sent after the last one seen (the
// same address may get mail in other tests of the run).
type Mailbox struct {
	t    testing.TB
	env  MailEnv
	to   string
	seen map[string]bool
}

// NewMailbox opens the mailbox of address to; messages already there are
// treated as seen.
func NewMailbox(t testing.TB, to string) *Mailbox {
	m := &Mailbox{t: t, env: Mail(t), to: strings.ToLower(to), seen: map[string]bool{}}
	for _, s := range m.summaries() {
		m.seen[s.ID] = true
	}
	return m
}

type summary struct {
	ID      string
	Subject string
	Created time.Time
	From    struct{ Address string }
	To      []struct{ Address string }
}

func (m *Mailbox) summaries() []summary {
	m.t.Helper()
	q := url.Values{"query": {`to:"` + m.to + `"`}, "limit": {"200"}}
	var out struct{ Messages []summary }
	m.get("/api/v1/search?"+q.Encode(), &out)
	var mine []summary // the search matches substrings: keep exact recipients
	for _, s := range out.Messages {
		for _, a := range s.To {
			if strings.EqualFold(a.Address, m.to) {
				mine = append(mine, s)
				break
			}
		}
	}
	return mine
}

func (m *Mailbox) get(path string, into any) {
	m.t.Helper()
	res, err := http.Get(m.env.API + path)
	if err != nil {
		m.t.Fatalf("mailpit API: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		m.t.Fatalf("mailpit API %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		m.t.Fatalf("mailpit API %s: %v", path, err)
	}
}

// Next waits up to eventually.Deadline for a message not seen yet whose subject contains
// subject, and returns it whole.
func (m *Mailbox) Next(subject string) MailMessage {
	m.t.Helper()
	deadline := time.Now().Add(eventually.Deadline)
	for {
		ss := m.summaries()
		for i := len(ss) - 1; i >= 0; i-- { // oldest first
			s := ss[i]
			if m.seen[s.ID] || !strings.Contains(s.Subject, subject) {
				continue
			}
			m.seen[s.ID] = true
			var full struct {
				Text, HTML string
			}
			m.get("/api/v1/message/"+s.ID, &full)
			msg := MailMessage{ID: s.ID, From: s.From.Address, Subject: s.Subject, Text: full.Text, HTML: full.HTML, Created: s.Created}
			for _, a := range s.To {
				msg.To = append(msg.To, a.Address)
			}
			return msg
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("no new message %q to %s within %s", subject, m.to, eventually.Deadline)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// None asserts that no unseen message arrived (after a short grace period).
func (m *Mailbox) None() {
	m.t.Helper()
	time.Sleep(200 * time.Millisecond)
	for _, s := range m.summaries() {
		if !m.seen[s.ID] {
			m.t.Fatalf("unexpected message %q to %s", s.Subject, m.to)
		}
	}
}

var (
	codeRE     = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
	passwordRE = regexp.MustCompile(`Temporary password:\s*(\S+)`)
)

// VerificationCode is the code of a registration's verification message.
func (m MailMessage) VerificationCode() string {
	if g := codeRE.FindStringSubmatch(m.Text); g != nil {
		return g[1]
	}
	return ""
}

// TemporaryPassword is the temporary password of an invitation.
func (m MailMessage) TemporaryPassword() string {
	if g := passwordRE.FindStringSubmatch(m.Text); g != nil {
		return g[1]
	}
	return ""
}

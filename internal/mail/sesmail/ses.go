// Package sesmail sends the platform's mail through Amazon SES v2 (a hand-signed SendEmail), and
// picks the deployment's sender from the environment (FromEnv: SES in
// AWS, SMTP locally). Apart from package mail so that the many packages
// that only use mail's types do not import the SES client (its
// initialisation runs at every cold start of every binary importing it).
package sesmail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/mail"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// SES sends through Amazon SES v2's SendEmail (simple content): one
// signed POST of restJson1 to /v2/email/outbound-emails, written by hand
// with the SDK's SigV4 signer rather than with aws-sdk-go-v2/service/sesv2,
// whose client (with its types and schemas) cost every function that
// sends mail ~1.1 MB of binary for this one call (as apikeys.SSM does for
// SSM; docs/performance.md). From's domain or address must be a verified
// identity of the account; the functions' role may send only from it
// (infra/stacks).
// https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
type SES struct {
	// Config gives the region, the credentials, the HTTP client and an
	// optional BaseEndpoint (tests); otherwise the regional endpoint
	// https://email.<region>.amazonaws.com (.com.cn in China).
	Config aws.Config
	From   string
	// ConfigurationSet is optional (event publishing, suppression).
	ConfigurationSet string
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

type sesContent struct {
	Data    string
	Charset string `json:",omitempty"`
}

type sesHeader struct{ Name, Value string }

type sesSendEmail struct {
	FromEmailAddress string
	Destination      struct{ ToAddresses []string }
	Content          struct {
		Simple struct {
			Subject sesContent
			Body    struct {
				Text *sesContent `json:",omitempty"`
				Html *sesContent `json:",omitempty"`
			}
			Headers []sesHeader `json:",omitempty"`
		}
	}
	ConfigurationSetName string `json:",omitempty"`
}

// Send implements mail.Sender.
func (s SES) Send(ctx context.Context, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	var in sesSendEmail
	in.FromEmailAddress, in.ConfigurationSetName = s.From, s.ConfigurationSet
	in.Destination.ToAddresses = []string{m.To}
	simple := &in.Content.Simple
	simple.Subject = sesContent{Data: m.Subject, Charset: "UTF-8"}
	if m.Text != "" {
		simple.Body.Text = &sesContent{Data: m.Text, Charset: "UTF-8"}
	}
	if m.HTML != "" {
		simple.Body.Html = &sesContent{Data: m.HTML, Charset: "UTF-8"}
	}
	for _, h := range m.Headers {
		simple.Headers = append(simple.Headers, sesHeader{Name: h.Name, Value: h.Value})
	}
	if err := s.call(ctx, in); err != nil {
		return fmt.Errorf("send mail with SES: %w", err)
	}
	return nil
}

func (s SES) call(ctx context.Context, in sesSendEmail) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint()+"/v2/email/outbound-emails", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	resp, err := awsjson.Do(ctx, s.Config, req, hex.EncodeToString(sum[:]), "ses", s.Now)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &e)
	code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	if code == "" {
		code = resp.Status
	}
	return fmt.Errorf("%s: %s (HTTP %d)", code, e.Message, resp.StatusCode)
}

func (s SES) endpoint() string {
	if s.Config.BaseEndpoint != nil && *s.Config.BaseEndpoint != "" {
		return strings.TrimSuffix(*s.Config.BaseEndpoint, "/")
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(s.Config.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://email." + s.Config.Region + "." + domain
}

// FromEnv builds the sender the environment names; cfg is used for SES.
// ErrNotConfigured when mail.EnvSender is unset.
func FromEnv(cfg aws.Config) (mail.Sender, error) {
	from := os.Getenv(mail.EnvFrom)
	if from == "" {
		from = mail.DefaultFrom
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("%s %q: %w", mail.EnvFrom, from, err)
	}
	switch kind := strings.ToLower(os.Getenv(mail.EnvSender)); kind {
	case "":
		return nil, mail.ErrNotConfigured
	case mail.SenderSES:
		return SES{Config: cfg, From: from, ConfigurationSet: os.Getenv(envvars.MailConfigurationSet)}, nil
	case mail.SenderSMTP:
		addr := os.Getenv(mail.EnvSMTPAddr)
		if addr == "" {
			return nil, fmt.Errorf("%s=smtp needs %s (host:port)", mail.EnvSender, mail.EnvSMTPAddr)
		}
		return mail.SMTP{Addr: addr, From: from}, nil
	default:
		return nil, fmt.Errorf("%s=%q: want %q or %q", mail.EnvSender, kind, mail.SenderSES, mail.SenderSMTP)
	}
}

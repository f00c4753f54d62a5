// Package sesmail sends the platform's mail through Amazon SES v2, and
// picks the deployment's sender from the environment (FromEnv: SES in
// AWS, SMTP locally). Apart from package mail so that the many packages
// that only use mail's types do not import the SES client (its
// initialisation runs at every cold start of every binary importing it).
package sesmail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"

	"github.com/issuetracker/issuetracker/internal/mail"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// SESAPI is the part of the SES v2 client the sender uses.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SES sends through Amazon SES v2 (SendEmail with simple content). From's
// domain or address must be a verified identity of the account; the
// functions' role may send only from it (infra/stacks).
type SES struct {
	C    SESAPI
	From string
	// ConfigurationSet is optional (event publishing, suppression).
	ConfigurationSet string
}

// Send implements mail.Sender.
func (s SES) Send(ctx context.Context, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	body := &types.Body{}
	if m.Text != "" {
		body.Text = &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")}
	}
	if m.HTML != "" {
		body.Html = &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    body,
		}},
	}
	for _, h := range m.Headers {
		in.Content.Simple.Headers = append(in.Content.Simple.Headers, types.MessageHeader{Name: aws.String(h.Name), Value: aws.String(h.Value)})
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.C.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("send mail with SES: %w", err)
	}
	return nil
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
		return SES{C: sesv2.NewFromConfig(cfg), From: from, ConfigurationSet: os.Getenv(envvars.MailConfigurationSet)}, nil
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

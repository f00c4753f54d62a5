package mail_test

import (
	"context"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplatesCarryTheSecretsAndEscapeNames(t *testing.T) {
	v, err := mail.Verification{To: "ann@acme.test", Company: "Acme <b>Corp</b>", Code: "042137", ExpiresIn: 15 * time.Minute}.Message()
	require.NoError(t, err)
	assert.Equal(t, "Verify your email for IssueTracker", v.Subject)
	assert.Contains(t, v.Text, "042137")
	assert.Contains(t, v.Text, "15 minutes")
	assert.Contains(t, v.HTML, "042137")
	assert.Contains(t, v.HTML, "Acme &lt;b&gt;Corp&lt;/b&gt;", "the company name is escaped in HTML")

	in, err := mail.Invitation{To: "bob@acme.test", Company: "Acme\r\nBcc: evil@x.test", Role: "super_admin",
		TemporaryPassword: "Tmp-Passw0rd!xyz", SignInURL: mail.SignInURL("http://localhost:8080/", "acme")}.Message()
	require.NoError(t, err)
	assert.Equal(t, "You're invited to Acme Bcc: evil@x.test on IssueTracker", in.Subject, "no line break reaches the subject")
	assert.Contains(t, in.Text, "http://localhost:8080/w/acme/signin")
	assert.Contains(t, in.Text, "Tmp-Passw0rd!xyz")
	assert.Contains(t, in.Text, "super admin")
	assert.Contains(t, in.Text, "3 days")
	assert.Contains(t, in.HTML, `href="http://localhost:8080/w/acme/signin"`)
}

func TestSMTPDeliversTextAndHTMLToMailpit(t *testing.T) {
	to := "smtp-" + testenv.UniquePrefix(t) + "@issuetracker.test"
	box := testenv.NewMailbox(t, to)
	m, err := mail.Verification{To: to, Company: "Acme", Code: "123456", ExpiresIn: 15 * time.Minute}.Message()
	require.NoError(t, err)
	require.NoError(t, testenv.MailSender(t).Send(context.Background(), m))
	got := box.Next(mail.SubjectVerification)
	assert.Equal(t, mail.SubjectVerification, got.Subject)
	assert.Equal(t, []string{to}, got.To)
	assert.Equal(t, "no-reply@issuetracker.test", got.From)
	assert.Contains(t, got.Text, "123456")
	assert.Contains(t, got.HTML, "<strong>Acme</strong>")

	t.Run("a recipient or subject that would inject headers is refused", func(t *testing.T) {
		s := testenv.MailSender(t)
		assert.Error(t, s.Send(context.Background(), mail.Message{To: to + "\r\nBcc: x@y.test", Subject: "x", Text: "x"}))
		assert.Error(t, s.Send(context.Background(), mail.Message{To: "Ann <" + to + ">", Subject: "x", Text: "x"}))
		assert.Error(t, s.Send(context.Background(), mail.Message{To: to, Subject: "x\r\nBcc: x@y.test", Text: "x"}))
		box.None()
	})
}

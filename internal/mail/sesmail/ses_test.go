package sesmail_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/sesmail"
)

// The SES sender's request is the SES v2 SendEmail call: a signed POST of
// the simple content to /v2/email/outbound-emails.
func TestSESSendsSimpleContentWithSendEmail(t *testing.T) {
	var got struct {
		method, path, auth string
		body               map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.auth = r.Method, r.URL.Path, r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got.body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"MessageId":"0100-abc"}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String(srv.URL)}
	s := sesmail.SES{Config: cfg, From: "IssueTracker <no-reply@mail.example.com>", ConfigurationSet: "issuetracker"}
	m, err := mail.Invitation{To: "bob@acme.test", Company: "Acme", Role: "user", TemporaryPassword: "Tmp-Passw0rd!xyz",
		SignInURL: "https://app.example.com/w/acme/signin"}.Message()
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), m))

	assert.Equal(t, "POST", got.method)
	assert.Equal(t, "/v2/email/outbound-emails", got.path)
	assert.Contains(t, got.auth, "AWS4-HMAC-SHA256 Credential=AKID/")
	assert.Contains(t, got.auth, "/eu-west-1/ses/aws4_request", "signed for SES in the client's region")
	b := got.body
	assert.Equal(t, "IssueTracker <no-reply@mail.example.com>", b["FromEmailAddress"])
	assert.Equal(t, "issuetracker", b["ConfigurationSetName"])
	assert.Equal(t, []any{"bob@acme.test"}, b["Destination"].(map[string]any)["ToAddresses"])
	simple := b["Content"].(map[string]any)["Simple"].(map[string]any)
	assert.Equal(t, "You're invited to Acme on IssueTracker", simple["Subject"].(map[string]any)["Data"])
	body := simple["Body"].(map[string]any)
	assert.Contains(t, body["Text"].(map[string]any)["Data"], "Tmp-Passw0rd!xyz")
	assert.Contains(t, body["Html"].(map[string]any)["Data"], "https://app.example.com/w/acme/signin")
	assert.Equal(t, "UTF-8", body["Html"].(map[string]any)["Charset"])
}

func TestSenderComesFromTheEnvironment(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	for _, tc := range []struct {
		name, sender, addr, from string
		want                     string // type name, or "error"
	}{
		{"unset is not configured", "", "", "", "error"},
		{"ses", "ses", "", "no-reply@example.com", "sesmail.SES"},
		{"smtp with an address", "smtp", "127.0.0.1:1025", "", "mail.SMTP"},
		{"smtp without an address", "smtp", "", "", "error"},
		{"an unknown sender", "pigeon", "", "", "error"},
		{"a bad from address", "ses", "", "not an address", "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(mail.EnvSender, tc.sender)
			t.Setenv(mail.EnvSMTPAddr, tc.addr)
			t.Setenv(mail.EnvFrom, tc.from)
			s, err := sesmail.FromEnv(cfg)
			if tc.want == "error" {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, strings.TrimPrefix(typeName(s), "*"))
		})
	}
	t.Setenv(mail.EnvWebBaseURL, "")
	assert.Equal(t, "http://localhost:8080", mail.WebBaseURL())
	t.Setenv(mail.EnvWebBaseURL, "https://app.example.com/")
	assert.Equal(t, "https://app.example.com", mail.WebBaseURL())
}

func typeName(v any) string {
	switch v.(type) {
	case sesmail.SES:
		return "sesmail.SES"
	case mail.SMTP:
		return "mail.SMTP"
	}
	return "?"
}

// SES's refusal is an error naming its code and message.
func TestSESRefusalIsAClearError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"Email address is not verified."}`))
	}))
	defer srv.Close()
	s := sesmail.SES{Config: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String(srv.URL)},
		From: "no-reply@example.com"}
	err := s.Send(context.Background(), mail.Message{To: "bob@acme.test", Subject: "Hi", Text: "Hello"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MessageRejected: Email address is not verified. (HTTP 400)")
}

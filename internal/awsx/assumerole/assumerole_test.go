package assumerole_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/testing/sigv4test"
)

// fakeSTS answers AssumeRole after checking the SigV4 signature as STS
// would (sigv4test: the caller's credentials, service sts, the region;
// else 403 SignatureDoesNotMatch). answer, when set, writes the answer to the n-th
// call (from 1); else a session named after the role and session.
type fakeSTS struct {
	mu     sync.Mutex
	forms  []url.Values
	answer func(w http.ResponseWriter, n int, form url.Values) bool
}

var callerCreds = aws.Credentials{AccessKeyID: "AKIDFUNCTION", SecretAccessKey: "function-secret", SessionToken: "function-token"}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := sigv4test.Verified(r, callerCreds, "sts", "eu-west-1", "Content-Type")
	w.Header().Set("Content-Type", "text/xml")
	if !ok || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error><RequestId>sig</RequestId></ErrorResponse>`)
		return
	}
	form, _ := url.ParseQuery(string(b))
	f.mu.Lock()
	f.forms = append(f.forms, form)
	n := len(f.forms)
	f.mu.Unlock()
	if f.answer != nil && f.answer(w, n, form) {
		return
	}
	// AWS's documented example answer, with the session's values.
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/%s</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:%s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIA-%s</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY&amp;&lt;&#43;&#x2F;</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</SessionToken>
      <Expiration>2019-11-09T13:34:41.123Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`, form.Get("RoleSessionName"), form.Get("RoleSessionName"), form.Get("RoleSessionName"))
}

func client(t *testing.T, f *fakeSTS) assumerole.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := assumerole.New(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(callerCreds.AccessKeyID, callerCreds.SecretAccessKey, callerCreds.SessionToken)})
	c.Backoff = func(int) time.Duration { return time.Millisecond }
	return c
}

const role = "arn:aws:iam::123456789012:role/demo"

func TestAssumeRoleIsOneSignedFormPost(t *testing.T) {
	f := &fakeSTS{}
	got, err := client(t, f).AssumeRole(context.Background(), assumerole.Input{RoleARN: role, SessionName: "tenant-acme",
		Duration: time.Hour, Tags: []assumerole.Tag{{Key: "TenantId", Value: "acme & co=1"}, {Key: "Cell", Value: "2"}}})
	require.NoError(t, err)
	assert.Equal(t, aws.Credentials{
		AccessKeyID:     "ASIA-tenant-acme",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY&<+/",
		SessionToken:    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
		Source:          assumerole.ProviderName,
		CanExpire:       true,
		Expires:         time.Date(2019, 11, 9, 13, 34, 41, 123e6, time.UTC),
		AccountID:       "123456789012",
	}, got)
	require.Len(t, f.forms, 1)
	assert.Equal(t, url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {role}, "RoleSessionName": {"tenant-acme"},
		"DurationSeconds":     {"3600"},
		"Tags.member.1.Key":   {"TenantId"},
		"Tags.member.1.Value": {"acme & co=1"},
		"Tags.member.2.Key":   {"Cell"},
		"Tags.member.2.Value": {"2"},
	}, f.forms[0])

	_, err = client(t, f).AssumeRole(context.Background(), assumerole.Input{RoleARN: role, SessionName: "s"})
	require.NoError(t, err)
	assert.Equal(t, "900", f.forms[1].Get("DurationSeconds"), "15 minutes by default, as stscreds")
	assert.Empty(t, f.forms[1].Get("Tags.member.1.Key"))
}

func TestAWrongSignatureIsRefused(t *testing.T) {
	f := &fakeSTS{}
	c := client(t, f)
	c.Config.Credentials = credentials.NewStaticCredentialsProvider(callerCreds.AccessKeyID, "another-secret", callerCreds.SessionToken)
	_, err := c.AssumeRole(context.Background(), assumerole.Input{RoleARN: role, SessionName: "s"})
	var e *assumerole.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "SignatureDoesNotMatch", e.ErrorCode())
	assert.Equal(t, http.StatusForbidden, e.Status)
	assert.Equal(t, "sig", e.RequestID)
	assert.Empty(t, f.forms, "the fake checks signatures")

	c.Config.Region = "us-east-1"
	c.Config.Credentials = credentials.NewStaticCredentialsProvider(callerCreds.AccessKeyID, callerCreds.SecretAccessKey, callerCreds.SessionToken)
	_, err = c.AssumeRole(context.Background(), assumerole.Input{RoleARN: role, SessionName: "s"})
	require.ErrorAs(t, err, &e, "signed for another region")
}

func TestRefusalsAreErrorsAndThrottlingIsRetried(t *testing.T) {
	ctx := context.Background()
	in := assumerole.Input{RoleARN: role, SessionName: "s"}
	t.Run("AccessDenied: one call, the code and message", func(t *testing.T) {
		f := &fakeSTS{answer: func(w http.ResponseWriter, n int, _ url.Values) bool {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::1:assumed-role/f/x is not authorized to perform: sts:TagSession &amp; sts:AssumeRole</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
			return true
		}}
		_, err := client(t, f).AssumeRole(ctx, in)
		require.Error(t, err)
		assert.Equal(t, "sts AssumeRole: AccessDenied: User: arn:aws:sts::1:assumed-role/f/x is not authorized to perform: sts:TagSession & sts:AssumeRole (HTTP 403, request r-1)", err.Error())
		assert.Len(t, f.forms, 1, "a refusal is not retried")
	})
	t.Run("Throttling then a session: retried", func(t *testing.T) {
		f := &fakeSTS{answer: func(w http.ResponseWriter, n int, _ url.Values) bool {
			if n > 1 {
				return false
			}
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
			return true
		}}
		got, err := client(t, f).AssumeRole(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, "ASIA-s", got.AccessKeyID)
		assert.Len(t, f.forms, 2)
	})
	t.Run("5xx three times: the last error", func(t *testing.T) {
		f := &fakeSTS{answer: func(w http.ResponseWriter, n int, _ url.Values) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}}
		_, err := client(t, f).AssumeRole(ctx, in)
		var e *assumerole.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, http.StatusServiceUnavailable, e.Status)
		assert.Len(t, f.forms, 3)
	})
	t.Run("an answer without complete credentials is an error", func(t *testing.T) {
		for _, body := range []string{
			`<AssumeRoleResponse><AssumeRoleResult></AssumeRoleResult></AssumeRoleResponse>`,
			`<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
			`<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SessionToken>T</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
		} {
			f := &fakeSTS{answer: func(w http.ResponseWriter, _ int, _ url.Values) bool { fmt.Fprint(w, body); return true }}
			_, err := client(t, f).AssumeRole(ctx, in)
			assert.Error(t, err, body)
		}
	})
	t.Run("no credentials: an error before any call", func(t *testing.T) {
		f := &fakeSTS{}
		c := client(t, f)
		c.Config.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no env")
		})
		_, err := c.AssumeRole(ctx, in)
		assert.ErrorContains(t, err, "no env")
		assert.Empty(t, f.forms)
	})
}

// A role chain's second hop is signed with the first hop's session; the
// cache assumes once until the session nears its end.
func TestCacheAndChain(t *testing.T) {
	f := &fakeSTS{}
	c := client(t, f)
	first := assumerole.NewCache(c, assumerole.Input{RoleARN: role, SessionName: "one", Duration: time.Hour})
	// The fake's sessions are dated 2019: expired, so refreshed each time.
	_, err := first.Retrieve(context.Background())
	require.NoError(t, err)
	_, err = first.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Len(t, f.forms, 2, "an expired session is assumed again")

	live := &fakeSTS{answer: func(w http.ResponseWriter, _ int, form url.Values) bool {
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA-%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
			form.Get("RoleSessionName"), callerCreds.SecretAccessKey, callerCreds.SessionToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		return true
	}}
	lc := client(t, live)
	cache := assumerole.NewCache(lc, assumerole.Input{RoleARN: role, SessionName: "one"})
	for range 3 {
		got, err := cache.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "ASIA-one", got.AccessKeyID)
	}
	assert.Len(t, live.forms, 1, "a live session is cached")

	// The second hop is signed with ASIA-one's key: the fake checks the
	// signature against callerCreds, so it refuses it.
	_, err = assumerole.NewCache(lc.With(cache), assumerole.Input{RoleARN: role, SessionName: "two"}).Retrieve(context.Background())
	var e *assumerole.Error
	require.ErrorAs(t, err, &e, "signed with the first hop's session, not the caller's")
	assert.Equal(t, "SignatureDoesNotMatch", e.Code)
	assert.Equal(t, "eu-west-1", lc.With(cache).Config.Region)
	_, err = lc.AssumeRole(context.Background(), assumerole.Input{RoleARN: role, SessionName: "three"})
	require.NoError(t, err, "With copies: the caller's client keeps its credentials")
}

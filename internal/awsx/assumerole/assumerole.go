// Package assumerole assumes an IAM role: STS AssumeRole as one SigV4-signed
// form POST (the query protocol, the SDK's signer, awsjson.Do), whose XML
// answer's few fields are read without encoding/xml, and a credentials
// provider and cache over it (what aws-sdk-go-v2's stscreds gave).
//
// Every function assumes roles: the tenant access role per tenant and the
// data role of a tenant in an account of its own (tenantcreds), the platform
// role from a tenant's stack (core.PlatformConfig), the provisioning roles of
// tenants' accounts (awsstacks), a tenant's former pool's role
// (usermigration). The SDK's STS client (its client, schemas, types,
// endpoint rules, the query protocol and encoding/xml, which it alone
// brought) was ~200 KB of symbols in all 18 functions and a package
// initialisation at every cold start, for this one call (issue 19,
// docs/performance.md). Tested against a fake STS that checks the signature
// and against the hop tests (internal/testing/hoptest).
package assumerole

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/xmltext"
)

// DefaultDuration is a session's length when Input.Duration is zero: the
// least AWS allows, as stscreds' default.
const DefaultDuration = 15 * time.Minute

// ProviderName is the Source of the credentials it returns.
const ProviderName = "AssumeRoleProvider"

// attempts is how many times a call is made when STS throttles, answers
// 5xx or the connection fails (the SDK's standard retryer makes three).
const attempts = 3

// Client calls STS with Config's credentials, region and HTTP client (the
// regional endpoint https://sts.<region>.amazonaws.com/; Config.BaseEndpoint
// when set: tests).
type Client struct {
	Config aws.Config
	// Now is the signing time (time.Now if nil).
	Now func() time.Time
	// Backoff is the wait before a retry (attempt 1, 2): 100 ms x attempt
	// if nil.
	Backoff func(attempt int) time.Duration
}

// New is a Client of cfg.
func New(cfg aws.Config) Client { return Client{Config: cfg} }

// With is c signing with creds (a role chain's next hop).
func (c Client) With(creds aws.CredentialsProvider) Client {
	c.Config = c.Config.Copy()
	c.Config.Credentials = creds
	return c
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// Input is what AssumeRole asks for.
type Input struct {
	RoleARN     string
	SessionName string
	// Duration is the session's length (DefaultDuration if zero).
	Duration time.Duration
	Tags     []Tag
}

// Error is an error answer of STS.
type Error struct {
	Status        int
	Code, Message string
	RequestID     string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sts AssumeRole: %s: %s (HTTP %d, request %s)", e.Code, e.Message, e.Status, e.RequestID)
}

// ErrorCode is the STS error code (smithy.APIError's).
func (e *Error) ErrorCode() string { return e.Code }

// AssumeRole returns the credentials of a session of in.RoleARN.
func (c Client) AssumeRole(ctx context.Context, in Input) (aws.Credentials, error) {
	if in.Duration == 0 {
		in.Duration = DefaultDuration
	}
	form := url.Values{
		"Action":          {"AssumeRole"},
		"Version":         {"2011-06-15"},
		"RoleArn":         {in.RoleARN},
		"RoleSessionName": {in.SessionName},
		"DurationSeconds": {strconv.Itoa(int(in.Duration / time.Second))},
	}
	for i, t := range in.Tags {
		n := strconv.Itoa(i + 1)
		form.Set("Tags.member."+n+".Key", t.Key)
		form.Set("Tags.member."+n+".Value", t.Value)
	}
	body := form.Encode()
	var last error
	for attempt := 1; ; attempt++ {
		data, status, err := c.post(ctx, body)
		if err == nil && status == http.StatusOK {
			return parse(data)
		}
		if err == nil {
			err = apiError(status, data)
		}
		last = err
		if attempt == attempts || !retryable(ctx, err) {
			return aws.Credentials{Source: ProviderName}, last
		}
		wait := time.Duration(attempt) * 100 * time.Millisecond
		if c.Backoff != nil {
			wait = c.Backoff(attempt)
		}
		select {
		case <-ctx.Done():
			return aws.Credentials{Source: ProviderName}, last
		case <-time.After(wait):
		}
	}
}

func (c Client) post(ctx context.Context, body string) ([]byte, int, error) {
	data, status, err := awsjson.PostForm(ctx, c.Config, "sts", "application/x-www-form-urlencoded; charset=utf-8", body, c.Now)
	if err != nil {
		return nil, 0, fmt.Errorf("sts AssumeRole: %w", err)
	}
	return data, status, nil
}

// retryable: a throttled or failed (5xx) answer, or a failed connection;
// not a refusal (4xx), missing credentials, or the caller's cancellation.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status >= 500 || e.Code == "Throttling" || e.Code == "ThrottlingException" || e.Code == "RequestLimitExceeded"
	}
	var conn *url.Error // what http.Client.Do returns
	return errors.As(err, &conn)
}

// parse reads the credentials of an AssumeRoleResponse.
func parse(doc []byte) (aws.Credentials, error) {
	s := string(doc)
	creds, ok := element(s, "Credentials")
	if !ok {
		return aws.Credentials{Source: ProviderName}, errors.New("sts AssumeRole: no Credentials in the answer")
	}
	out := aws.Credentials{Source: ProviderName, CanExpire: true}
	out.AccessKeyID, _ = element(creds, "AccessKeyId")
	out.SecretAccessKey, _ = element(creds, "SecretAccessKey")
	out.SessionToken, _ = element(creds, "SessionToken")
	exp, _ := element(creds, "Expiration")
	t, err := time.Parse(time.RFC3339, exp)
	if out.AccessKeyID == "" || out.SecretAccessKey == "" || out.SessionToken == "" || err != nil {
		return aws.Credentials{Source: ProviderName}, fmt.Errorf("sts AssumeRole: incomplete credentials in the answer (expiration %q)", exp)
	}
	out.Expires = t
	if user, ok := element(s, "AssumedRoleUser"); ok {
		// arn:aws:sts::<account>:assumed-role/<role>/<session>
		if arn, ok := element(user, "Arn"); ok {
			if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
				out.AccountID = parts[4]
			}
		}
	}
	return out, nil
}

// apiError reads an ErrorResponse (or any answer that is not one).
func apiError(status int, data []byte) error {
	s := string(data)
	e := &Error{Status: status}
	e.Code, _ = element(s, "Code")
	e.Message, _ = element(s, "Message")
	e.RequestID, _ = element(s, "RequestId")
	if e.Code == "" {
		e.Code = http.StatusText(status)
	}
	return e
}

// element is the text of the first element named name in doc, unescaped.
func element(doc, name string) (string, bool) { return xmltext.Element(doc, name) }

// Provider is an aws.CredentialsProvider of sessions of In assumed with
// Client (stscreds.AssumeRoleProvider's part).
type Provider struct {
	Client Client
	In     Input
}

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return p.Client.AssumeRole(ctx, p.In)
}

// NewCache is &Provider{c, in} behind an aws.CredentialsCache (sessions
// reused until they near their end; optFns set e.g. the expiry window).
func NewCache(c Client, in Input, optFns ...func(*aws.CredentialsCacheOptions)) *aws.CredentialsCache {
	return aws.NewCredentialsCache(&Provider{Client: c, In: in}, optFns...)
}

// Package awsjson calls one action of an AWS service that speaks the
// awsJson1.1 protocol (SSM, Secrets Manager): a POST of a JSON body with
// the action in X-Amz-Target, signed with the SDK's SigV4 signer and the
// function's credentials.
//
// Call10 is the same for awsJson1.0 (SQS's SendMessage, sqsqueue).
//
// The functions call such services for one or two actions each (the usage
// plan ids in SSM, the list cursor key and Stripe's secrets in Secrets
// Manager). The SDK's service clients for them cost every function that
// links one 0.3-1.5 MB of binary and a package initialisation (their
// schemas and endpoint tables) at every cold start (issue 19,
// docs/performance.md); this is the same request by hand, in ~100 lines
// that the tests check against a re-signing fake. Do, the signing and
// sending, is shared with the other hand-signed calls (SES's restJson1
// SendEmail in sesmail, S3's DeleteObject in s3delete).
package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxResponse bounds the body read from the service.
const maxResponse = 1 << 20

// Call posts in as target ("AmazonSSM.GetParameters") to service's
// regional endpoint (https://<service>.<region>.amazonaws.com/, .com.cn in
// China; cfg.BaseEndpoint when set: tests), signed for service in
// cfg.Region with cfg.Credentials at now() (time.Now if nil), and decodes
// a 200 answer into out. Any other answer is an error "<code>: <message>
// (HTTP <status>)" with the service's error type.
func Call(ctx context.Context, cfg aws.Config, service, target string, in, out any, now func() time.Time) error {
	return call(ctx, cfg, "application/x-amz-json-1.1", service, target, in, out, now, true)
}

// Call10 is Call in the awsJson1.0 protocol (SQS): the same request with
// Content-Type application/x-amz-json-1.0.
func Call10(ctx context.Context, cfg aws.Config, service, target string, in, out any, now func() time.Time) error {
	return call(ctx, cfg, "application/x-amz-json-1.0", service, target, in, out, now, true)
}

// CallAnonymous is Call without a signature, for the actions a service
// authorises by a token in the body rather than by IAM (Cognito's
// AssociateSoftwareToken, VerifySoftwareToken and SetUserMFAPreference
// take the user's access token; the SDK sends them unsigned too).
func CallAnonymous(ctx context.Context, cfg aws.Config, service, target string, in, out any) error {
	return call(ctx, cfg, "application/x-amz-json-1.1", service, target, in, out, nil, false)
}

func call(ctx context.Context, cfg aws.Config, contentType, service, target string, in, out any, now func() time.Time, signed bool) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, Endpoint(cfg, service), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", target)
	var resp *http.Response
	if signed {
		sum := sha256.Sum256(body)
		resp, err = Do(ctx, cfg, req, hex.EncodeToString(sum[:]), service, now)
	} else {
		resp, err = httpClient(cfg).Do(req)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return apiError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// Do signs req with the SDK's SigV4 signer (payloadHash: the hex SHA-256
// of its body; opts: the signer's, e.g. S3's DisableURIPathEscaping) for
// service in cfg.Region with cfg.Credentials at now() (time.Now if nil)
// and sends it with cfg.HTTPClient (http.DefaultClient if nil): the part
// every hand-signed call shares (Call, sesmail, s3delete).
func Do(ctx context.Context, cfg aws.Config, req *http.Request, payloadHash, service string, now func() time.Time, opts ...func(*v4.SignerOptions)) (*http.Response, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("no credentials")
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	if err := v4.NewSigner(opts...).SignHTTP(ctx, creds, req, payloadHash, service, cfg.Region, now()); err != nil {
		return nil, err
	}
	return httpClient(cfg).Do(req)
}

// PostForm posts an awsQuery form (STS's AssumeRole, CloudFormation's
// DescribeStacks) to service's endpoint (Endpoint), signed as Do signs,
// and returns the answer's body (at most 1 MB) and status, whatever it is:
// the caller reads the XML.
func PostForm(ctx context.Context, cfg aws.Config, service, contentType, body string, now func() time.Time) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, Endpoint(cfg, service), strings.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", contentType)
	sum := sha256.Sum256([]byte(body))
	resp, err := Do(ctx, cfg, req, hex.EncodeToString(sum[:]), service, now)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, 0, err
	}
	return data, resp.StatusCode, nil
}

// httpClient is cfg.HTTPClient, http.DefaultClient if nil.
func httpClient(cfg aws.Config) aws.HTTPClient {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient
	}
	return http.DefaultClient
}

// Error is a service's error answer to Call: "<code>: <message> (HTTP
// <status>)"; errors.As finds it, so a caller can tell one error type
// ("UserNotFoundException") from the others, as with the SDK's types.
type Error struct {
	Status        int
	Code, Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status) }

// ErrorCode makes an *Error answer the code as the SDK's errors
// (smithy.APIError) do.
func (e *Error) ErrorCode() string { return e.Code }

// IsCode reports whether err is a service's error answer with one of codes:
// an *Error of Call, s3signed's, or the SDK's (each has ErrorCode, as
// smithy.APIError does).
func IsCode(err error, codes ...string) bool {
	var e interface{ ErrorCode() string }
	if !errors.As(err, &e) {
		return false
	}
	code := e.ErrorCode()
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

// apiError is an awsJson1.1 error answer (ErrorOf) as an *Error.
func apiError(resp *http.Response, data []byte) error {
	code, msg := ErrorOf(resp, data)
	return &Error{Status: resp.StatusCode, Code: code, Message: msg}
}

// ErrorOf reads an awsJson1.1 error answer: the type in the body's __type
// (or the X-Amzn-ErrorType header) without its namespace, else the HTTP
// status; the message in message or Message (services differ).
func ErrorOf(resp *http.Response, data []byte) (code, message string) {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Msg     string `json:"Message"`
	}
	_ = json.Unmarshal(data, &e)
	typ := e.Type
	if typ == "" {
		typ, _, _ = strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	}
	code = typ[strings.LastIndex(typ, "#")+1:]
	if code == "" {
		code = resp.Status
	}
	message = e.Message
	if message == "" {
		message = e.Msg
	}
	return code, message
}

// Endpoint is the URL Call posts to for service.
func Endpoint(cfg aws.Config, service string) string {
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://" + service + "." + cfg.Region + "." + domain + "/"
}

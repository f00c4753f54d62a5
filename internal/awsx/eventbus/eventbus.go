// Package eventbus puts events on an EventBridge bus: PutEvents as one
// SigV4-signed awsJson1.1 POST (the SDK's signer, awsjson.Do) to
// https://events.<region>.amazonaws.com/ (Config.BaseEndpoint when set:
// the local cloud's bus, envvars.EventsEndpoint), not the SDK's
// EventBridge client, which the lifecycle functions (registration,
// tenants, billing, onboarding) linked for this one call: its client,
// types and schemas were ~205 KB of symbols and a schemas initialisation
// at every cold start (issue 19, docs/performance.md).
//
// A call is retried as the SDK's standard retryer retries it: up to three
// attempts when the service throttles, answers 5xx or the connection
// fails.
package eventbus

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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

// maxResponse bounds the answer read.
const maxResponse = 1 << 20

// Entry is one event of PutEvents
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
type Entry struct {
	EventBusName string
	Source       string
	DetailType   string
	Detail       string
	Resources    []string `json:",omitempty"`
}

// Putter puts one event on a bus and answers its id (Client; fakes in
// tests).
type Putter interface {
	Put(ctx context.Context, e Entry) (eventID string, err error)
}

// Client is EventBridge's PutEvents, hand-signed.
type Client struct {
	Config aws.Config
	// Now is the signing time (time.Now if nil).
	Now func() time.Time
	// Backoff is the wait before retry attempt (1, 2): 100 ms x attempt
	// if nil.
	Backoff func(attempt int) time.Duration
}

var _ Putter = Client{}

// Error is an answer of EventBridge other than 200, or an entry it
// failed (Status 200, the entry's ErrorCode and ErrorMessage).
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Status != http.StatusOK {
		return fmt.Sprintf("events PutEvents: %s: %s (HTTP %d)", e.Code, e.Message, e.Status)
	}
	return fmt.Sprintf("events PutEvents: %s: %s", e.Code, e.Message)
}

// Put implements Putter: one PutEvents call of e alone. A failed entry
// (FailedEntryCount 1) is an *Error with the entry's code and message.
func (c Client) Put(ctx context.Context, e Entry) (string, error) {
	body, err := json.Marshal(struct{ Entries []Entry }{[]Entry{e}})
	if err != nil {
		return "", err
	}
	var id string
	err = awsjson.Retry(ctx, c.Backoff, retryable, func() (err error) {
		id, err = c.put(ctx, body)
		return err
	})
	return id, err
}

func (c Client) put(ctx context.Context, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, awsjson.Endpoint(c.Config, "events"), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
	sum := sha256.Sum256(body)
	resp, err := awsjson.Do(ctx, c.Config, req, hex.EncodeToString(sum[:]), "events", c.Now)
	if err != nil {
		return "", fmt.Errorf("events PutEvents: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("events PutEvents: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", apiError(resp, data)
	}
	var out struct {
		FailedEntryCount int
		Entries          []struct{ EventId, ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("events PutEvents: decode: %w", err)
	}
	if len(out.Entries) != 1 {
		return "", fmt.Errorf("events PutEvents: %d entries in the answer of one", len(out.Entries))
	}
	if r := out.Entries[0]; out.FailedEntryCount > 0 || r.ErrorCode != "" {
		return "", &Error{Status: http.StatusOK, Code: r.ErrorCode, Message: r.ErrorMessage}
	}
	return out.Entries[0].EventId, nil
}

// apiError is an awsJson1.1 error answer (awsjson.ErrorOf).
func apiError(resp *http.Response, data []byte) error {
	code, msg := awsjson.ErrorOf(resp, data)
	return &Error{Status: resp.StatusCode, Code: code, Message: msg}
}

// retryable: a throttled or failed (5xx) answer; not a refusal (4xx) or
// a failed entry.
func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status >= 500 || (e.Status != http.StatusOK && (e.Code == "ThrottlingException" || e.Code == "Throttling")))
}

package awsjson

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Attempts is how many times Retry makes a call (the SDK's standard
// retryer makes three).
const Attempts = 3

// Retry calls f until it succeeds, Attempts calls were made, the context
// ends or retryable(err) is false, waiting backoff(attempt) between (100
// ms x attempt when backoff is nil), as the SDK's standard retryer does
// for a hand-signed call: retryable says which answers are the service's
// throttling or 5xx; a failed connection (ConnectionFailed) is always
// retried. It returns f's last error.
func Retry(ctx context.Context, backoff func(attempt int) time.Duration, retryable func(error) bool, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || attempt == Attempts || ctx.Err() != nil || !(ConnectionFailed(err) || retryable(err)) {
			return err
		}
		wait := time.Duration(attempt) * 100 * time.Millisecond
		if backoff != nil {
			wait = backoff(attempt)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// RetryAsSDK is Retry whose error is the SDK clients': when all Attempts
// calls failed with what it retries, the last error in the SDK's
// *retry.MaxAttemptsError (awsx.RetriesExhausted reads it); when the
// context ended while waiting to retry, ctx.Err(); else f's last error.
func RetryAsSDK(ctx context.Context, backoff func(attempt int) time.Duration, retryable func(error) bool, f func() error) error {
	calls := 0
	err := Retry(ctx, backoff, retryable, func() error { calls++; return f() })
	switch {
	case err == nil || !(ConnectionFailed(err) || retryable(err)):
		return err
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return err // the call itself ended with the context
	case calls == Attempts:
		return &retry.MaxAttemptsError{Attempt: calls, Err: err}
	case ctx.Err() != nil:
		return ctx.Err() // ended while waiting to retry
	}
	return err
}

// ConnectionFailed reports whether err is a failed connection (what
// http.Client.Do returns), not an answer.
func ConnectionFailed(err error) bool {
	var conn *url.Error
	return errors.As(err, &conn)
}

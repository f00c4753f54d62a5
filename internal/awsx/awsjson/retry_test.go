package awsjson_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

func TestRetryRetriesConnectionsAndWhatTheServiceSaysAtMostThreeTimes(t *testing.T) {
	ctx := context.Background()
	none := func(int) time.Duration { return 0 }
	never := func(error) bool { return false }
	conn := &url.Error{Op: "Post", URL: "https://events.eu-west-1.amazonaws.com/", Err: errors.New("connection refused")}
	calls := 0
	err := awsjson.Retry(ctx, none, never, func() error { calls++; return conn })
	assert.ErrorIs(t, err, conn)
	assert.Equal(t, awsjson.Attempts, calls, "a failed connection is retried")

	calls = 0
	refused := errors.New("AccessDenied")
	assert.ErrorIs(t, awsjson.Retry(ctx, none, never, func() error { calls++; return refused }), refused)
	assert.Equal(t, 1, calls, "a refusal is not")

	calls = 0
	throttled := errors.New("Throttling")
	assert.NoError(t, awsjson.Retry(ctx, none, func(err error) bool { return err == throttled }, func() error {
		if calls++; calls < 3 {
			return throttled
		}
		return nil
	}))
	assert.Equal(t, 3, calls)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	_ = awsjson.Retry(cancelled, none, never, func() error { calls++; return conn })
	assert.Equal(t, 1, calls, "not after the caller gave up")
}

// RetryAsSDK gives up as the SDK's clients do: exhausted retries are a
// *retry.MaxAttemptsError (awsx.RetriesExhausted), a refusal is itself, a
// context that ends while waiting is its error.
func TestRetryAsSDKWrapsExhaustedRetries(t *testing.T) {
	ctx := context.Background()
	none := func(int) time.Duration { return 0 }
	slow := errors.New("SlowDown")
	isSlow := func(err error) bool { return errors.Is(err, slow) }
	calls := 0
	err := awsjson.RetryAsSDK(ctx, none, isSlow, func() error { calls++; return slow })
	var max *retry.MaxAttemptsError
	if assert.ErrorAs(t, err, &max) {
		assert.Equal(t, awsjson.Attempts, max.Attempt)
	}
	assert.ErrorIs(t, err, slow)
	assert.Equal(t, awsjson.Attempts, calls)

	calls = 0
	assert.NoError(t, awsjson.RetryAsSDK(ctx, none, isSlow, func() error {
		if calls++; calls == 1 {
			return slow
		}
		return nil
	}))
	assert.Equal(t, 2, calls, "a retried SlowDown, then the answer")

	refused := errors.New("AccessDenied")
	err = awsjson.RetryAsSDK(ctx, none, isSlow, func() error { return refused })
	assert.Equal(t, refused, err, "not retried, not wrapped")

	cancelled, cancel := context.WithCancel(ctx)
	err = awsjson.RetryAsSDK(cancelled, func(int) time.Duration { cancel(); return time.Minute }, isSlow, func() error { return slow })
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.As(err, &max))
}

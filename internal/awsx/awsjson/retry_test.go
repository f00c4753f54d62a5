package awsjson_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

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

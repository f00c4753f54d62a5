package stripebilling

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Secret returns a value (the API key, the webhook secret) fetched on first
// use within timeout and kept for the life of the process (one Lambda cold
// start); a failed fetch is not kept, the next call tries again.
func Secret(fetch func(ctx context.Context) (string, error), timeout time.Duration) func(ctx context.Context) (string, error) {
	var mu sync.Mutex
	var val string
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if val != "" {
			return val, nil
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		v, err := fetch(ctx)
		if err != nil {
			return "", err
		}
		if v == "" {
			return "", fmt.Errorf("the secret is empty")
		}
		val = v
		return val, nil
	}
}

// Static is a known secret (local platform, tests).
func Static(v string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if v == "" {
			return "", fmt.Errorf("not configured")
		}
		return v, nil
	}
}

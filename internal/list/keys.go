package list

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// MinKeyLen is the shortest cursor key accepted (256 bits).
const MinKeyLen = 32

// Keyring holds the deployment's cursor key: given (a variable of the local
// platform and the tests), or fetched on first use (a Secrets Manager
// secret in AWS), with a timeout, and then kept for the life of the process
// (one cold start). A failed fetch is not kept: the next list retries.
//
// A nil *Keyring uses a random key made once per process: cursors stay
// tamper-evident but do not survive a restart (unit wiring only; deployed
// functions and the local platform always configure one).
type Keyring struct {
	fetch   func(ctx context.Context) (string, error)
	timeout time.Duration

	mu  sync.Mutex
	key []byte
}

// StaticKey is a keyring of a known key.
func StaticKey(key string) (*Keyring, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("cursor key: %d bytes, want at least %d", len(key), MinKeyLen)
	}
	return &Keyring{key: []byte(key)}, nil
}

// LazyKey is a keyring that fetches its key on first use within timeout.
func LazyKey(fetch func(ctx context.Context) (string, error), timeout time.Duration) *Keyring {
	return &Keyring{fetch: fetch, timeout: timeout}
}

// Key returns the key, fetching it the first time.
func (k *Keyring) Key(ctx context.Context) ([]byte, error) {
	if k == nil {
		return processKey(), nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	if k.fetch == nil {
		return nil, errs.Internal(fmt.Errorf("cursor key: no key and no source"))
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	s, err := k.fetch(ctx)
	if err != nil {
		return nil, errs.Internal(fmt.Errorf("fetch cursor key: %w", err))
	}
	if len(s) < MinKeyLen {
		return nil, errs.Internal(fmt.Errorf("cursor key: %d bytes, want at least %d", len(s), MinKeyLen))
	}
	k.key = []byte(s)
	return k.key, nil
}

var processKey = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
})

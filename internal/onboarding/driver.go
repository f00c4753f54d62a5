package onboarding

import (
	"context"
	"log/slog"
	"sync"
)

// Inline runs the machine inside Start: tests, and callers that wait.
// A failed run is recorded in the state; Start reports only that it ran.
type Inline struct{ M *Machine }

// Start implements Driver.
func (d Inline) Start(ctx context.Context, tenantID string) error {
	if _, err := d.M.Run(ctx, tenantID); err != nil {
		slog.InfoContext(ctx, "lifecycle run stopped", "tenant", tenantID, "err", err)
	}
	return nil
}

// Async runs the machine in a goroutine of this process, detached from the
// request: the local platform's stand-in for the EventBridge event that
// starts the onboarding function in AWS.
type Async struct {
	M  *Machine
	wg sync.WaitGroup
}

// Start implements Driver.
func (d *Async) Start(_ context.Context, tenantID string) error {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if _, err := d.M.Run(context.Background(), tenantID); err != nil {
			slog.Info("lifecycle run stopped", "tenant", tenantID, "err", err)
		}
	}()
	return nil
}

// Wait blocks until every started run has returned.
func (d *Async) Wait() { d.wg.Wait() }

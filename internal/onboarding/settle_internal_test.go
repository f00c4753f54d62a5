package onboarding

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/stretchr/testify/assert"
)

// The freeze's settle and the key log's slack are at least keylog.Bound
// whatever Settle says, unless the options say no write can be in flight
// across the freeze (tests that write only between runs): then a shorter
// Settle is kept, and the slack shrinks with it.
func TestTheSettleIsAtLeastTheBoundUnlessNoWriteIsInFlight(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      MigrationOptions
		settle time.Duration
	}{
		{"production's zero value", MigrationOptions{}, keylog.Bound},
		{"a test's short settle", MigrationOptions{Settle: 10 * time.Millisecond}, keylog.Bound},
		{"a longer settle (make web-e2e's)", MigrationOptions{Settle: 12 * time.Second}, 12 * time.Second},
		{"a short settle with no write in flight", MigrationOptions{Settle: 10 * time.Millisecond, NoWriteInFlight: true}, 10 * time.Millisecond},
		{"a longer settle with no write in flight", MigrationOptions{Settle: 12 * time.Second, NoWriteInFlight: true}, 12 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Machine{Migration: tc.o}
			assert.Equal(t, tc.settle, m.settle())
			assert.Equal(t, tc.settle+HomeCacheTTL+time.Second, m.keyLog(tenant.Tenant{KeyLogSince: time.Now()}).Slack)
		})
	}
	assert.Equal(t, keylog.Bound+HomeCacheTTL+time.Second, KeyLogSlack(0), "the exported slack is production's")
}

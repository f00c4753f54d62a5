// Package usage meters what each tenant consumes: API calls per day, active
// users (daily, weekly, monthly), storage (item and attachment bytes) and
// seats, and tells Super Admins how that compares with their tier's limits
// (warnings at 80% and 100%, by mail once per threshold and month).
//
// Nothing here costs the request a database round trip. A Meter aggregates
// in the function's process and a background flush applies the sums with
// atomic ADD updates (once a minute, and on shutdown: Lambda's SIGTERM).
// An active user is marked at most once per user and day by each process
// (a conditional update that only the first process of the day wins), so a
// user costs one write a day, not one per request. Periods are UTC calendar
// days, ISO weeks and months, like the API Gateway quota.
package usage

import (
	"context"
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// MonthKey is a UTC calendar month, "2026-05".
func MonthKey(t time.Time) string { return t.UTC().Format("2006-01") }

// DayKey is a UTC day, "2026-05-03".
func DayKey(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// WeekKey is an ISO week, "2026-W18".
func WeekKey(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// ParseMonth validates a "YYYY-MM" month from input.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a month like 2026-05")
	}
	return t, nil
}

// Delta is what one flush adds to one tenant's month.
type Delta struct {
	// ID names the delta (the meter's, random): Store.Add applies a delta
	// once per ID, so the meter's retry of a delta whose write landed but
	// whose answer was lost adds nothing twice.
	ID       string
	TenantID string
	Tier     tiers.Name
	Month    string
	// Calls and Active are API calls and newly active users by day of month (1-31).
	Calls  map[int]int64
	Active map[int]int64
	// NewWeekly counts users active for the first time in an ISO week;
	// NewMonthly for the first time in Month.
	NewWeekly  map[string]int64
	NewMonthly int64
	// ItemBytes and AttachmentBytes change the storage counters (negative on delete).
	ItemBytes, AttachmentBytes int64
}

// Empty reports whether the delta changes nothing.
func (d Delta) Empty() bool {
	return len(d.Calls) == 0 && len(d.Active) == 0 && len(d.NewWeekly) == 0 && d.NewMonthly == 0 && d.ItemBytes == 0 && d.AttachmentBytes == 0
}

// Totals are a tenant's counters after a flush: the thresholds are judged
// on them. HasCalls and HasStorage say which counters the flush changed.
type Totals struct {
	TenantID   string
	Tier       tiers.Name
	Month      string
	Calls      int64
	Storage    Storage
	HasCalls   bool
	HasStorage bool
}

// Snapshot is a tenant's current counters.
type Snapshot struct {
	Month   Month
	Weekly  int64
	Storage Storage
}

// Month is a tenant's usage of one month as stored.
type Month struct {
	TenantID string     `json:"tenant_id"`
	Tier     tiers.Name `json:"tier"`
	Month    string     `json:"month"`
	Calls    int64      `json:"calls"`
	// DailyCalls and DailyActive are by day of month (index 0 is day 1).
	DailyCalls  []int64 `json:"daily_calls"`
	DailyActive []int64 `json:"daily_active_users"`
	// MonthlyActive is the number of distinct users active in the month.
	MonthlyActive int64 `json:"monthly_active_users"`
	// Seats is the seat count the monthly close recorded (0 before it runs).
	Seats int64 `json:"seats"`
}

// Current is a tenant's calls this month and its storage now.
type Current struct {
	Calls   int64
	Storage Storage
}

// Storage is a tenant's stored bytes.
type Storage struct {
	ItemBytes       int64 `json:"item_bytes"`
	AttachmentBytes int64 `json:"attachment_bytes"`
}

// Total is all stored bytes.
func (s Storage) Total() int64 { return s.ItemBytes + s.AttachmentBytes }

// Store keeps the counters (usagedb on the control table).
type Store interface {
	// Add applies d with atomic ADDs and returns the tenant's totals after it.
	// A delta is applied once per ID: Add again with an ID whose write (or
	// part of it: an item) landed before adds nothing there again.
	Add(ctx context.Context, d Delta) (Totals, error)
	// MarkActive records that user was active on day (UTC midnight) if no
	// process did yet: recorded is false when it was recorded already;
	// prev is the user's previous active day (zero if never).
	// id names the mark (the meter's, random): a mark sent again with its id
	// after its write landed though its answer was lost is recorded still,
	// with the prev it recorded.
	MarkActive(ctx context.Context, tenantID, userID string, day time.Time, id string) (prev time.Time, recorded bool, err error)
	// Snapshot reads a tenant's month, ISO week and storage counters in one
	// round trip (zero counters when none).
	Snapshot(ctx context.Context, tenantID, month, week string) (Snapshot, error)
	// Months lists every tenant's month items (Root's table; a job-sized read).
	Months(ctx context.Context, month string) ([]Month, error)
	// StorageOf reads the storage counters of many tenants.
	StorageOf(ctx context.Context, tenantIDs []string) (map[string]Storage, error)
	// SetSeats records a tenant's seat count on its month (the monthly close).
	SetSeats(ctx context.Context, tenantID string, tier tiers.Name, month string, seats int64) error
	// ClaimNotice records that a threshold's mail goes out for a period:
	// true the first time only.
	ClaimNotice(ctx context.Context, tenantID, period string, metric Metric, level Level) (bool, error)
}

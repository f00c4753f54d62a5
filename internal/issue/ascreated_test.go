package issue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// The fields the activity records only as changes of their own (custom
// fields one by one or whole, a move's key, a completion's closed_at) are
// taken back too.
func TestAsCreatedTakesBackEveryRecordedChange(t *testing.T) {
	created := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	closed := created.Add(time.Hour)
	now := issue.Issue{ID: "i1", TenantID: "acme", Key: "OPS-7", Number: 7, ProjectID: "ops", Title: "Moved", Status: "closed",
		Category: issue.Completed, ClosedAt: &closed, ResolvedAt: &closed, StartedAt: &closed,
		Fields: map[string]any{"sev": "high", "team": "core"}, Labels: []string{}, Mentions: []issue.Mention{},
		CreatedAt: created, UpdatedAt: closed, Version: 5}
	later := []issue.Activity{
		{Action: "updated", Changes: []issue.Change{{Field: "fields.sev", From: "low", To: "mid"}}},
		{Action: "updated", Changes: []issue.Change{{Field: "fields", From: map[string]any{"sev": "mid", "old": "x"}, To: map[string]any{"sev": "high", "team": "core"}}}},
		{Action: "updated", Changes: []issue.Change{{Field: "project_id", From: "default", To: "ops"}, {Field: "key", From: "ACME-3", To: "OPS-7"}}},
		{Action: "transitioned", Changes: []issue.Change{{Field: "status", From: "open", To: "in_progress"}, {Field: "category", From: "unstarted", To: "started"},
			{Field: "started_at", From: nil, To: closed.Format(time.RFC3339Nano)}}},
		{Action: "transitioned", Changes: []issue.Change{{Field: "status", From: "in_progress", To: "closed"}, {Field: "category", From: "started", To: "completed"},
			{Field: "closed_at", From: nil, To: closed.Format(time.RFC3339Nano)}}},
		{Action: "updated", Changes: []issue.Change{{Field: "title", From: "Filed", To: "Moved"}}},
	}
	got := issue.AsCreated(now, later)
	assert.Equal(t, issue.Issue{ID: "i1", TenantID: "acme", Key: "ACME-3", Number: 3, ProjectID: "default", Title: "Filed", Status: "open",
		Category: issue.Unstarted, Fields: map[string]any{"sev": "low", "old": "x"}, Labels: []string{}, Mentions: []issue.Mention{},
		CreatedAt: created, UpdatedAt: created, Version: 1}, got)
	assert.Equal(t, now, issue.AsCreated(now, nil), "nothing changed since")
}

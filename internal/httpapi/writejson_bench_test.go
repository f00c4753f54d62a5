package httpapi_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
)

// BenchmarkWriteJSONListPage is the answer of GET /v1/issues?limit=25: a
// page of 25 issues as the store returns them, encoded by WriteJSON.
//
//	go test -run '^$' -bench BenchmarkWriteJSONListPage ./internal/httpapi/
func BenchmarkWriteJSONListPage(b *testing.B) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	items := make([]issue.Issue, 25)
	for i := range items {
		items[i] = issue.Issue{ID: "01JDZQ3V7X9K2M4N6P8R0S1T2U", Number: int64(i + 1), Key: "ACME-1", TenantID: "acme",
			Title: "Checkout button does nothing on Safari", Description: "Steps to reproduce:\n1. open the cart",
			Type: issue.Bug, Priority: issue.PriorityHigh, Status: issue.Open, Category: issue.CategoryOf(issue.Open),
			Labels: []string{"frontend"}, Mentions: []issue.Mention{}, ReporterID: "u1", ProjectID: issue.DefaultProjectID,
			CreatedAt: now, UpdatedAt: now, Version: 3}
	}
	var page any = list.NewPage(items, "next")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := httpapi.WriteJSON(rec, 200, page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNonNilIssue is NonNil's read-only walk of one issue with
// nothing to fill (GET /v1/issues/{id}'s answer).
//
//	go test -run '^$' -bench BenchmarkNonNilIssue ./internal/httpapi/
func BenchmarkNonNilIssue(b *testing.B) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var v any = issue.Issue{ID: "01JDZQ3V7X9K2M4N6P8R0S1T2U", Number: 1, Key: "ACME-1", TenantID: "acme",
		Title: "Checkout button does nothing on Safari", Type: issue.Bug, Priority: issue.PriorityHigh, Status: issue.Open,
		Category: issue.CategoryOf(issue.Open), Labels: []string{"frontend"}, Mentions: []issue.Mention{}, ReporterID: "u1",
		ProjectID: issue.DefaultProjectID, CreatedAt: now, UpdatedAt: now, Version: 3}
	b.ReportAllocs()
	for b.Loop() {
		if httpapi.NonNil(v) == nil {
			b.Fatal("nil")
		}
	}
}

package cycle_test

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
)

func pts(n int) *int { return &n }

func TestReportCountsScopeAtTheRightInstants(t *testing.T) {
	c := cycle.Cycle{ID: "c", StartsOn: "2026-01-05", EndsOn: "2026-01-18"}
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	at := func(d int) *time.Time { x := day(d); return &x }
	members := []issue.CycleMember{
		// planned at 2, re-estimated to 3 before the start, then 8 during it, and done
		{IssueID: "a", AddedAt: day(1), Points: pts(8), Category: issue.Completed, CompletedAt: at(10),
			Estimates: []issue.Estimated{{At: day(1), Points: pts(2)}, {At: day(3), Points: pts(3)}, {At: day(8), Points: pts(8)}}},
		// planned, then taken out before the start: not in the cycle at all
		{IssueID: "b", AddedAt: day(1), RemovedAt: at(4), Points: pts(5)},
		// added during, removed during at the points it had then
		{IssueID: "c", AddedAt: day(6), RemovedAt: at(9), Points: pts(13),
			Estimates: []issue.Estimated{{At: day(6), Points: pts(1)}, {At: day(7), Points: pts(2)}}},
		// committed, removed after the end: still in scope, completed after the end: not completed
		{IssueID: "d", AddedAt: day(2), RemovedAt: at(20), Points: nil, Category: issue.Completed, CompletedAt: at(19)},
	}
	r := cycle.NewReport(c, members)
	assert.Equal(t, cycle.Tally{Issues: 2, Points: 3, Unestimated: 1}, r.Committed)
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 1}, r.Added)
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 2}, r.Removed)
	assert.Equal(t, cycle.Tally{Issues: 2, Points: 8, Unestimated: 1}, r.Scope)
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 8}, r.Completed)
	assert.InDelta(t, 1.0, r.CompletionRate, 0.0001)

	series := cycle.DailySeries(c, members, day(12))
	type tally = cycle.Tally
	assert.Equal(t, []cycle.Day{
		{Date: "2026-01-05", Scope: tally{Issues: 2, Points: 3, Unestimated: 1}},
		{Date: "2026-01-06", Scope: tally{Issues: 3, Points: 4, Unestimated: 1}},  // c joined at 1 point
		{Date: "2026-01-07", Scope: tally{Issues: 3, Points: 5, Unestimated: 1}},  // c re-estimated to 2
		{Date: "2026-01-08", Scope: tally{Issues: 3, Points: 10, Unestimated: 1}}, // a re-estimated to 8
		{Date: "2026-01-09", Scope: tally{Issues: 2, Points: 8, Unestimated: 1}},  // c left
		{Date: "2026-01-10", Scope: tally{Issues: 2, Points: 8, Unestimated: 1}, Completed: tally{Issues: 1, Points: 8}},
		{Date: "2026-01-11", Scope: tally{Issues: 2, Points: 8, Unestimated: 1}, Completed: tally{Issues: 1, Points: 8}},
		{Date: "2026-01-12", Scope: tally{Issues: 2, Points: 8, Unestimated: 1}, Completed: tally{Issues: 1, Points: 8}}, // today: up to now
	}, series)
	assert.Len(t, cycle.DailySeries(c, members, day(30)), 14, "a past cycle: every day of it")
	assert.Empty(t, cycle.DailySeries(c, members, day(2)), "a cycle not started yet")
	last := cycle.DailySeries(c, members, day(30))[13]
	assert.Equal(t, r.Scope, last.Scope, "the last day is the report's scope")
	assert.Equal(t, r.Completed, last.Completed)

	v := cycle.NewVelocity([]cycle.Report{r, {Completed: cycle.Tally{Issues: 3, Points: 4}}})
	assert.InDelta(t, 6.0, v.AveragePoints, 0.0001)
	assert.InDelta(t, 2.0, v.AverageIssues, 0.0001)
	assert.Empty(t, cycle.NewVelocity(nil).Cycles)
}

func TestCycleValidation(t *testing.T) {
	for _, c := range []struct {
		c     cycle.Cycle
		field string
	}{
		{cycle.Cycle{Name: "ok", StartsOn: "2026-01-01", EndsOn: "2026-01-01"}, ""},
		{cycle.Cycle{Name: " ", StartsOn: "2026-01-01", EndsOn: "2026-01-02"}, "name"},
		{cycle.Cycle{Name: "bad\x00", StartsOn: "2026-01-01", EndsOn: "2026-01-02"}, "name"},
		{cycle.Cycle{Name: "ok", StartsOn: "01/01/2026", EndsOn: "2026-01-02"}, "starts_on"},
		{cycle.Cycle{Name: "ok", StartsOn: "2026-01-02", EndsOn: "2026-01-01"}, "ends_on"},
	} {
		err := c.c.Validate()
		if c.field == "" {
			assert.NoError(t, err)
			continue
		}
		assert.ErrorContains(t, err, c.field)
	}
}

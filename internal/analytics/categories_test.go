package analytics_test

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
)

// Rollups read categories, never status names: an issue of a custom
// workflow counts as the default workflow's would.
func TestRollupsReadCategoriesNotNames(t *testing.T) {
	day1 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	day2, day3 := day1.Add(24*time.Hour), day1.Add(48*time.Hour)
	state := func(cat issue.Category, resolved, closed *time.Time, hist ...issue.StatusChange) analytics.IssueState {
		var s analytics.IssueState
		s.Fold(analytics.Event{Issue: &issue.Issue{ID: "i", Version: 3, CreatedAt: day1, StartedAt: &day2, ResolvedAt: resolved, ClosedAt: closed,
			Category: cat, Priority: issue.PriorityNone}})
		for n := range hist {
			s.Fold(analytics.Event{Status: &hist[n]})
		}
		return s
	}
	h := func(id string, from issue.Status, fromCat issue.Category, to issue.Status, toCat issue.Category, at time.Time) issue.StatusChange {
		return issue.StatusChange{ID: id, IssueID: "i", From: from, FromCategory: fromCat, To: to, Category: toCat, At: at, ActorID: "ann"}
	}
	all := func(c analytics.Contribution, day time.Time, f string) int64 {
		return c[analytics.DayCell(analytics.ScopeAll, day.Format("2006-01-02"))][f]
	}
	gauge := func(c analytics.Contribution) int64 {
		return c[analytics.GaugeCell(analytics.ScopeAll)][analytics.FieldOpen]
	}

	t.Run("a custom completed status resolves like closed", func(t *testing.T) {
		custom := state(issue.Completed, &day3, &day3,
			h("01", "", "", "todo", issue.Unstarted, day1), h("02", "todo", issue.Unstarted, "doing", issue.Started, day2),
			h("03", "doing", issue.Started, "shipped", issue.Completed, day3)).Contribute(analytics.Settings{})
		legacy := state(issue.Completed, &day3, &day3,
			h("01", "", "", issue.Open, "", day1), h("02", issue.Open, "", issue.InProgress, "", day2),
			h("03", issue.InProgress, "", issue.Closed, "", day3)).Contribute(analytics.Settings{})
		assert.Equal(t, legacy, custom)
		assert.EqualValues(t, -1, all(custom, day3, analytics.FieldNet))
		assert.EqualValues(t, 1, all(custom, day3, analytics.FieldResolved))
		assert.Zero(t, gauge(custom))
	})
	t.Run("a canceled issue leaves the backlog without being resolved", func(t *testing.T) {
		c := state(issue.Canceled, nil, &day3,
			h("01", "", "", "todo", issue.Unstarted, day1), h("02", "todo", issue.Unstarted, "dropped", issue.Canceled, day3)).Contribute(analytics.Settings{})
		assert.EqualValues(t, -1, all(c, day3, analytics.FieldNet))
		assert.Zero(t, all(c, day3, analytics.FieldResolved))
		assert.Zero(t, gauge(c))
	})
	t.Run("a custom status named closed but unstarted is still open", func(t *testing.T) {
		c := state(issue.Unstarted, nil, nil,
			h("01", "", "", "todo", issue.Unstarted, day1), h("02", "todo", issue.Unstarted, issue.Closed, issue.Unstarted, day2)).Contribute(analytics.Settings{})
		assert.Zero(t, all(c, day2, analytics.FieldNet))
		assert.EqualValues(t, 1, gauge(c))
	})
}

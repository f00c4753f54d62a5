package issue_test

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheDefaultWorkflowIsValidAndAsBefore(t *testing.T) {
	w := issue.DefaultWorkflow()
	require.NoError(t, w.Validate())
	assert.Equal(t, issue.Open, w.Initial())
	assert.Equal(t, []issue.Status{issue.InProgress, issue.Closed}, issue.Next(issue.Open))
	assert.Equal(t, issue.Started, issue.CategoryOf(issue.InReview))
	assert.Equal(t, issue.Category(""), issue.CategoryOf("shipped"), "unknown to the default workflow")
}

func TestTransitionsFollowTheWorkflow(t *testing.T) {
	w := issue.Workflow{Statuses: []issue.WorkflowStatus{
		{Status: "todo", Name: "Todo", Category: issue.Unstarted, Next: []issue.Status{"doing"}},
		{Status: "doing", Name: "Doing", Category: issue.Started, Next: []issue.Status{"done", "gone"}},
		{Status: "done", Name: "Done", Category: issue.Completed},
		{Status: "gone", Name: "Gone", Category: issue.Canceled, Retiring: true},
	}}
	now := time.Now()
	i := issue.Issue{Status: "todo", Category: issue.Unstarted}
	_, err := i.TransitionIn(w, "done", now)
	assert.Equal(t, "transition_forbidden", errs.As(err).Code)
	_, err = i.TransitionIn(w, "closed", now)
	assert.Equal(t, "unknown_status", errs.As(err).Code)
	_, err = i.TransitionIn(w, "doing", now)
	require.NoError(t, err)
	_, err = i.TransitionIn(w, "gone", now)
	assert.Equal(t, "status_retiring", errs.As(err).Code, "no issue enters a status being deleted")
	ch, err := i.TransitionIn(w, "done", now)
	require.NoError(t, err)
	assert.Equal(t, issue.Completed, i.Category)
	assert.Contains(t, ch, issue.Change{Field: "category", From: issue.Started, To: issue.Completed})
}

func TestWorkflowNormalizeAndValidate(t *testing.T) {
	w := issue.Workflow{Statuses: []issue.WorkflowStatus{
		{Status: "todo", Name: "  Todo ", Category: issue.Unstarted, Next: []issue.Status{"doing", "doing"}},
		{Status: "doing", Name: "Doing", Category: issue.Started, Color: "#ABCDEF"},
		{Status: "done", Name: "Done", Category: issue.Completed},
	}}
	w.Normalize()
	require.NoError(t, w.Validate())
	assert.Equal(t, "Todo", w.Statuses[0].Name)
	assert.Equal(t, []issue.Status{"doing"}, w.Statuses[0].Next)
	assert.Equal(t, "#abcdef", w.Statuses[1].Color)
	assert.Equal(t, 2, w.Statuses[2].Order)
	assert.Equal(t, []issue.Status{}, w.Statuses[2].Next)

	w.Statuses[2].Name = "DOİNG" // not equal to Doing under Unicode case folding (dotted I)
	require.NoError(t, w.Validate())
	w.Statuses[2].Name = "DOING"
	err := w.Validate()
	assert.Equal(t, "statuses[2].name", errs.As(err).Fields[0].Field)
}

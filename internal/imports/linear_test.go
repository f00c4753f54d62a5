package imports_test

import (
	"context"
	"testing"

	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Linear CSV export (its column names, its status and priority words,
// labels comma-separated in one cell) maps as Jira's does; the columns
// Linear has and the tracker does not are listed as ignored, and the run
// makes the good rows.
func TestImportMapsALinearExport(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	csv := "ID,Team,Title,Description,Status,Estimate,Priority,Creator,Assignee,Labels,Cycle Name,Created,Due Date\n" +
		"ENG-1,Engineering,Login fails on Safari,Steps inside,In Progress,,Urgent,Ada,bob@acme.test,\"Backend, Needs UX\",,2026-11-02T10:00:00.000Z,2027-01-15\n" +
		"ENG-2,Engineering,Tidy the backlog,,Backlog,,No priority,Ada,,,,2026-11-03T10:00:00.000Z,\n" +
		"ENG-3,Engineering,Old idea,,Canceled,,Low,Ada,,Backend,,2026-11-04T10:00:00.000Z,\n" +
		"ENG-4,Engineering,Half done,,Paused,,High,Ada,,,,2026-11-05T10:00:00.000Z,\n" // Paused: not a Linear default
	job := f.upload(t, f.ada, csv, 1<<10)
	pv, err := f.svc.Preview(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ID": "key", "Title": "title", "Description": "description", "Status": "status",
		"Estimate": "estimate", "Priority": "priority", "Assignee": "assignee", "Labels": "labels", "Cycle Name": "cycle",
		"Due Date": "due_date"}, pv.Columns)
	assert.ElementsMatch(t, []string{"Team", "Creator", "Created"}, pv.Ignored)
	assert.Equal(t, 4, pv.Rows)
	assert.Equal(t, 3, pv.Valid)
	require.Len(t, pv.Errors, 1)
	assert.Equal(t, imports.RowError{Row: 4, Key: "ENG-4", Field: "status", Column: "Status", Reason: `unknown status "Paused"`}, pv.Errors[0])
	require.Len(t, pv.Sample, 3)
	one, two, three := pv.Sample[0], pv.Sample[1], pv.Sample[2]
	assert.Equal(t, "ENG-1", one.Key)
	assert.Equal(t, "in_progress", one.Status)
	assert.Equal(t, "urgent", one.Priority)
	assert.Equal(t, "bob", one.AssigneeID)
	assert.Len(t, one.Labels, 2)
	assert.Equal(t, "2027-01-15", one.DueDate)
	assert.Equal(t, "open", two.Status)
	assert.Equal(t, "none", two.Priority)
	assert.Equal(t, "closed", three.Status)
	assert.Equal(t, "low", three.Priority)

	done, err := f.svc.Run(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, imports.Done, done.State)
	assert.Equal(t, 3, done.Created)
	assert.Equal(t, 1, done.Failed)
	n, titles := countIssues(t, f.issues, f.ada)
	assert.Equal(t, 3, n)
	assert.Equal(t, 1, titles["Login fails on Safari"])
}

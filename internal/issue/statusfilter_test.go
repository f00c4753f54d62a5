package issue

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// countingWorkflows counts the reads of the tenant's custom statuses (each
// a Query of its stored workflows).
type countingWorkflows struct {
	Workflows
	reads  int
	custom []WorkflowStatus
}

func (w *countingWorkflows) CustomStatuses(context.Context, tenancy.Principal) ([]WorkflowStatus, error) {
	w.reads++
	return w.custom, nil
}

// A list's ?status= naming several statuses beyond the default workflow's
// is checked with one read of the tenant's custom statuses, not one per
// status (before: a Query each, checkBulkStatus per status); one naming
// nothing is still a 400 on status; default statuses need no read.
func TestAStatusFilterIsCheckedWithOneReadOfTheCustomStatuses(t *testing.T) {
	ctx := context.Background()
	p := tenancy.Principal{TenantID: "acme", UserID: "ann", Table: "t"}
	w := &countingWorkflows{custom: []WorkflowStatus{{Status: "qa", Category: Started}, {Status: "blocked", Category: Started},
		{Status: "shipped", Category: Completed}}}
	s := &Service{Workflows: w}

	require.NoError(t, s.checkFilterRefs(ctx, p, Filter{Statuses: []Status{Open, InReview}}))
	assert.Zero(t, w.reads, "the default workflow's statuses need no read")

	require.NoError(t, s.checkFilterRefs(ctx, p, Filter{Statuses: []Status{"qa", Open, "blocked", "shipped"}}))
	assert.Equal(t, 1, w.reads, "three custom statuses, one read")

	w.reads = 0
	err := s.checkFilterRefs(ctx, p, Filter{Statuses: []Status{"qa", "nosuchstatus", "blocked"}})
	require.Error(t, err)
	e := errs.As(err)
	assert.Equal(t, errs.KindInvalid, e.Kind, "%v", err)
	require.Len(t, e.Fields, 1)
	assert.Equal(t, "status", e.Fields[0].Field)
	assert.Contains(t, e.Fields[0].Reason, `"nosuchstatus"`)
	assert.Equal(t, 1, w.reads, "one read, whatever it finds")
}

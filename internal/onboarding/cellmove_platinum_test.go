package onboarding_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// targetStack is a tenant stack the target cell's pipeline deploys in its
// own time, as awsstacks does: the first Deploy requests it, later ones
// wait until it is deployed; Outputs reads it without requesting anything.
type targetStack struct {
	mu       sync.Mutex
	requests int
	deployed bool
	outputs  map[string]string
}

func (s *targetStack) Deploy(context.Context, string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deployed {
		return s.outputs, nil
	}
	if s.requests == 0 {
		s.requests++
	}
	return nil, onboarding.ErrWaiting
}

func (s *targetStack) Destroy(context.Context, string) error { return nil }

func (s *targetStack) Outputs(context.Context, string) (map[string]string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outputs, s.deployed, nil
}

func (s *targetStack) set(deployed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deployed = deployed
}

// A Platinum tenant's move waits in provision_target for its stack in the
// target cell, whose pipeline reports to the target cell's bus, where no
// run of the tenant is: the source cell's maintenance resumes the move
// once the target stack is deployed (one DescribeStacks per waiting move),
// and not before (docs/scale.md, piece 3 of a Platinum tenant's move).
func TestAPlatinumMoveWaitingForTheTargetCellsStackIsResumedByTheSourcesMaintenance(t *testing.T) {
	ctx := context.Background()
	w := twoCellWorld(t)
	_, src := testenv.Tables(t) // initech's own table in cell-1
	_, dst := testenv.Tables(t) // the table of its stack in cell-2
	stack := &targetStack{outputs: map[string]string{"TableName": dst.App(), "UserPoolId": "us-east-1_Initech2", "UserPoolClientId": "initech-2"}}
	two, ok := w.svc.Cells.Get("cell-2")
	require.True(t, ok)
	two.Platinum = onboarding.Platinum{Stacks: stack, IssuerBase: "https://idp.test"}
	w.svc.Cells.Add(two)
	require.NoError(t, w.here.Create(ctx, tenant.Tenant{ID: "initech", Name: "Initech", Tier: tiers.Platinum, Status: tenant.StatusActive,
		Table: src.App(), UserPoolID: "us-east-1_Initech1", Issuer: "https://idp.test/us-east-1_Initech1", ClientIDs: []string{"initech-1"},
		APIKeyID: "local-initech", APIKey: "v1", CreatedAt: time.Now()}))
	w.dir.mu.Lock()
	w.dir.cell["initech"] = "cell-1"
	w.dir.mu.Unlock()

	_, err := w.svc.MoveCell(ctx, "initech", "cell-2", root)
	require.NoError(t, err)
	waiting, err := w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepProvisionTarget, waiting.Waiting, "the move waits for cell-2's stack")
	require.Equal(t, 1, stack.requests)

	resumed, err := w.svc.ResumeWaitingMoves(ctx)
	require.NoError(t, err)
	assert.Empty(t, resumed, "not resumed while the stack is not deployed")
	still, err := w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	assert.Equal(t, waiting.Version, still.Version, "the waiting run untouched")

	stack.set(true)
	require.NoError(t, w.svc.Maintain(ctx))
	st, err := w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	assert.True(t, st.IsDone(onboarding.StepProvisionTarget), "resumed by the maintenance: %+v", st)
	assert.NotEqual(t, onboarding.StepProvisionTarget, st.Waiting)
	assert.Equal(t, dst.App(), st.Migration.To.Table, "the new home is cell-2's stack's table")
	assert.Equal(t, 1, stack.requests, "no second deploy request")
}

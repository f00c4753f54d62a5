package onboarding_test

import (
	"context"
	"fmt"
	"strings"
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
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	_, src := testenv.Tables(t) // initech's own table in cell-1
	_, dst := testenv.Tables(t) // the table of its stack in cell-2
	stack := &targetStack{outputs: map[string]string{"TableName": dst.App(), "UserPoolId": "us-east-1_Initech2", "UserPoolClientId": "initech-2"}}
	w.platinumInitech(t, src.App(), stack, nil)

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

// buckets is S3 in memory as onboarding.FileMover sees it: bucket ->
// key -> size, the tenant's prefix being "<tenant>/".
type buckets struct {
	mu sync.Mutex
	m  map[string]map[string]int64
}

func (b *buckets) put(bucket, key string, size int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m[bucket] == nil {
		b.m[bucket] = map[string]int64{}
	}
	b.m[bucket][key] = size
}

func (b *buckets) ListFiles(_ context.Context, tenantID, bucket string) (map[string]int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int64{}
	for k, v := range b.m[bucket] {
		if strings.HasPrefix(k, tenantID+"/") {
			out[k] = v
		}
	}
	return out, nil
}

func (b *buckets) SyncFiles(ctx context.Context, tenantID, from, to string) (int, error) {
	src, _ := b.ListFiles(ctx, tenantID, from)
	n := 0
	for k, v := range src {
		if have, ok := b.m[to][k]; !ok || have != v {
			b.put(to, k, v)
			n++
		}
	}
	return n, nil
}

func (b *buckets) DropFiles(ctx context.Context, tenantID, bucket string) (int, error) {
	src, _ := b.ListFiles(ctx, tenantID, bucket)
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range src {
		delete(b.m[bucket], k)
	}
	return len(src), nil
}

// oldStack is a tenant stack whose bucket, like a deployed one's, is not
// deleted while it holds objects: Destroy fails then.
type oldStack struct {
	files     *buckets
	bucket    string
	destroyed bool
}

func (s *oldStack) Deploy(context.Context, string) (map[string]string, error) { return nil, nil }

func (s *oldStack) Destroy(ctx context.Context, tenantID string) error {
	if left, _ := s.files.ListFiles(ctx, tenantID, s.bucket); len(left) > 0 {
		return fmt.Errorf("bucket %s is not empty (%d objects)", s.bucket, len(left))
	}
	s.destroyed = true
	return nil
}

// A Platinum tenant's files move from its stack's bucket in cell-1 to its
// stack's bucket in cell-2 (docs/scale.md, piece 6), verified before the
// switch; the old bucket is emptied before the old stack is destroyed,
// whose deletion would fail otherwise.
func TestAPlatinumTenantsFilesMoveToItsStacksBucketInTheOtherCell(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	_, src := testenv.Tables(t)
	_, dst := testenv.Tables(t)
	files := &buckets{m: map[string]map[string]int64{}}
	siloOne := func(id string) string { return "cell-1-files-" + id }
	siloTwo := func(id string) string { return "cell-2-files-" + id }
	files.put(siloOne("initech"), "initech/issue-1/a", 10)
	files.put(siloOne("initech"), "initech/issue-2/b", 20)
	files.put(siloOne("hooli"), "hooli/issue-1/c", 30) // another tenant's stack: untouched
	old := &oldStack{files: files, bucket: siloOne("initech")}
	m := w.svc.Machine
	m.Platinum = onboarding.Platinum{Stacks: old, IssuerBase: "https://idp.test"}
	m.Files, m.SiloFiles = files, siloOne
	stack := &targetStack{deployed: true, outputs: map[string]string{"TableName": dst.App(), "UserPoolId": "us-east-1_Initech2", "UserPoolClientId": "initech-2"}}
	w.platinumInitech(t, src.App(), stack, siloTwo)

	_, err := w.svc.MoveCell(ctx, "initech", "cell-2", root)
	require.NoError(t, err)
	require.NoError(t, w.svc.Maintain(ctx)) // the retirement, after the grace period
	st, err := w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	require.Empty(t, st.FailedStep, "%s", st.Error)
	require.False(t, st.FinishedAt.IsZero(), "retired: %+v", st)
	assert.Equal(t, siloOne("initech"), st.Migration.From.Files)
	assert.Equal(t, siloTwo("initech"), st.Migration.To.Files)
	assert.Equal(t, 2, st.Migration.FilesCopied)
	moved, _ := files.ListFiles(ctx, "initech", siloTwo("initech"))
	assert.Equal(t, map[string]int64{"initech/issue-1/a": 10, "initech/issue-2/b": 20}, moved)
	left, _ := files.ListFiles(ctx, "initech", siloOne("initech"))
	assert.Empty(t, left)
	assert.True(t, old.destroyed, "the old stack destroyed once its bucket was emptied")
	others, _ := files.ListFiles(ctx, "hooli", siloOne("hooli"))
	assert.Len(t, others, 1)
}

// platinumInitech makes initech a Platinum tenant of cell-1 with its stack's
// table, placed there by the directory, and gives cell-2 the provisioner
// of its tenant stacks, stack, and their buckets' names, silo.
func (w *cellWorld) platinumInitech(t *testing.T, table string, stack onboarding.StackDeployer, silo func(string) string) {
	t.Helper()
	two, ok := w.svc.Cells.Get("cell-2")
	require.True(t, ok)
	two.Platinum, two.SiloFiles = onboarding.Platinum{Stacks: stack, IssuerBase: "https://idp.test"}, silo
	w.svc.Cells.Add(two)
	require.NoError(t, w.here.Create(context.Background(), tenant.Tenant{ID: "initech", Name: "Initech", Tier: tiers.Platinum, Status: tenant.StatusActive,
		Table: table, UserPoolID: "us-east-1_Initech1", Issuer: "https://idp.test/us-east-1_Initech1", ClientIDs: []string{"initech-1"},
		APIKeyID: "local-initech", APIKey: "v1", CreatedAt: time.Now()}))
	w.dir.mu.Lock()
	w.dir.cell["initech"] = "cell-1"
	w.dir.mu.Unlock()
}

package trackerwire_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// callerGone is the caller of a status deletion going away mid-page (the
// web page closed, the function timed out): the remaps after the first
// n fail.
type callerGone struct {
	project.Tracker
	mu sync.Mutex
	n  int
}

var errGone = errors.New("the caller went away")

func (c *callerGone) Remap(ctx context.Context, p tenancy.Principal, id string, from, to issue.Status, w issue.Workflow) (bool, error) {
	c.mu.Lock()
	c.n--
	left := c.n
	c.mu.Unlock()
	if left < 0 {
		return false, errGone
	}
	return c.Tracker.Remap(ctx, p, id, from, to, w)
}

type deletionWorld struct {
	d      core.Deps
	ada    tenancy.Principal
	issues []issue.Issue
	start  time.Time
}

// abandoned: acme (active, in the registry) with 12 issues In Review, and
// Ada's deletion of In Review into In Progress abandoned after 5 moves (2
// pages of 2 committed, the heartbeat written at each). The tenant's data
// is reached only under a tenant context (tenantcreds.RequireTenant), as
// with the tenant access role in AWS.
func abandoned(t *testing.T) *deletionWorld {
	t.Helper()
	ctx := context.Background()
	db, names := testenv.Tables(t)
	start := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	w := &deletionWorld{start: start,
		d: core.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Names: names, Now: func() time.Time { return start }}}
	require.NoError(t, tenantdb.New(db, names).Create(ctx, tenant.Tenant{ID: "acme", Name: "Acme", Tier: tiers.Standard,
		Status: tenant.StatusActive, Table: names.App(), APIKey: "key-acme", CreatedAt: start, UpdatedAt: start}))
	sc := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	tctx := tenancy.WithTenant(ctx, "acme")
	require.NoError(t, peopledb.UserDB{DB: w.d.DB}.Put(tctx, sc, people.User{ID: "ada", TenantID: "acme", Username: "ada",
		Email: "ada@acme.test", Role: roles.Admin, Status: people.UserActive}))
	w.ada = tenancy.Principal{TenantID: "acme", UserID: "ada", Username: "ada", Role: roles.Admin, Tier: tiers.Standard, Table: names.App()}

	ps := trackerwire.ProjectService(w.d)
	is := ps.Tracker
	for range 12 {
		i, err := is.(*issue.Service).Create(tctx, w.ada, issue.CreateIssue{Title: "in review", ImportStatus: issue.InReview})
		require.NoError(t, err)
		require.Equal(t, issue.InReview, i.Status)
		w.issues = append(w.issues, i)
	}
	ps.Page, ps.Tracker = 2, &callerGone{Tracker: is, n: 5}
	_, err := ps.DeleteStatus(tctx, w.ada, project.DefaultID, issue.InReview, issue.InProgress)
	require.ErrorIs(t, err, errGone)
	job, err := ps.DeletionOf(tctx, w.ada, project.DefaultID, issue.InReview)
	require.NoError(t, err)
	require.Equal(t, project.DeletionRunning, job.State)
	require.Equal(t, 4, job.Moved, "two pages committed")
	return w
}

func (w *deletionWorld) beats(t *testing.T) []project.Heartbeat {
	t.Helper()
	hs, err := trackerwire.Heartbeats(w.d).Stale(context.Background(), w.start.Add(24*time.Hour))
	require.NoError(t, err)
	return hs
}

func (w *deletionWorld) statuses(t *testing.T) map[issue.Status]int {
	t.Helper()
	is := trackerwire.IssueService(w.d.DB, w.d.Cursors, w.d.Now)
	out := map[issue.Status]int{}
	for _, i := range w.issues {
		got, err := is.Load(tenancy.WithTenant(context.Background(), "acme"), w.ada, i.ID)
		require.NoError(t, err)
		out[got.Status]++
	}
	return out
}

// A deletion its caller abandoned is finished by the periodic job once
// its heartbeat is stale: every issue moved, the status gone, the job
// done, the heartbeat removed. Two runs at once take it over once.
func TestMaintainResumesAnAbandonedStatusDeletion(t *testing.T) {
	w := abandoned(t)
	ctx := context.Background()
	hs := w.beats(t)
	require.Len(t, hs, 1, "the running job has a heartbeat")
	assert.Equal(t, project.Heartbeat{TenantID: "acme", ProjectID: project.DefaultID, Status: issue.InReview, By: "ada",
		StartedAt: w.start, At: w.start, Moved: 4}, hs[0])
	assert.Equal(t, map[issue.Status]int{issue.InProgress: 5, issue.InReview: 7}, w.statuses(t))

	later := w.start.Add(project.HeartbeatStale + time.Minute)
	var wg sync.WaitGroup
	results := make([]trackerwire.Resumed, 2)
	errs := make([]error, 2)
	for n := range 2 {
		wg.Go(func() { results[n], errs[n] = trackerwire.Maintain(ctx, w.d, later) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	assert.Equal(t, 1, results[0].Taken+results[1].Taken, "one of two concurrent runs takes the job: %+v", results)
	assert.Equal(t, 1, results[0].Finished+results[1].Finished)

	assert.Equal(t, map[issue.Status]int{issue.InProgress: 12}, w.statuses(t), "every issue moved")
	tctx := tenancy.WithTenant(ctx, "acme")
	wf, err := trackerwire.ProjectService(w.d).Workflow(tctx, w.ada, project.DefaultID)
	require.NoError(t, err)
	assert.False(t, wf.Has(issue.InReview), "the status is gone")
	job, err := trackerwire.ProjectService(w.d).DeletionOf(tctx, w.ada, project.DefaultID, issue.InReview)
	require.NoError(t, err)
	assert.Equal(t, project.DeletionDone, job.State)
	assert.Empty(t, w.beats(t), "the heartbeat is gone")

	res, err := trackerwire.Maintain(ctx, w.d, later.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, res.Taken, "nothing left to resume")
}

// A job whose heartbeat is fresh (its caller drives it) is left alone.
func TestMaintainLeavesADrivenStatusDeletionAlone(t *testing.T) {
	w := abandoned(t)
	res, err := trackerwire.Maintain(context.Background(), w.d, w.start.Add(project.HeartbeatStale-time.Second))
	require.NoError(t, err)
	assert.Equal(t, trackerwire.Resumed{}, res)
	assert.Equal(t, map[issue.Status]int{issue.InProgress: 5, issue.InReview: 7}, w.statuses(t), "nothing moved")
	hs := w.beats(t)
	require.Len(t, hs, 1)
	assert.Equal(t, w.start, hs[0].At, "the heartbeat is untouched")
	assert.Empty(t, hs[0].Runner)
}

// A job of a tenant the directory places in another cell (a move switched
// it; its record here is active a moment longer, then tombstoned) is not
// resumed from the home it left: the job is that cell's now.
func TestMaintainLeavesATenantHousedInAnotherCellAlone(t *testing.T) {
	w := abandoned(t)
	ctx := context.Background()
	dir := cells.Directory{DB: testenv.DynamoDB(t), Table: testenv.DirectoryTable(t)}
	require.NoError(t, dir.Register(ctx, cells.For("acme", tiers.Standard, cells.Cell{ID: "cell-2", APIURL: "https://two.test"})))
	w.d.Cell, w.d.CellDirectory = "cell-1", &dir
	later := w.start.Add(project.HeartbeatStale + time.Minute)
	res, err := trackerwire.Maintain(ctx, w.d, later)
	require.NoError(t, err)
	assert.Zero(t, res.Taken, "not this cell's tenant")
	assert.Equal(t, map[issue.Status]int{issue.InProgress: 5, issue.InReview: 7}, w.statuses(t), "nothing moved in the old home")

	require.NoError(t, dir.Switch(ctx, "acme", "cell-2", cells.Entry{TenantID: "acme", Cell: "cell-1", Tier: tiers.Standard}))
	res, err = trackerwire.Maintain(ctx, w.d, later)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Taken, "placed here, resumed")
}

// Of two runners claiming the same stale heartbeat as read, one gets it;
// a runner hands back only what it holds.
func TestAHeartbeatIsClaimedOnce(t *testing.T) {
	w := abandoned(t)
	ctx := context.Background()
	beats := trackerwire.Heartbeats(w.d)
	h := w.beats(t)[0]
	now := w.start.Add(time.Hour)
	ok, err := beats.Claim(ctx, h, "one", now)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = beats.Claim(ctx, h, "two", now)
	require.NoError(t, err)
	assert.False(t, ok, "the second claim of the same reading fails")
	require.NoError(t, beats.Release(ctx, h, "two"))
	assert.Equal(t, now.UnixMilli(), w.beats(t)[0].At.UnixMilli(), "another runner cannot hand it back")
	require.NoError(t, beats.Release(ctx, h, "one"))
	assert.True(t, w.beats(t)[0].At.IsZero(), "handed back: stale at once")
}

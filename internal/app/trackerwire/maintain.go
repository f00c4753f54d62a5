package trackerwire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/oklog/ulid/v2"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// JobMaintain is the issues function's scheduled job (Maintain).
const JobMaintain = project.JobMaintain

// Resumed is what one Maintain run did.
type Resumed struct {
	// Taken are the stale jobs this run took over; Finished those it
	// finished (their heartbeat is gone); Removed the heartbeats of jobs
	// found done or gone.
	Taken, Finished, Removed int
}

// Maintain finds the status-deletion jobs whose heartbeat is older than
// project.HeartbeatStale at now, takes each over (a conditional update of
// the heartbeat: of two runs at once, one gets it) and resumes it as its
// tenant: under the tenant's context, so the tenant-scoped client signs
// with that tenant's credentials (ABAC), and as the Admin who started it.
// One slice of work per job and run (project.DeletionBudget, within the
// function's timeout); a job not done is handed back, stale at once, for
// the next run. A tenant that is not active, or is moving home (writes
// frozen), keeps its job for later; one whose registry record is gone
// loses the heartbeat. Errors are joined per job; the others go on.
func Maintain(ctx context.Context, d core.Deps, now time.Time) (Resumed, error) {
	var res Resumed
	beats := Heartbeats(d)
	stale, err := beats.Stale(ctx, now.Add(-project.HeartbeatStale))
	if err != nil {
		return res, err
	}
	reg := tenantdb.New(d.Control(), d.Names)
	runner := ulid.Make().String()
	var failed []error
	for _, h := range stale {
		done, err := resume(ctx, d, reg, beats, h, runner, now, &res)
		if err != nil {
			failed = append(failed, fmt.Errorf("status deletion %s/%s/%s: %w", h.TenantID, h.ProjectID, h.Status, err))
		}
		if done {
			res.Finished++
		}
	}
	return res, errors.Join(failed...)
}

// resume takes h over and runs its job's next slice; done reports that
// the job finished.
func resume(ctx context.Context, d core.Deps, reg *tenantdb.Store, beats project.Heartbeats, h project.Heartbeat, runner string, now time.Time, res *Resumed) (done bool, err error) {
	t, err := reg.Get(ctx, h.TenantID)
	if errs.Is(err, errs.KindNotFound) {
		res.Removed++
		return false, beats.Remove(ctx, project.Heartbeat{TenantID: h.TenantID, ProjectID: h.ProjectID, Status: h.Status})
	}
	if err != nil || t.Status != tenant.StatusActive || t.WritesFrozen {
		return false, err
	}
	// Housed in another cell (a move switched): the job goes on there.
	if here, err := core.HousedHere(ctx, d, t.ID); err != nil || !here {
		return false, err
	}
	ok, err := beats.Claim(ctx, h, runner, now)
	if err != nil || !ok {
		return false, err
	}
	res.Taken++
	p := tenancy.Principal{TenantID: t.ID, UserID: h.By, Username: h.By, Role: roles.Admin, Tier: t.Tier, Table: t.Table}
	tctx := tenancy.WithTenant(tenancy.WithPrincipal(ctx, p), t.ID)
	job, err := ProjectService(d).ResumeDeletion(tctx, p, h.ProjectID, h.Status, runner)
	switch {
	case errs.Is(err, errs.KindConflict):
		// status_deletion_busy: a caller drives it again; its commits beat.
		return false, nil
	case err != nil:
		return false, errors.Join(err, beats.Release(ctx, h, runner))
	case job.State == project.DeletionDone:
		return true, nil
	case job.State != project.DeletionRunning:
		return false, nil // gone: its heartbeat was removed
	}
	return false, beats.Release(ctx, h, runner)
}

// ServeIssues runs the issues function: API Gateway's requests through
// the route table, and {"job": "maintain-tracker"} from its schedule.
func ServeIssues() {
	deps, h := core.Boot(Issues)
	api := lambdahttp.New(h, deps.CORSOrigins)
	lambda.StartWithOptions(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var job struct {
			Job string `json:"job"`
		}
		if json.Unmarshal(raw, &job) == nil && job.Job != "" {
			if job.Job != JobMaintain {
				return nil, fmt.Errorf("unknown job %q", job.Job)
			}
			res, err := Maintain(ctx, deps, time.Now())
			slog.InfoContext(ctx, "resumed status deletions", "taken", res.Taken, "finished", res.Finished, "removed", res.Removed, "error", err)
			return map[string]any{"job": job.Job, "taken": res.Taken, "finished": res.Finished}, err
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return api.Invoke(ctx, ev)
	}, core.FlushOnSIGTERM(deps))
}

package billingwire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// Scheduled jobs of the billing function (billing.JobHourly, billing.JobMonthlyClose).
const (
	JobHourly       = billing.JobHourly
	JobMonthlyClose = billing.JobMonthlyClose
)

// JobInput is what the schedule sends.
type JobInput struct {
	Job string `json:"job"`
}

// JobResult is what a job did (logged, and returned to the invoker).
type JobResult struct {
	Job       string              `json:"job"`
	Suspended []string            `json:"suspended"`
	Seats     int                 `json:"seats_recorded"`
	Rows      int                 `json:"tenant_rows_refreshed"`
	Close     *billing.MonthClose `json:"close,omitempty"`
}

// RunJob runs a scheduled job on d.
func RunJob(ctx context.Context, d core.Deps, job string) (JobResult, error) {
	res := JobResult{Job: job, Suspended: []string{}}
	svc := Service(d)
	if svc == nil {
		svc = NewBilling(d)
	}
	var errs []error
	switch job {
	case JobMonthlyClose:
		if svc != nil {
			c, err := svc.Close(ctx)
			if err != nil {
				errs = append(errs, err)
			} else {
				res.Close = &c
			}
		}
	case JobHourly:
	default:
		return res, fmt.Errorf("unknown job %q (want %s or %s)", job, JobHourly, JobMonthlyClose)
	}
	if svc != nil {
		swept, err := svc.Sweep(ctx)
		res.Suspended = swept.Suspended
		errs = append(errs, err)
	}
	n, err := UsageSweep(ctx, d)
	res.Seats = n
	errs = append(errs, err)
	rows, err := RefreshTenantRows(ctx, d)
	res.Rows = rows
	errs = append(errs, err)
	return res, errors.Join(errs...)
}

// RefreshTenantRows rewrites every tenant's rows of the provider's tenants
// table with its seat count (read from its own table: no other writer
// sees it) and its MRR (billing keeps that row live too). It also indexes
// tenants registered before the rows existed. A job: it reads every tenant.
func RefreshTenantRows(ctx context.Context, d core.Deps) (int, error) {
	reg := tenantwire.Directory(d)
	data := tenantdata.Store{DB: d.DB, Platform: d.Control()}
	accounts, err := billingdb.New(d.Control(), d.Names).List(ctx)
	if err != nil {
		return 0, err
	}
	mrr := map[string]int64{}
	for _, a := range accounts {
		if a.Paying() {
			mrr[a.TenantID] = a.AmountCents
		}
	}
	ts, err := tenant.All(ctx, reg)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, t := range ts {
		users := 0
		if t.Status == tenant.StatusActive || t.Status == tenant.StatusSuspended {
			here, err := core.HousedHere(ctx, d, t.ID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !here {
				continue // its row is its cell's; its home here is not its data
			}
			if users, err = data.CountUsers(ctx, t); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := reg.Refresh(ctx, t, users, mrr[t.ID]); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// UsageSweep records each tenant's seat count on its month (when it
// changed) and judges the month's calls and storage against the tier, so
// a threshold mail goes out within the hour even when no flush of a
// mail-sending function saw it. A job: it reads every tenant.
func UsageSweep(ctx context.Context, d core.Deps) (int, error) {
	now := time.Now().UTC()
	if d.Now != nil {
		now = d.Now().UTC()
	}
	month := usage.MonthKey(now)
	store := usagedb.New(d.Control(), d.Names)
	store.Now = d.Now
	reg := tenantdb.New(d.Control(), d.Names)
	data := tenantdata.Store{DB: d.DB, Platform: d.Control()}
	months, err := store.Months(ctx, month)
	if err != nil {
		return 0, err
	}
	byTenant := map[string]usage.Month{}
	for _, m := range months {
		byTenant[m.TenantID] = m
	}
	notices := usage.Notices{Store: store, Mail: d.Mail, Recipients: core.SuperAdmins(d), WebBaseURL: d.WebBaseURL}
	recorded := 0
	var errs []error
	for cursor, page := "", 0; page < 1000; page++ {
		pg, err := reg.List(ctx, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return recorded, err
		}
		for _, t := range pg.Items {
			if t.Status != tenant.StatusActive && t.Status != tenant.StatusSuspended {
				continue
			}
			if _, ok := tiers.Get(t.Tier); !ok {
				continue
			}
			if here, err := core.HousedHere(ctx, d, t.ID); err != nil || !here {
				errs = append(errs, err) // housed in another cell: its seats are that cell's
				continue
			}
			m := byTenant[t.ID]
			seats, err := data.CountUsers(ctx, t)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if int64(seats) != m.Seats || m.Tier != t.Tier {
				if err := store.SetSeats(ctx, t.ID, t.Tier, month, int64(seats)); err != nil {
					errs = append(errs, err)
					continue
				}
				recorded++
			}
			snap, err := store.Snapshot(ctx, t.ID, month, usage.WeekKey(now))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			notices.Totals(ctx, usage.Totals{TenantID: t.ID, Tier: t.Tier, Month: month, Calls: snap.Month.Calls,
				Storage: snap.Storage, HasCalls: true, HasStorage: true})
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	return recorded, errors.Join(errs...)
}

// ServeBilling runs this process as the billing function: API Gateway's
// proxy events go through the route table like every route function, the
// schedule's {"job": ...} events run the jobs.
func ServeBilling() {
	deps, h := core.Boot(Billing)
	api := lambdahttp.New(h, deps.CORSOrigins)
	handler := func(ctx context.Context, raw json.RawMessage) (any, error) {
		var in JobInput
		if err := json.Unmarshal(raw, &in); err == nil && in.Job != "" {
			res, err := RunJob(ctx, deps, in.Job)
			slog.InfoContext(ctx, "job done", "job", in.Job, "result", res, "err", err)
			return res, err
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return api.Invoke(ctx, ev)
	}
	lambda.StartWithOptions(handler, core.FlushOnSIGTERM(deps))
}

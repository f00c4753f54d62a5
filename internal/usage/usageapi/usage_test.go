package usageapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/people/peopledb"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opCounter counts DynamoDB operations the way the benchmarks do (an SDK
// middleware: a retried attempt is not a second round trip).
type opCounter struct{ n atomic.Int64 }

func (c *opCounter) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countOperations",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.n.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

type world struct {
	db      *dynamodb.Client
	names   schema.Names
	ops     *opCounter
	store   *usagedb.Store
	owner   tenancy.Principal
	user    tenancy.Principal
	root    tenancy.Principal
	tenants *tenantdb.Store
	// control is an uncounted client of the same tables for the app's
	// control-plane reads (the route guard's cached read of a tenant's home
	// happens once a second, whenever it expires): ops counts the requests'
	// own operations.
	control *dynamodb.Client
}

func newWorld(t *testing.T) *world {
	_, names := testenv.Tables(t)
	cfg, e := testenv.AWS(t)
	ops := &opCounter{}
	cfg.APIOptions = append(cfg.APIOptions, ops.option)
	db := awsx.DynamoDB(cfg, e)
	ctx := context.Background()
	ccfg, ce := testenv.AWS(t)
	w := &world{db: db, control: awsx.DynamoDB(ccfg, ce), names: names, ops: ops, store: usagedb.New(db, names), tenants: tenantdb.New(db, names),
		root: tenancy.Principal{UserID: "root-1", Username: "root", Role: roles.Root}}
	for _, tn := range []tenant.Tenant{{ID: "acme", Name: "Acme", Tier: tiers.Standard}, {ID: "globex", Name: "Globex", Tier: tiers.Basic}} {
		tn.Status, tn.Table = tenant.StatusActive, names.App()
		require.NoError(t, w.tenants.Create(ctx, tn))
	}
	for _, u := range []people.User{{ID: "own", Role: roles.SuperAdmin}, {ID: "ann", Role: roles.User}} {
		u.TenantID, u.Username, u.Email, u.Status = "acme", u.ID, u.ID+"@acme.test", people.UserActive
		require.NoError(t, peopledb.UserDB{DB: db}.Put(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: names.App(), TenantID: "acme"}, u))
	}
	p := func(id string, r roles.Role) tenancy.Principal {
		return tenancy.Principal{TenantID: "acme", UserID: id, Username: id, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	w.owner, w.user = p("own", roles.SuperAdmin), p("ann", roles.User)
	return w
}

func (w *world) api(t *testing.T, m *usage.Meter) *apitest.API {
	return apitest.New(t, app.Deps{DB: w.db, ControlDB: w.control, Names: w.names, Now: time.Now, Meter: m})
}

// requests is a tenant's typical traffic: writes and reads of issues and comments.
func requests(t *testing.T, c apitest.Caller) {
	t.Helper()
	res := c.Do("POST", "/v1/issues", `{"title":"Login fails on Safari","description":"The login page loops"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	id := res.Map(t)["id"].(string)
	for _, r := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/issues/" + id, "", 200},
		{"PATCH", "/v1/issues/" + id, `{"description":"The login page loops forever"}`, 200},
		{"POST", "/v1/issues/" + id + "/comments", `{"body":"seen it on iOS too"}`, 201},
		{"GET", "/v1/issues?limit=10", "", 200},
		{"GET", "/v1/issues/" + id + "/comments", "", 200},
	} {
		var body any
		hdr := []string{}
		if r.body != "" {
			body = r.body
		}
		if r.method == "PATCH" {
			hdr = []string{"If-Match", `"1"`}
		}
		res := c.Do(r.method, r.path, body, hdr...)
		require.Equal(t, r.status, res.Status, "%s %s: %s", r.method, r.path, res.Body)
	}
}

// The request path gains no DynamoDB round trip with metering on: the same
// requests cost the same operations with and without a meter, and the
// meter's flush costs a handful of writes for all of them.
func TestMeteringAddsNoRoundTripToARequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	plain := w.api(t, nil).As(w.user)
	meter := &usage.Meter{Store: w.store}
	metered := w.api(t, meter).As(w.user)

	requests(t, plain) // warm-up: counters and claims that exist once per tenant
	w.ops.n.Store(0)
	requests(t, plain)
	without := w.ops.n.Load()
	w.ops.n.Store(0)
	requests(t, metered)
	with := w.ops.n.Load()
	assert.Equal(t, without, with, "metering adds no DynamoDB operation to the requests")
	t.Logf("6 requests: %d DynamoDB operations without a meter, %d with", without, with)

	w.ops.n.Store(0)
	require.NoError(t, meter.Flush(context.Background()))
	// The user's active marker, the month's counters, the week's actives and the storage bytes.
	assert.Equal(t, int64(4), w.ops.n.Load(), "one flush for all six requests")
	now := time.Now()
	snap, err := w.store.Snapshot(context.Background(), "acme", usage.MonthKey(now), usage.WeekKey(now))
	require.NoError(t, err)
	assert.Equal(t, int64(6), snap.Month.Calls)
	assert.Equal(t, int64(1), snap.Month.DailyActive[now.UTC().Day()-1])
}

// The item bytes counter, kept at write time, equals the size of the items
// the tenant's requests left in the table, measured independently by
// reading them back (creates, edits, a project, label changes, comments,
// deletes, the purge of a deleted issue's comments, and saved views).
func TestItemBytesMatchWhatTheTableHolds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	tableBytes := func() int64 {
		out, err := w.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(w.names.App())})
		require.NoError(t, err)
		var n int64
		require.Nil(t, out.LastEvaluatedKey, "one page holds the test's items")
		for _, it := range out.Items {
			if strings.HasPrefix(pkOf(it), schema.TenantKeyPrefix("acme")) {
				n += dynamo.ItemSize(it)
			}
		}
		return n
	}
	before := tableBytes()
	meter := &usage.Meter{Store: w.store}
	api := w.api(t, meter)
	owner, ann := api.As(w.owner), api.As(w.user)
	requests(t, ann)
	// a second project: its item, its key claim and the count moving to 2
	res := owner.Do("POST", "/v1/projects", `{"key":"WEB","name":"Web"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	res = owner.Do("POST", "/v1/labels", `{"name":"bug","color":"#FF0000"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	label := res.Map(t)["id"].(string)
	res = ann.Do("POST", "/v1/issues", `{"title":"Crash on save","labels":["`+label+`"]}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	gone := res.Map(t)["id"].(string)
	for _, body := range []string{`{"body":"first"}`, `{"body":"second words here"}`} {
		require.Equal(t, http.StatusCreated, ann.Do("POST", "/v1/issues/"+gone+"/comments", body).Status)
	}
	// a sub-issue: its parent's has-children flag turns true (same size)
	res = ann.Do("POST", "/v1/issues", `{"title":"Epic"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	epic := res.Map(t)["id"].(string)
	res = ann.Do("POST", "/v1/issues", `{"title":"Step","parent_id":"`+epic+`"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	res = owner.Do("PATCH", "/v1/labels/"+label, `{"name":"defect"}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = owner.Do("DELETE", "/v1/issues/"+gone, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	// saved views: created, edited, shared (moved to the shared partition), one deleted
	var views []string
	for _, body := range []string{`{"name":"Mine","filter":{"assignee":"me"},"sort":"priority"}`, `{"name":"Team","visibility":"shared"}`, `{"name":"Gone"}`} {
		res = ann.Do("POST", "/v1/views", body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		views = append(views, res.Map(t)["id"].(string))
	}
	res = ann.Do("PATCH", "/v1/views/"+views[0], `{"name":"Mine, longer name","columns":["key","title","status"]}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = ann.Do("PATCH", "/v1/views/"+views[0], `{"visibility":"shared"}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = ann.Do("DELETE", "/v1/views/"+views[2], nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	require.NoError(t, meter.Flush(ctx))

	snap, err := w.store.Snapshot(ctx, "acme", usage.MonthKey(time.Now()), usage.WeekKey(time.Now()))
	require.NoError(t, err)
	after := tableBytes()
	assert.Positive(t, after-before)
	assert.Equal(t, after-before, snap.Storage.ItemBytes, "the counter follows the table")
}

func pkOf(it map[string]types.AttributeValue) string {
	if s, ok := it[schema.PK].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// The Super Admin sees this month's figures against the tier's limits with
// warnings at 80% and 100%; Root sees every tenant and totals per tier,
// summed here independently from what was recorded.
func TestUsageAgainstTheTiersLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	now := time.Now().UTC()
	month := usage.MonthKey(now)
	std, basic := tiers.MustGet(tiers.Standard), tiers.MustGet(tiers.Basic)
	_, err := w.store.Add(ctx, usage.Delta{TenantID: "acme", Tier: tiers.Standard, Month: month,
		Calls: map[int]int64{now.Day(): std.MonthlyQuota * 85 / 100}, Active: map[int]int64{now.Day(): 2}, NewMonthly: 2,
		NewWeekly: map[string]int64{usage.WeekKey(now): 2}, ItemBytes: 4096})
	require.NoError(t, err)
	_, err = w.store.Add(ctx, usage.Delta{TenantID: "globex", Tier: tiers.Basic, Month: month,
		Calls: map[int]int64{now.Day(): basic.MonthlyQuota}, ItemBytes: 100, AttachmentBytes: basic.StorageBytes})
	require.NoError(t, err)
	api := w.api(t, nil)

	res := api.As(w.owner).Do("GET", "/v1/usage", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var rep usage.Report
	res.JSON(t, &rep)
	assert.Equal(t, usage.Gauge{Used: std.MonthlyQuota * 85 / 100, Limit: std.MonthlyQuota, Percent: 85, Level: usage.LevelWarning}, rep.Calls)
	assert.Equal(t, usage.Gauge{Used: 2, Limit: int64(std.MaxUsers), Percent: 4, Level: usage.LevelOK}, rep.Seats, "live seats: the directory's counter")
	assert.Equal(t, int64(4096), rep.Storage.Used)
	assert.Equal(t, usage.ActiveUsers{Daily: 2, Weekly: 2, Monthly: 2}, rep.ActiveUsers)
	require.Len(t, rep.Warnings, 1)
	assert.Equal(t, usage.MetricCalls, rep.Warnings[0].Metric)
	assert.Len(t, rep.Days, now.Day())

	t.Run("only the Super Admin", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, api.As(w.user).Do("GET", "/v1/usage", nil).Status)
	})

	res = api.As(w.root).Do("GET", "/v1/admin/usage", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var root usageapi.RootUsage
	res.JSON(t, &root)
	require.Len(t, root.Tenants, 2)
	byID := map[string]usageapi.TenantUsage{}
	for _, tu := range root.Tenants {
		byID[tu.TenantID] = tu
	}
	assert.Equal(t, usage.LevelLimit, byID["globex"].Calls.Level)
	assert.Equal(t, usage.LevelLimit, byID["globex"].Storage.Level, "1 GiB of attachments + 100 bytes is past Basic's 1 GiB")
	assert.Len(t, byID["globex"].Warnings, 2)
	totals := map[string]usageapi.TierTotals{}
	for _, tt := range root.Totals {
		totals[tt.Tier] = tt
	}
	assert.Equal(t, usageapi.TierTotals{Tier: "standard", Tenants: 1, Calls: std.MonthlyQuota * 85 / 100, MonthlyActiveUsers: 2, ItemBytes: 4096}, totals["standard"])
	assert.Equal(t, usageapi.TierTotals{Tier: "all", Tenants: 2, Calls: std.MonthlyQuota*85/100 + basic.MonthlyQuota,
		MonthlyActiveUsers: 2, ItemBytes: 4196, AttachmentBytes: basic.StorageBytes}, totals["all"])
	assert.Equal(t, 0, totals["premium"].Tenants)

	t.Run("a bad month is a 400 naming the field", func(t *testing.T) {
		res := api.As(w.root).Do("GET", "/v1/admin/usage?month=2026-13", nil)
		require.Equal(t, http.StatusBadRequest, res.Status)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, "month", res.Map(t)["errors"].([]any)[0].(map[string]any)["field"])
	})
	t.Run("a tenant's user cannot read Root's table", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, api.As(w.owner).Do("GET", "/v1/admin/usage", nil).Status)
	})
}

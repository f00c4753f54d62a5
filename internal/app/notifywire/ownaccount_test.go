package notifywire_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/hoptest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/sqsqueue"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookdb"
)

// The environment the platform stack gives the functions that read
// tenants' tables with their own role (envvars.ReadsTenantTables) in a cell
// with initech in an account of its own (infra/stacks, tenantaccount.go).
const (
	hopRole  = "arn:aws:iam::123456789012:role/issuetracker-tenant-access"
	dataRole = "arn:aws:iam::210987654321:role/data-issuetracker-tenant-data"
)

func ownAccountEnv(n string) (string, bool) {
	v, ok := map[string]string{envvars.TenantAccountsHopRoleARN: hopRole, envvars.TenantDataRoles: "initech=" + dataRole}[n]
	return v, ok
}

// queued records the attempts a deliverer or producer queues.
type queued struct {
	mu    sync.Mutex
	tasks []webhook.Task
}

func (q *queued) Send(_ context.Context, t webhook.Task, _ time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	return nil
}

// The webhook-delivery function, built as ServeWebhookDelivery builds it
// (core.TenantCreds from its environment, notifywire.WebhookDelivery,
// sqsqueue.Handler), delivers an attempt of initech, a Platinum tenant in
// its own account, with initech's table read and written through the
// second hop (the tenant access role's session for initech, then its
// account's data role, signed with the first), and acme's in the pooled
// table with the function's own role, as before.
func TestWebhookDeliveryReachesATenantInItsOwnAccountThroughASecondHop(t *testing.T) {
	ctx := context.Background()
	local, names, tenants := twoTenants(t)
	// Their registry records: the webhook worker follows each tenant's home.
	for _, sc := range tenants {
		tier, now := tiers.Premium, time.Now().UTC()
		if sc.TenantID == "initech" {
			tier = tiers.Platinum
		}
		require.NoError(t, tenantdb.New(local, names).Create(ctx, tenant.Tenant{ID: sc.TenantID, Name: sc.TenantID,
			Tier: tier, Status: tenant.StatusActive, Table: sc.Table, CreatedAt: now, UpdatedAt: now}))
	}

	var mu sync.Mutex
	got := map[string]int{}
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path]++
		mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	guard := webhook.Guard{AllowLoopback: true, RootCAs: recv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}

	// The endpoints and the first attempts, written as the tenants' stream
	// consumers write them (in initech's account, its own consumer).
	q := &queued{}
	for _, sc := range tenants {
		st := webhookdb.Store{DB: local}
		tctx := tenancy.WithTenant(ctx, sc.TenantID)
		now := time.Now().UTC()
		require.NoError(t, st.CreateEndpoint(tctx, sc, webhook.Endpoint{ID: "ep-" + sc.TenantID, URL: recv.URL + "/" + sc.TenantID,
			EventTypes: []webhook.EventType{webhook.IssueCreated}, State: webhook.Enabled,
			Secrets: []webhook.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}))
		require.NoError(t, webhook.Producer{Store: st, Queue: q}.Publish(tctx, webhook.Event{Scope: sc, ID: "msg-" + sc.TenantID,
			Type: webhook.IssueCreated, At: now, Data: map[string]string{"id": "1"}}))
	}
	require.Len(t, q.tasks, 2)

	db, calls, hops := hopClient(t)
	// The registry (the control table) with the function's own role, as
	// core.Init builds ControlDB.
	deps := core.Deps{DB: db, ControlDB: local, Names: names, Now: time.Now}
	handler := sqsqueue.Handler(notifywire.WebhookDelivery(deps, &queued{}, guard))
	var ev events.SQSEvent
	for i, task := range q.tasks {
		body, err := json.Marshal(task)
		require.NoError(t, err)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: string(rune('a' + i)), Body: string(body)})
	}
	out, err := handler(ctx, ev) // no tenant in the context: the handler sets each task's
	require.NoError(t, err)
	assert.Empty(t, out.BatchItemFailures)

	assert.Equal(t, map[string]int{"/acme": 1, "/initech": 1}, got, "both tenants' attempts were delivered")
	for _, task := range q.tasks {
		d, err := webhookdb.Store{DB: local}.Delivery(tenancy.WithTenant(ctx, task.TenantID), task.Scope(), task.EndpointID, task.DeliveryID)
		require.NoError(t, err)
		assert.Equal(t, webhook.Succeeded, d.Status, "%s's attempt is recorded in its table", task.TenantID)
	}
	assertTwoHops(t, names, calls, hops)
}

// twoTenants are acme, in the pooled table, and initech, a Platinum tenant
// in its own account, whose table (in that account; here on DynamoDB
// Local, under the same name) the test creates.
func twoTenants(t *testing.T) (*dynamodb.Client, schema.Names, []tenancy.Scope) {
	local, names := testenv.Tables(t)
	own := names.Silo("initech")
	require.NoError(t, dynamo.EnsureTable(context.Background(), local, schema.App, own))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), local, own) })
	return local, names, []tenancy.Scope{{Table: names.App(), TenantID: "acme"}, {Table: own, TenantID: "initech"}}
}

// hopClient is the tenant-scoped client a function builds from
// ownAccountEnv (core.TenantCreds), on the recording proxy and the fake STS.
func hopClient(t *testing.T) (*dynamodb.Client, *hoptest.Recorder, *hoptest.Recorder) {
	db, calls := hoptest.DynamoDB(t, testenv.Endpoints(t).DynamoDB)
	client, hops := hoptest.STS(t)
	creds, err := core.TenantCreds(ownAccountEnv, false, client)
	require.NoError(t, err)
	return tenantcreds.Scoped(db, creds), calls, hops
}

// assertTwoHops checks who signed: every call on initech's table its
// account's data role, every call on the pooled table the function; and
// the STS calls: initech's two hops, the second signed with the first's
// session, both tagged with initech and an hour long; nothing assumed for
// a tenant of the platform's account.
func assertTwoHops(t *testing.T, names schema.Names, calls, hops *hoptest.Recorder) {
	t.Helper()
	assert.Equal(t, []string{hoptest.DataKey("initech")}, calls.KeysFor(names.Silo("initech")), "initech's table only through its account's data role")
	assert.Equal(t, []string{hoptest.FunctionKey}, calls.KeysFor(names.App()), "acme's with the function's own role")
	c := hops.Calls()
	require.Len(t, c, 2, "two hops for initech, then cached; none for acme: %+v", c)
	hop := hoptest.Call{Action: "AssumeRole", Tag: "initech", TagKey: "TenantId", Session: "tenant-initech", Duration: "3600"}
	first, second := hop, hop
	first.Key, first.Role = hoptest.FunctionKey, hopRole
	second.Key, second.Role = hoptest.FirstHopKey("initech"), dataRole
	assert.Equal(t, first, c[0], "the first hop, signed by the function")
	assert.Equal(t, second, c[1], "the second hop, signed with initech's first-hop session")
}

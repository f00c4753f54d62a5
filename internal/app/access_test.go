package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// controlCall is one item-level request a function made on the control table.
type controlCall struct {
	fn                routes.Function
	action, index, pk string
	attrs             []string // non-key attributes an update names
}

func (c controlCall) String() string {
	return fmt.Sprintf("%s %s %s pk=%q attrs=%v", c.fn, c.action, c.index, c.pk, c.attrs)
}

// controlRecorder records, per function, what the control table sees: the
// IAM view of each request (action, leading key, attributes).
type controlRecorder struct {
	table string
	mu    sync.Mutex
	calls []controlCall
}

// client is db with every request of function fn recorded.
func (r *controlRecorder) client(db *dynamodb.Client, fn routes.Function) *dynamodb.Client {
	opts := db.Options()
	opts.APIOptions = append(slices.Clone(opts.APIOptions), func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordControlCalls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.record(fn, in.Parameters)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return dynamodb.New(opts)
}

func (r *controlRecorder) add(c controlCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func pkOf(item map[string]types.AttributeValue) string {
	if v, ok := item[schema.PK].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func named(names map[string]string) []string {
	var out []string
	for _, n := range names {
		if n != schema.PK && n != schema.SK {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

var keyEquals = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// queryKey is the partition key value a Query asks for.
func queryKey(in *dynamodb.QueryInput) string {
	want := schema.PK
	if in.IndexName != nil {
		want = aws.ToString(in.IndexName) + "pk" // gsi1 -> gsi1pk
	}
	for _, m := range keyEquals.FindAllStringSubmatch(aws.ToString(in.KeyConditionExpression), -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if v, ok := in.ExpressionAttributeValues[m[2]].(*types.AttributeValueMemberS); ok && name == want {
			return v.Value
		}
	}
	return ""
}

func (r *controlRecorder) record(fn routes.Function, params any) {
	is := func(table *string) bool { return aws.ToString(table) == r.table }
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "GetItem", pk: pkOf(in.Key)})
		}
	case *dynamodb.PutItemInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "PutItem", pk: pkOf(in.Item)})
		}
	case *dynamodb.UpdateItemInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "UpdateItem", pk: pkOf(in.Key), attrs: named(in.ExpressionAttributeNames)})
		}
	case *dynamodb.DeleteItemInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "DeleteItem", pk: pkOf(in.Key)})
		}
	case *dynamodb.QueryInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "Query", index: aws.ToString(in.IndexName), pk: queryKey(in)})
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil && is(it.Put.TableName):
				r.add(controlCall{fn: fn, action: "PutItem", pk: pkOf(it.Put.Item)})
			case it.Update != nil && is(it.Update.TableName):
				r.add(controlCall{fn: fn, action: "UpdateItem", pk: pkOf(it.Update.Key), attrs: named(it.Update.ExpressionAttributeNames)})
			case it.Delete != nil && is(it.Delete.TableName):
				r.add(controlCall{fn: fn, action: "DeleteItem", pk: pkOf(it.Delete.Key)})
			case it.ConditionCheck != nil && is(it.ConditionCheck.TableName):
				r.add(controlCall{fn: fn, action: "ConditionCheckItem", pk: pkOf(it.ConditionCheck.Key)})
			}
		}
	case *dynamodb.ScanInput:
		if is(in.TableName) {
			r.add(controlCall{fn: fn, action: "Scan"})
		}
	case *dynamodb.BatchGetItemInput:
		for table, ka := range in.RequestItems {
			if is(&table) {
				for _, k := range ka.Keys {
					r.add(controlCall{fn: fn, action: "BatchGetItem", pk: pkOf(k)})
				}
			}
		}
	case *dynamodb.BatchWriteItemInput, *dynamodb.TransactGetItemsInput:
		// Not used on the control table; record them so the check refuses them.
		r.add(controlCall{fn: fn, action: fmt.Sprintf("%T", in)})
	}
}

// runQueue stands in for the platform bus: the API functions only request
// lifecycle runs; the onboarding function runs them.
type runQueue struct{ ids []string }

func (q *runQueue) Start(_ context.Context, tenantID string) error {
	q.ids = append(q.ids, tenantID)
	return nil
}

func (q *runQueue) drain(t *testing.T, m *onboarding.Machine) {
	t.Helper()
	for _, id := range q.ids {
		_, err := m.Run(context.Background(), id)
		require.NoError(t, err)
	}
	q.ids = nil
}

// Every control-table call each function makes, wired as in AWS (its own
// role, runs on the onboarding function), is one its least-privilege grant
// allows (internal/access, which the platform stack turns into IAM): a
// grant too narrow for the code fails here, not in production.
func TestFunctionsStayWithinTheirControlTableGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, names := testenv.Tables(t)
	cog := testenv.Cognito(t)
	pool, err := cognitotest.EnsurePool(ctx, cog, names.Prefix+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, cog, pool, "web")
	require.NoError(t, err)

	rec := &controlRecorder{table: names.Control()}
	queue := &runQueue{}
	base := app.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: time.Now,
		TenantPoolID: pool, TenantClientID: client, Region: "us-east-1", RegistrationsPerHour: 1000, LookupsPerMinute: 1000,
		Mail: testenv.MailSender(t), WebBaseURL: "http://web.test"}
	var meters []*usage.Meter
	as := func(fn routes.Function, d app.Deps) app.Deps {
		d.ControlDB = rec.client(db, fn)
		// Each function meters its callers' usage as in AWS (flushed below).
		d.Meter = app.NewMeter(d)
		meters = append(meters, d.Meter)
		if fn == routes.FnRegistration || fn == routes.FnTenants {
			d.Lifecycle = app.NewLifecycle(d, app.LifecycleOptions{Driver: func(*onboarding.Machine) onboarding.Driver { return queue }})
		}
		return d
	}
	api := apitest.New(t, base).PerFunction(as)
	maintain := app.NewLifecycle(as(routes.FnOnboarding, base), app.LifecycleOptions{
		Archive: onboarding.DirArchive{Dir: t.TempDir()}})
	onboard := maintain.Machine
	az := authorizer.New(authorizer.Config{
		TenantPool:   authorizer.PoolFor(testenvCognito(t), pool, idtoken.PoolTenant, client),
		ProviderPool: authorizer.PoolFor(testenvCognito(t), "none", idtoken.PoolProvider),
		CacheTTL:     time.Nanosecond,
	}, tenantdb.New(rec.client(db, routes.FnAuthorizer), names), peopledb.UserDB{DB: base.DB})
	root := tenancy.Principal{UserID: "root-1", Username: "root", Email: "root@provider.test", Role: roles.Root}

	expect := func(res *apitest.Response, status int) {
		t.Helper()
		require.Equal(t, status, res.Status, string(res.Body))
	}
	const id = "grantco"
	ownerEmail := "owner-" + id + "@" + names.Prefix + ".test"
	anon := api.Anonymous()
	sudo := api.As(root)
	box := testenv.NewMailbox(t, ownerEmail)
	expect(anon.Do("GET", "/v1/registrations/availability?slug="+id, nil), http.StatusOK)
	reg := anon.Do("POST", "/v1/registrations", map[string]string{"company_name": "Grant Co", "slug": id,
		"admin_email": ownerEmail, "tier": "standard"}, "Idempotency-Key", "register-grantco")
	expect(reg, http.StatusAccepted)
	token := "?token=" + reg.Map(t)["status_token"].(string)
	box.Next(mail.SubjectVerification)
	expect(anon.Do("POST", "/v1/registrations/"+id+"/verification"+token, nil), http.StatusAccepted)
	expect(anon.Do("POST", "/v1/registrations/"+id+"/verify"+token, map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()}), http.StatusOK)
	expect(sudo.Do("POST", "/v1/admin/tenants/"+id+"/approve", nil, "Idempotency-Key", "approve-grantco"), http.StatusAccepted)
	queue.drain(t, onboard)
	expect(anon.Do("GET", "/v1/registrations/"+id+token, nil), http.StatusOK)
	expect(anon.Do("GET", "/v1/workspaces/"+id, nil), http.StatusOK)

	_, err = cog.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool),
		Username: aws.String(ownerEmail), Password: aws.String("Correct-Horse-9!"), Permanent: true})
	require.NoError(t, err)
	tok, err := cognitotest.PasswordLogin(ctx, cog, client, ownerEmail, "Correct-Horse-9!")
	require.NoError(t, err)
	owner, _, err := az.Authorize(ctx, "Bearer "+tok.IDToken)
	require.NoError(t, err)

	me := api.As(owner)
	expect(me.Do("GET", "/v1/me", nil), http.StatusOK)
	expect(me.Do("POST", "/v1/users", map[string]any{"email": "newbie-" + id + "@" + names.Prefix + ".test", "role": "user", "display_name": "Newbie"}), http.StatusCreated)
	expect(me.Do("GET", "/v1/branding", nil), http.StatusOK)
	expect(me.Do("PUT", "/v1/branding", map[string]string{"display_name": "Grant", "primary_color": "#123456"}), http.StatusOK)
	issue := me.Do("POST", "/v1/issues", map[string]any{"title": "A grant too wide"})
	expect(issue, http.StatusCreated)
	expect(me.Do("POST", "/v1/issues/"+issue.Map(t)["id"].(string)+"/comments", map[string]any{"body": "least privilege"}), http.StatusCreated)
	expect(me.Do("POST", "/v1/teams", map[string]any{"name": "Support"}), http.StatusCreated)
	expect(me.Do("GET", "/v1/usage", nil), http.StatusOK)
	expect(me.Do("GET", "/v1/analytics/issues", nil), http.StatusOK)
	// A status deletion its caller abandons (its heartbeat in the control
	// table), then the issues function's periodic job finishing it.
	budget := project.DeletionBudget
	project.DeletionBudget = 0
	expect(me.Do("POST", "/v1/projects/"+project.DefaultID+"/workflow/deletions", map[string]any{"status": "in_review", "move_to": "in_progress"}), http.StatusOK)
	project.DeletionBudget = budget
	res, err := trackerwire.Maintain(ctx, as(routes.FnIssues, base), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, res.Finished, "the periodic job finished the abandoned deletion")
	for _, m := range meters {
		require.NoError(t, m.Flush(ctx))
	}

	expect(sudo.Do("GET", "/v1/admin/tenants", nil), http.StatusOK)
	expect(sudo.Do("GET", "/v1/admin/tenants/"+id, nil), http.StatusOK)
	expect(sudo.Do("GET", "/v1/admin/tenants/"+id+"/users", nil), http.StatusOK)
	expect(sudo.Do("POST", "/v1/admin/tenants/"+id+"/suspend", map[string]string{"reason": "audit"}), http.StatusOK)
	expect(sudo.Do("POST", "/v1/admin/tenants/"+id+"/reactivate", nil), http.StatusOK)
	expect(sudo.Do("PUT", "/v1/admin/tenants/"+id+"/tier", map[string]string{"tier": "premium"}), http.StatusOK)
	expect(sudo.Do("GET", "/v1/admin/tenants/"+id+"/audit", nil), http.StatusOK)
	expect(sudo.Do("GET", "/v1/admin/usage", nil), http.StatusOK)
	expect(sudo.Do("POST", "/v1/admin/tenants/"+id+"/offboard", map[string]string{"confirm": id}), http.StatusAccepted)
	queue.drain(t, onboard)
	// The lifecycle's periodic job, as the schedule runs it in the
	// onboarding function: it lists tenants and reads their runs.
	require.NoError(t, maintain.Maintain(ctx))

	byFn := map[routes.Function]int{}
	for _, c := range rec.calls {
		byFn[c.fn]++
		assert.True(t, access.Allows(c.fn, c.action, c.index, c.pk, c.attrs), "not granted: %s", c)
	}
	for _, fn := range []routes.Function{routes.FnRegistration, routes.FnOnboarding, routes.FnAuthorizer, routes.FnUsers, routes.FnWorkspace, routes.FnTenants, routes.FnBilling, routes.FnIssues} {
		assert.NotZero(t, byFn[fn], "the scenario made no control-table call as %s: it proves nothing about its grant", fn)
	}
	assert.Zero(t, byFn[routes.FnMeta], "meta touched the control table, which it is not granted")
	t.Logf("%d control-table calls checked: %v", len(rec.calls), byFn)
}

func testenvCognito(t *testing.T) string {
	_, e := testenv.AWS(t)
	return e.Cognito
}

package apitest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/webhook"

	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/localcloud"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// World is a small deployment for tests that drive many routes: tenants
// acme (Premium), globex and umbrella (Basic) in a shared pool on cognito-local, their
// data on DynamoDB Local, a Super Admin, an Admin and a User in acme, a
// Super Admin in globex, and the API in-process.
type World struct {
	t     testing.TB
	API   *API
	Deps  app.Deps
	Pools cognito.Pools
	Pool  string
	// Client is the pool's app client (sign-in for access tokens).
	Client string
	Users  map[string]people.User // by email
	tiers  map[string]tiers.Name
	// Files is the world's attachments bucket on the local S3.
	Files Files
	codes map[string]string // verification codes of the examples' registrations, by slug
	// tokens are the status tokens of the examples' registrations, by slug.
	tokens map[string]string
}

// Password of every seeded user.
const Password = "Correct-Horse-9"

// WebhookSecret signs the Stripe events a World's webhook accepts.
const WebhookSecret = "whsec_apitest"

// NewWorld builds a World. Its tables publish no change stream
// (testenv.Tables); NewStreamWorld's do.
func NewWorld(t testing.TB) *World { return newWorld(t, testenv.Tables, WorldOptions{}) }

// WorldOptions change where a World's users live.
type WorldOptions struct {
	// Cognito is the cognito-local of the World's pools (default: the
	// test services'); CognitoEndpoint its URL, the issuer base of its
	// pools. With both set, a Platinum tenant gets a pool of its own
	// there (TablePlatinum.Pools), as a tenant stack's.
	Cognito         *cip.Client
	CognitoEndpoint string
}

// NewWorldWith is NewWorld with options.
func NewWorldWith(t testing.TB, o WorldOptions) *World { return newWorld(t, testenv.Tables, o) }

// NewStreamWorld is a World whose tables publish their change streams, for
// tests that run a stream consumer on them.
func NewStreamWorld(t testing.TB) *World { return newWorld(t, testenv.StreamTables, WorldOptions{}) }

func newWorld(t testing.TB, tables func(testing.TB) (*dynamodb.Client, schema.Names), o WorldOptions) *World {
	ctx := context.Background()
	db, names := tables(t)
	pools := cognito.Pools{C: o.Cognito}
	if pools.C == nil {
		pools.C = testenv.Cognito(t)
	}
	pool, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenants")
	if err != nil {
		t.Fatal(err)
	}
	client, err := cognitotest.EnsureClient(ctx, pools.C, pool, "web")
	if err != nil {
		t.Fatal(err)
	}
	w := &World{t: t, Pools: pools, Pool: pool, Client: client, Users: map[string]people.User{},
		tiers: map[string]tiers.Name{"acme": tiers.Premium, "globex": tiers.Basic, "umbrella": tiers.Basic}, codes: map[string]string{}, tokens: map[string]string{}}
	reg := tenantdb.New(db, names)
	now := time.Now().UTC()
	for id, tier := range w.tiers {
		tn := tenant.Tenant{ID: id, Name: id, Tier: tier, Status: tenant.StatusActive, APIKey: "key-" + id,
			Table: names.App(), CreatedAt: now, UpdatedAt: now}
		if err := reg.Create(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	w.Deps = app.Deps{DB: db, Cognito: pools, Names: names, Now: time.Now, TenantPoolID: pool, TenantClientID: client,
		Region: "us-east-1", RegistrationsPerHour: 1000, LookupsPerMinute: 1000, CodeSendsPerHour: 1000,
		Mail: testenv.MailSender(t), WebBaseURL: "http://web.test",
		// Billing against stripe-mock, events signed with WebhookSecret.
		Billing: &app.BillingConfig{Grace: time.Hour,
			Provider: &stripebilling.Provider{Key: stripebilling.Static(localcloud.StripeMockAPIKey), APIBase: testenv.StripeMock(t)},
			Verifier: stripebilling.Verifier{Secret: stripebilling.Static(WebhookSecret)}},
		// Webhook attempts are queued (redelivery) but not run.
		Webhooks: &app.WebhookConfig{Queue: &webhook.MemQueue{}}}
	w.Files = AttachmentsBucket(t, names)
	w.Deps.Attachments = app.NewAttachments(tenantcreds.RequireTenant(db), w.Files.Objects,
		attachment.Buckets{Pooled: w.Files.Bucket, Silo: names.SiloFiles}, list.Codec{Keys: cursorKey(t)})
	// Platinum is a table of its own (TablePlatinum); umbrella's tier
	// migrations fail at the drain, so the rollback example has one to undo.
	platinum := TablePlatinum{DB: db, Names: names, PoolID: pool}
	if o.Cognito != nil && o.CognitoEndpoint != "" {
		platinum.Pools, platinum.IssuerBase = &pools, o.CognitoEndpoint
	}
	lifecycle := app.NewLifecycle(w.Deps, app.LifecycleOptions{
		Platinum: platinum,
		// The route examples migrate only umbrella, whose migrations fail at
		// the drain (below): no switch, so no write in flight to wait for
		// (a test that moves another tenant sets options of its own).
		Migration: onboarding.MigrationOptions{Settle: 10 * time.Millisecond, Grace: time.Hour, NoWriteInFlight: true}})
	w.Deps.Lifecycle = lifecycle
	lifecycle.BeforeStep = func(_ context.Context, id string, p onboarding.Phase, s onboarding.Step) error {
		if id == "umbrella" && s == onboarding.StepDrain {
			return errors.New("injected: umbrella's migrations fail at the drain")
		}
		return nil
	}
	w.API = New(t, w.Deps)
	w.SeedUser("owner@acme.test", "acme", roles.SuperAdmin)
	w.SeedUser("admin@acme.test", "acme", roles.Admin)
	w.SeedUser("user@acme.test", "acme", roles.User)
	w.SeedUser("owner@globex.test", "globex", roles.SuperAdmin)
	w.SeedUser("owner@umbrella.test", "umbrella", roles.SuperAdmin)
	return w
}

// SeedUser creates a Cognito user with Password and its directory record.
func (w *World) SeedUser(email, tenantID string, role roles.Role) people.User {
	ctx := context.Background()
	sub, err := w.Pools.EnsureUser(ctx, w.Pool, cognito.UserSpec{Email: email, Password: Password, TenantID: tenantID, Role: string(role)})
	if err != nil {
		w.t.Fatal(err)
	}
	now := time.Now().UTC()
	u := people.User{ID: sub, TenantID: tenantID, Username: email, Email: email, Role: role,
		Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := (peopledb.UserDB{DB: w.Deps.DB}).Put(tenancy.WithTenant(ctx, tenantID), tenancy.Scope{Table: w.Deps.Names.App(), TenantID: tenantID}, u); err != nil {
		w.t.Fatal(err)
	}
	w.Users[email] = u
	return u
}

// Principal is what the authorizer gives a seeded user.
func (w *World) Principal(email string) tenancy.Principal {
	u, ok := w.Users[email]
	if !ok {
		w.t.Fatalf("no user %s in the world", email)
	}
	return tenancy.Principal{TenantID: u.TenantID, UserID: u.ID, Username: u.Email, Email: u.Email,
		Role: u.Role, Tier: w.tiers[u.TenantID], Table: w.Deps.Names.App()}
}

// As is a caller acting as a seeded user.
func (w *World) As(email string) Caller { return w.API.As(w.Principal(email)) }

// Root is a caller acting as the provider's root.
func (w *World) Root() Caller {
	return w.API.As(tenancy.Principal{UserID: "root-1", Username: "root@provider.test", Email: "root@provider.test", Role: roles.Root})
}

// Content is what SeedContent made in acme, by path parameter name
// (issueId, commentId, labelId, teamId, userId, tenantId, attachmentId).
type Content map[string]string

// Path fills a route path's parameters with the seeded ids.
func (c Content) Path(route string) string {
	out := route
	for k, v := range c {
		out = strings.ReplaceAll(out, "{"+k+"}", v)
	}
	return out
}

// SeedContent fills acme through the API so every list has at least two
// entries: three issues (the word "zebra" in each), history and activity on
// the first, two comments, two labels, two teams with two members each, and
// two audit records (Root suspends and reactivates acme), two suppressed
// mail addresses.
func (w *World) SeedContent() Content {
	w.t.Helper()
	owner := w.As("owner@acme.test")
	must := func(res *Response, want int) map[string]any {
		w.t.Helper()
		if res.Status != want {
			w.t.Fatalf("seed: %d %s", res.Status, res.Body)
		}
		if len(res.Body) == 0 {
			return nil
		}
		return res.Map(w.t)
	}
	c := Content{"tenantId": "acme", "userId": w.Users["admin@acme.test"].ID, "projectId": "default"}
	var labels []string
	for _, n := range []string{"bug", "ui"} {
		labels = append(labels, must(owner.Do("POST", "/v1/labels", map[string]any{"name": n}), 201)["id"].(string))
	}
	c["labelId"] = labels[0]
	// Two custom fields of the default project; the seeded issues carry a value.
	for _, f := range []map[string]any{{"name": "Area", "type": "select", "options": []string{"web", "api"}}, {"name": "Story", "type": "text"}} {
		c["fieldId"] = must(owner.Do("POST", "/v1/projects/default/fields", f), 201)["id"].(string)
	}
	// Two cycles of the default project (the current one holds two issues).
	today := time.Now().UTC()
	for i := range 2 {
		id := must(owner.Do("POST", "/v1/cycles", map[string]any{"name": fmt.Sprintf("Sprint %d", i+1), "project_id": "default",
			"starts_on": today.AddDate(0, 0, 14*i).Format(time.DateOnly), "ends_on": today.AddDate(0, 0, 14*i+13).Format(time.DateOnly)}), 201)["id"].(string)
		if i == 0 {
			c["cycleId"] = id
		}
	}
	for i, title := range []string{"zebra crossing", "zebra stripes", "zebra herd"} {
		body := map[string]any{"title": title, "labels": labels[:1], "fields": map[string]any{c["fieldId"]: "as a rider"}}
		if i > 0 {
			body["cycle_id"], body["estimate"] = c["cycleId"], 3
		}
		id := must(owner.Do("POST", "/v1/issues", body), 201)["id"].(string)
		if i == 0 {
			c["issueId"] = id
		}
	}
	issue := "/v1/issues/" + c["issueId"]
	must(owner.Do("POST", issue+"/transitions", map[string]any{"to": "in_progress"}), 200)
	must(owner.Do("POST", issue+"/transitions", map[string]any{"to": "in_review"}), 200)
	must(owner.Do("PATCH", issue, map[string]any{"priority": "high"}), 200)
	for _, b := range []string{"first", "second"} {
		c["commentId"] = must(owner.Do("POST", issue+"/comments", map[string]any{"body": b}), 201)["id"].(string)
	}
	for _, n := range []string{"one.txt", "two.txt"} {
		c["attachmentId"] = owner.Attach(w.t, c["issueId"], n, "text/plain", []byte(n))
	}
	// Watchers (owner and admin), and two notifications in the owner's
	// inbox: the activity consumer writes those from the change stream,
	// which the world does not run.
	must(owner.Do("PUT", issue+"/watchers/me", nil), 200)
	must(w.As("admin@acme.test").Do("PUT", issue+"/watchers/me", nil), 200)
	for i, id := range []string{"01J0000000000000000000SEE1", "01J0000000000000000000SEE2"} {
		n := notify.Notification{ID: id, Kind: notify.Commented, IssueID: c["issueId"], IssueTitle: "seeded",
			ActorID: w.Users["admin@acme.test"].ID, Summary: "commented", At: time.Now().Add(time.Duration(i) * time.Second)}
		if _, err := (notifydb.Store{DB: w.Deps.DB}).Deliver(tenancy.WithTenant(context.Background(), "acme"), tenancy.Scope{Table: w.Deps.Names.App(), TenantID: "acme"},
			w.Users["owner@acme.test"].ID, n, nil); err != nil {
			w.t.Fatal(err)
		}
		c["notificationId"] = id
	}
	for i, n := range []string{"Platform", "Web"} {
		id := must(owner.Do("POST", "/v1/teams", map[string]any{"name": n}), 201)["id"].(string)
		if i == 0 {
			c["teamId"] = id
		}
		for _, u := range []string{"owner@acme.test", "admin@acme.test"} {
			must(owner.Do("PUT", "/v1/teams/"+id+"/members/"+w.Users[u].ID, nil), 200)
		}
	}
	must(w.Root().Do("POST", "/v1/admin/tenants/acme/suspend", map[string]any{"reason": "test"}), 200)
	must(w.Root().Do("POST", "/v1/admin/tenants/acme/reactivate", nil), 200)
	// Two addresses on the mail suppression list (SES reported them).
	sup := maildb.Suppressions{DB: w.Deps.Control(), Table: w.Deps.Names.Control()}
	for _, a := range []string{"gone@example.com", "angry@example.com"} {
		if err := sup.Suppress(context.Background(), mail.Suppression{Address: a, Reason: mail.ReasonBounce, At: time.Now()}); err != nil {
			w.t.Fatal(err)
		}
	}
	return c
}

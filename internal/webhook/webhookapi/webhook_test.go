package webhookapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testdns"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// receiver is a webhook endpoint in the test: it answers with the next
// status of its script (then 200) and records every request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	script []int
	got    []*http.Request
	bodies [][]byte
}

func newReceiver(t testing.TB, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got, r.bodies = append(r.got, req), append(r.bodies, body)
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks/issuetracker" }

// wait returns the first n requests, waiting up to eventually.Deadline for them.
func (r *receiver) wait(t *testing.T, n int) ([]*http.Request, [][]byte) {
	t.Helper()
	deadline := time.Now().Add(eventually.Deadline)
	for {
		r.mu.Lock()
		got, bodies := append([]*http.Request(nil), r.got...), append([][]byte(nil), r.bodies...)
		r.mu.Unlock()
		if len(got) >= n {
			return got[:n], bodies[:n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

type world struct {
	api       *apitest.API
	ann, bob  tenancy.Principal // acme: Admin, User
	gus       tenancy.Principal // globex: Admin
	annMail   string
	poller    *streampoller.Poller
	queue     *webhook.MemQueue
	deliverer *webhook.Deliverer
}

func newWorld(t testing.TB, recv ...*receiver) *world {
	t.Helper()
	return newWorldWith(t, nil, recv...)
}

// newWorldWith is newWorld with its guard changed by guard (nil: as is)
// before the API and the deliverer get it.
func newWorldWith(t testing.TB, guard func(*webhook.Guard), recv ...*receiver) *world {
	t.Helper()
	db, names := testenv.StreamTables(t)
	cfg, e := testenv.AWS(t)
	ctx := context.Background()
	run := names.Prefix // unique per test: the tests run in parallel
	w := &world{queue: &webhook.MemQueue{Visibility: 200 * time.Millisecond}}
	p := func(tn, id string, role roles.Role) tenancy.Principal {
		mail := id + "@" + run + "." + tn + ".test"
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tn}, people.User{ID: id, TenantID: tn,
			Username: id, Email: mail, DisplayName: id, Role: role, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tn, UserID: id, Username: id, Email: mail, Role: role, Tier: tiers.Standard, Table: names.App()}
	}
	for _, tn := range []string{"acme", "globex"} {
		require.NoError(t, tenantdb.New(db, names).Create(ctx, tenant.Tenant{ID: tn, Name: tn, Tier: tiers.Standard,
			Status: tenant.StatusActive, Table: names.App()}))
	}
	w.ann, w.bob, w.gus = p("acme", "ann", roles.Admin), p("acme", "bob", roles.User), p("globex", "gus", roles.Admin)
	w.annMail = w.ann.Email
	// The local-only setting admits loopback; the receivers' certificates
	// are trusted.
	g := webhook.Guard{AllowLoopback: true}
	if len(recv) > 0 {
		g.RootCAs = recv[0].srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	}
	if guard != nil {
		guard(&g)
	}
	keys, err := list.StaticKey("webhook-test-cursor-key-0123456789abcdef")
	require.NoError(t, err)
	deps := app.Deps{DB: db, Names: names, Now: time.Now, Cursors: list.Codec{Keys: keys},
		Webhooks: &app.WebhookConfig{Queue: w.queue, Guard: g}}
	w.api = apitest.New(t, deps)
	w.poller = &streampoller.Poller{Name: notifydb.ConsumerName, DB: db, Streams: awsconfig.Streams(cfg, e),
		Consumer: app.ActivityConsumer(db, time.Hour, w.queue, nil, nil), Filter: notifydb.Filter,
		Tables:      func(context.Context) ([]string, error) { return []string{names.App()}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()}}
	d := app.NewWebhookDeliverer(db, w.queue, g, testenv.MailSender(t), "http://web.test")
	d.Schedule = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	d.DisableAfter = 4
	w.deliverer = &d
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		app.RunLocalWebhooks(runCtx, w.queue, *w.deliverer, app.LocalWebhookWorkers)
	}()
	t.Cleanup(func() { stop(); <-done })
	return w
}

func (w *world) do(t *testing.T, p tenancy.Principal, method, path string, body any, want int) map[string]any {
	t.Helper()
	res := w.api.As(p).Do(method, path, body)
	require.Equal(t, want, res.Status, "%s %s: %s", method, path, res.Body)
	if len(res.Body) == 0 || res.Body[0] != '{' {
		return nil
	}
	return res.Map(t)
}

// endpoint is the caller's endpoint id as the list shows it (nil: absent).
func (w *world) endpoint(t *testing.T, p tenancy.Principal, id string) map[string]any {
	t.Helper()
	for _, it := range w.do(t, p, "GET", "/v1/webhooks", nil, 200)["items"].([]any) {
		if m := it.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}

func (w *world) drain(t *testing.T) {
	t.Helper()
	require.NoError(t, w.poller.Drain(context.Background()))
}

func verify(t *testing.T, secret string, req *http.Request, body []byte) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	return wh.Verify(body, req.Header)
}

func TestWebhooksAreSignedRetriedAndLogged(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 500, 500) // two failures, then 200
	w := newWorld(t, recv)
	ep := w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "description": "CI bridge",
		"event_types": []string{"issue.created", "comment.created"}}, 201)
	secret := ep["secret"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	id := ep["id"].(string)
	require.NotNil(t, w.endpoint(t, w.ann, id))
	assert.NotContains(t, w.endpoint(t, w.ann, id), "secret", "the secret is shown once")

	iss := w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Checkout broken", "type": "bug"}, 201)
	assert.Zero(t, recv.count(), "nothing is sent in the request path")
	w.drain(t)

	got, bodies := recv.wait(t, 3)
	for i, req := range got {
		require.NoError(t, verify(t, secret, req, bodies[i]), "attempt %d", i+1)
		assert.Equal(t, got[0].Header.Get("webhook-id"), req.Header.Get("webhook-id"), "one message id across retries")
		assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	}
	assert.Error(t, verify(t, webhook.NewSecret(), got[0], bodies[0]), "another secret does not verify")
	var payload struct {
		Type string
		Data struct {
			Issue struct{ ID, Title string }
		}
	}
	require.NoError(t, json.Unmarshal(bodies[0], &payload))
	assert.Equal(t, "issue.created", payload.Type)
	assert.Equal(t, iss["id"], payload.Data.Issue.ID)
	assert.Equal(t, "Checkout broken", payload.Data.Issue.Title)

	// The delivery log: three attempts, 500, 500, 200, with durations.
	var log map[string]any
	require.Eventually(t, func() bool {
		log = w.do(t, w.ann, "GET", "/v1/webhooks/"+id+"/deliveries", nil, 200)
		items := log["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["status"] == "succeeded"
	}, eventually.Deadline, 20*time.Millisecond)
	del := log["items"].([]any)[0].(map[string]any)
	var codes []float64
	for _, a := range del["attempts"].([]any) {
		m := a.(map[string]any)
		codes = append(codes, m["status_code"].(float64))
		assert.Contains(t, m, "duration_ms")
	}
	assert.Equal(t, []float64{500, 500, 200}, codes)
	assert.Equal(t, "issue.created", del["event_type"])
	// The success is recorded on the delivery, then the endpoint's count.
	assert.Eventually(t, func() bool { return w.endpoint(t, w.ann, id)["consecutive_failures"] == 0.0 }, eventually.Deadline, 20*time.Millisecond,
		"a success resets the failures")

	// A redelivered stream changes nothing; a transition is not subscribed.
	w.do(t, w.bob, "POST", "/v1/issues/"+iss["id"].(string)+"/transitions", map[string]any{"to": "in_progress"}, 200)
	w.drain(t)

	// Manual redelivery: one more attempt, logged as manual.
	w.do(t, w.ann, "POST", "/v1/webhooks/"+id+"/deliveries/"+del["id"].(string)+"/redeliver", nil, 202)
	recv.wait(t, 4)
	require.Eventually(t, func() bool {
		d := w.do(t, w.ann, "GET", "/v1/webhooks/"+id+"/deliveries", nil, 200)["items"].([]any)[0].(map[string]any)
		as := d["attempts"].([]any)
		return len(as) == 4 && as[3].(map[string]any)["manual"] == true
	}, eventually.Deadline, 20*time.Millisecond)

	// Rotation: both the new and the old secret sign during the overlap.
	rot := w.do(t, w.ann, "POST", "/v1/webhooks/"+id+"/rotate-secret", nil, 200)
	fresh := rot["secret"].(string)
	require.NotEqual(t, secret, fresh)
	w.do(t, w.bob, "POST", "/v1/issues/"+iss["id"].(string)+"/comments", map[string]any{"body": "on it"}, 201)
	w.drain(t)
	got, bodies = recv.wait(t, 5)
	last, body := got[4], bodies[4]
	assert.Len(t, strings.Fields(last.Header.Get("webhook-signature")), 2, "two signatures during the overlap")
	require.NoError(t, verify(t, fresh, last, body))
	require.NoError(t, verify(t, secret, last, body))
	assert.Contains(t, string(body), `"type":"comment.created"`)
	assert.Equal(t, 5, recv.count(), "the transition was not subscribed and the replay sent nothing twice")
}

func TestAFailingEndpointIsDisabledAndItsAdminsMailed(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	w := newWorld(t, recv)
	box := testenv.NewMailbox(t, w.annMail)
	ep := w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 201)
	id := ep["id"].(string)
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "One", "type": "bug"}, 201)
	w.drain(t)

	// 1 + 3 retries fail: DisableAfter (4) consecutive failures.
	recv.wait(t, 4)
	m := box.Next("webhook endpoint was disabled")
	assert.Contains(t, m.Text, recv.url())
	got := w.endpoint(t, w.ann, id)
	assert.Equal(t, "disabled", got["state"])
	assert.Contains(t, got["disabled_reason"], "4 consecutive failed deliveries")
	del := w.do(t, w.ann, "GET", "/v1/webhooks/"+id+"/deliveries", nil, 200)["items"].([]any)[0].(map[string]any)
	assert.Equal(t, "failed", del["status"], "the schedule is exhausted")

	// A disabled endpoint gets nothing, and refuses redelivery.
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Two", "type": "bug"}, 201)
	w.drain(t)
	w.do(t, w.ann, "POST", "/v1/webhooks/"+id+"/deliveries/"+del["id"].(string)+"/redeliver", nil, 409)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 4, recv.count())

	// Turned back on, it starts again from zero failures.
	on := w.do(t, w.ann, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": true}, 200)
	assert.Equal(t, "enabled", on["state"])
	assert.Equal(t, 0.0, on["consecutive_failures"])
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Three", "type": "bug"}, 201)
	w.drain(t)
	recv.wait(t, 5)
}

func TestWebhookRegistrationRefusesBadInputAndOtherTenants(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t)
	w := newWorld(t, recv)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"plain http", map[string]any{"url": "http://example.com/hook", "event_types": []string{"issue.created"}}, "url"},
		{"the metadata service", map[string]any{"url": "https://169.254.169.254/latest", "event_types": []string{"issue.created"}}, "url"},
		{"a private address", map[string]any{"url": "https://10.0.0.8/hook", "event_types": []string{"issue.created"}}, "url"},
		{"credentials", map[string]any{"url": "https://u:p@example.com/", "event_types": []string{"issue.created"}}, "url"},
		{"no URL", map[string]any{"event_types": []string{"issue.created"}}, "url"},
		{"no event types", map[string]any{"url": recv.url()}, "event_types"},
		{"an unknown event type", map[string]any{"url": recv.url(), "event_types": []string{"issue.exploded"}}, "event_types"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := w.api.As(w.ann).Do("POST", "/v1/webhooks", c.body)
			require.Equal(t, 422, res.Status, string(res.Body))
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			m := res.Map(t)
			assert.Equal(t, "invalid_webhook", m["code"])
			assert.Equal(t, c.field, m["errors"].([]any)[0].(map[string]any)["field"], string(res.Body))
		})
	}
	assert.Empty(t, w.do(t, w.ann, "GET", "/v1/webhooks", nil, 200)["items"], "nothing written")

	// Users are not Admins.
	w.do(t, w.bob, "GET", "/v1/webhooks", nil, 403)
	w.do(t, w.bob, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 403)

	// Another tenant's endpoint is answered like a missing one.
	id := w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 201)["id"].(string)
	missing := "01JZZZZZZZZZZZZZZZZZZZZZZZ"
	got := w.do(t, w.ann, "GET", "/v1/webhooks/"+id, nil, 200)
	assert.Equal(t, id, got["id"])
	assert.Equal(t, []any{"issue.created"}, got["event_types"])
	assert.NotContains(t, got, "secret", "the secret is shown once, at registration")
	assert.NotContains(t, got, "secrets")
	w.do(t, w.bob, "GET", "/v1/webhooks/"+id, nil, 403)
	foreign, absent := w.api.As(w.gus).Do("GET", "/v1/webhooks/"+id, nil), w.api.As(w.gus).Do("GET", "/v1/webhooks/"+missing, nil)
	require.Equal(t, 404, foreign.Status)
	require.Equal(t, 404, absent.Status)
	assert.Equal(t, absent.Map(t)["code"], foreign.Map(t)["code"])
	assert.Equal(t, absent.Map(t)["detail"], foreign.Map(t)["detail"])
	w.do(t, w.ann, "GET", "/v1/webhooks/not-an-id", nil, 404)
	for _, target := range []string{id, missing} {
		w.do(t, w.gus, "PATCH", "/v1/webhooks/"+target, map[string]any{"enabled": false}, 404)
		w.do(t, w.gus, "POST", "/v1/webhooks/"+target+"/rotate-secret", nil, 404)
		w.do(t, w.gus, "GET", "/v1/webhooks/"+target+"/deliveries", nil, 404)
		w.do(t, w.gus, "POST", "/v1/webhooks/"+target+"/deliveries/0000000000000_msg_x/redeliver", nil, 404)
		w.do(t, w.gus, "DELETE", "/v1/webhooks/"+target, nil, 404)
	}
	assert.Empty(t, w.do(t, w.gus, "GET", "/v1/webhooks", nil, 200)["items"])
	require.NotNil(t, w.endpoint(t, w.ann, id))
	// A bad change is refused whole.
	res := w.api.As(w.ann).Do("PATCH", "/v1/webhooks/"+id, map[string]any{"url": "https://127.0.0.1.nip.invalid/", "event_types": []string{}})
	require.Equal(t, 422, res.Status, string(res.Body))
	assert.Equal(t, []any{"issue.created"}, w.endpoint(t, w.ann, id)["event_types"])
	w.do(t, w.ann, "DELETE", "/v1/webhooks/"+id, nil, 204)
	assert.Nil(t, w.endpoint(t, w.ann, id))
	w.do(t, w.ann, "DELETE", "/v1/webhooks/"+id, nil, 404)
}

// SSRF on the delivery path: an endpoint that passed registration (here a
// loopback receiver, admitted by the local-only setting) redirects each
// delivery inward, to the metadata service or a private address. Every
// hop is checked after resolution, so each attempt is refused before a
// packet leaves for it, logged as refused (no status code), and retried
// on the schedule like any failure.
func TestADeliveryRedirectedInwardIsRefusedAndLogged(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t)
	w := newWorld(t, recv)
	targets := []string{"https://169.254.169.254/latest/meta-data/iam/security-credentials/", "https://10.0.0.1/internal",
		"https://[fd00:ec2::254]/latest/meta-data/", "https://169.254.169.254/"}
	var mu sync.Mutex
	hops := 0
	recv.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		to := targets[hops%len(targets)]
		hops++
		mu.Unlock()
		http.Redirect(rw, r, to, http.StatusTemporaryRedirect)
	})
	id := w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 201)["id"].(string)
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Redirected", "type": "bug"}, 201)
	w.drain(t)

	var del map[string]any
	require.Eventually(t, func() bool {
		items := w.do(t, w.ann, "GET", "/v1/webhooks/"+id+"/deliveries", nil, 200)["items"].([]any)
		if len(items) != 1 {
			return false
		}
		del = items[0].(map[string]any)
		return del["status"] == "failed"
	}, eventually.Deadline, 50*time.Millisecond, "the schedule runs out")
	attempts := del["attempts"].([]any)
	require.Len(t, attempts, 4, "the first attempt and three retries")
	for i, a := range attempts {
		m := a.(map[string]any)
		assert.Equal(t, "refused: the endpoint resolves to an address webhooks may not reach", m["error"], "attempt %d", i+1)
		assert.NotContains(t, m, "status_code", "attempt %d: no answer from inside", i+1)
	}
	mu.Lock()
	assert.Equal(t, 4, hops, "only the registered endpoint was reached")
	mu.Unlock()
	assert.Eventually(t, func() bool { return w.endpoint(t, w.ann, id)["state"] == "disabled" }, eventually.Deadline, 20*time.Millisecond,
		"refusals count as failures: the endpoint is disabled after them")
}

// The request path gains no round trip from notifications or webhooks:
// with an endpoint subscribed and the activity consumer running, creating
// an issue costs the three DynamoDB operations it costs without them
// (TestCreatingAnIssueCostsThreeRoundTrips), and its webhook and its
// assignee's inbox entry come afterwards, from the change stream.
func TestNotificationsAndWebhooksAddNoRoundTripToTheRequest(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t)
	w := newWorld(t, recv)
	cfg, e := testenv.AWS(t)
	var calls atomic.Int64
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countOperations",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				calls.Add(1) // once per operation: retries happen further down the stack
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
	metered := awsx.DynamoDB(cfg, e)
	w.api.PerFunction(func(_ routes.Function, d app.Deps) app.Deps {
		d.DB = metered // the tenant's data; the route guard's control reads stay unmetered
		return d
	})
	w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 201)
	// The tenant's first issue also creates its default project: the
	// figure is the one of every later issue.
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Warm-up"}, 201)

	calls.Store(0)
	iss := w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Counted"}, 201)
	assert.Equal(t, int64(3), calls.Load(), "the create's own round trips, nothing for notifications or webhooks")
	assert.Zero(t, recv.count())
	w.do(t, w.bob, "PATCH", "/v1/issues/"+iss["id"].(string), map[string]any{"assignee_id": "ann"}, 200)

	w.drain(t)
	_, bodies := recv.wait(t, 2) // the warm-up's and this one's, in either order
	assert.Contains(t, string(bodies[0])+string(bodies[1]), iss["id"].(string))
	var kinds []any
	for _, n := range w.do(t, w.ann, "GET", "/v1/notifications", nil, 200)["items"].([]any) {
		if n.(map[string]any)["issue_id"] == iss["id"] {
			kinds = append(kinds, n.(map[string]any)["kind"])
		}
	}
	assert.Contains(t, kinds, "assigned", "the assignee hears of it from the stream")
}

// The consumer may handle an issue's creation after later edits (a
// lagging stream, one batch holding both): issue.created still carries the
// issue as created. Taken from the creation's own stream image when the
// batch has it, and rebuilt from the activity entries written since when
// it does not (the image came in an earlier batch; a mention that the
// edits removed is then not recovered: the activity keeps the text only).
func TestIssueCreatedCarriesTheIssueAsCreated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		dropInsert bool
	}{{"the creation's image in the batch", false}, {"the creation's image in an earlier batch", true}} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newReceiver(t)
			w := newWorld(t, recv)
			if tc.dropInsert {
				inner := w.poller.Consumer
				w.poller.Consumer = changes.ConsumerFunc(func(ctx context.Context, batch []changes.Change) error {
					var rest []changes.Change
					for _, ch := range batch {
						if ch.Entity != issuedb.EntityIssue || ch.Op != changes.Insert {
							rest = append(rest, ch)
						}
					}
					return inner.Handle(ctx, rest)
				})
			}
			w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}, 201)
			for _, l := range []string{"ui", "api"} {
				w.do(t, w.ann, "POST", "/v1/labels", map[string]any{"name": l, "color": "#336699"}, 201)
			}
			created := w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "As filed", "type": "bug", "priority": "low",
				"assignee_id": "bob", "labels": []string{"ui"}, "description": "@ann look"}, 201)
			id := created["id"].(string)
			w.do(t, w.bob, "PATCH", "/v1/issues/"+id, map[string]any{"title": "As edited", "assignee_id": "ann", "priority": "urgent",
				"labels": []string{"ui", "api"}, "description": "@ann look again", "due_date": "2027-01-31"}, 200)
			w.do(t, w.bob, "PATCH", "/v1/issues/"+id, map[string]any{"title": "Edited twice"}, 200)
			for _, to := range []string{"in_progress", "closed"} {
				w.do(t, w.bob, "POST", "/v1/issues/"+id+"/transitions", map[string]any{"to": to}, 200)
			}
			now := w.do(t, w.bob, "GET", "/v1/issues/"+id, nil, 200)
			require.Equal(t, "Edited twice", now["title"])
			w.drain(t)

			_, bodies := recv.wait(t, 1)
			var payload struct {
				Type string
				Data struct{ Issue map[string]any }
			}
			require.NoError(t, json.Unmarshal(bodies[0], &payload))
			require.Equal(t, "issue.created", payload.Type)
			got := payload.Data.Issue
			for _, k := range []string{"id", "key", "title", "description", "status", "category", "priority", "assignee_id", "labels",
				"mentions", "version", "created_at", "updated_at"} {
				assert.Equal(t, created[k], got[k], "%s: as created", k)
			}
			for _, k := range []string{"due_date", "started_at", "resolved_at", "closed_at"} {
				assert.NotContains(t, got, k, "set after the creation")
			}
			assert.Equal(t, created, got, "the issue as the creation's answer showed it")
		})
	}
}

// SSRF through the whole path, with names resolved by a DNS server of the
// test (the guard's resolver) and loopback not admitted (as in AWS): a
// name resolving to 10.x, 127.0.0.1 or the metadata address is refused at
// registration; a name that resolves to a public address at registration
// and inward afterwards (DNS rebinding) is refused at every attempt, since
// the dialler checks the address it actually connects to, and each
// refusal is in the delivery log.
func TestEndpointsResolvingInwardAreRefusedAtRegistrationAndWhenDelivering(t *testing.T) {
	t.Parallel()
	const public = "93.184.216.34"
	inward := map[string]string{"inside": "10.1.2.3", "loop": "127.0.0.1", "meta": "169.254.169.254"}
	names := map[string][]string{}
	for n, ip := range inward {
		names[n+".hooks.test"] = []string{ip}
		names["rebind-"+n+".hooks.test"] = []string{public, ip}
	}
	dns := testdns.Resolver(t, names)
	w := newWorldWith(t, func(g *webhook.Guard) { g.AllowLoopback, g.Resolver = false, dns })

	for n := range inward {
		res := w.api.As(w.ann).Do("POST", "/v1/webhooks", map[string]any{"url": "https://" + n + ".hooks.test/hook",
			"event_types": []string{"issue.created"}})
		require.Equal(t, 422, res.Status, "%s: %s", n, res.Body)
		assert.Equal(t, "url", res.Map(t)["errors"].([]any)[0].(map[string]any)["field"], n)
	}
	assert.Empty(t, w.do(t, w.ann, "GET", "/v1/webhooks", nil, 200)["items"], "nothing written")

	ids := map[string]string{}
	for n := range inward {
		ids[n] = w.do(t, w.ann, "POST", "/v1/webhooks", map[string]any{"url": "https://rebind-" + n + ".hooks.test/hook",
			"event_types": []string{"issue.created"}}, 201)["id"].(string)
	}
	w.do(t, w.bob, "POST", "/v1/issues", map[string]any{"title": "Rebound", "type": "bug"}, 201)
	w.drain(t)
	for n, id := range ids {
		var del map[string]any
		require.Eventually(t, func() bool {
			items := w.do(t, w.ann, "GET", "/v1/webhooks/"+id+"/deliveries", nil, 200)["items"].([]any)
			if len(items) != 1 {
				return false
			}
			del = items[0].(map[string]any)
			return del["status"] == "failed"
		}, eventually.Deadline, 50*time.Millisecond, "%s: the schedule runs out", n)
		attempts := del["attempts"].([]any)
		require.Len(t, attempts, 4, "%s: the first attempt and three retries", n)
		for i, a := range attempts {
			m := a.(map[string]any)
			assert.Equal(t, "refused: the endpoint resolves to an address webhooks may not reach", m["error"], "%s: attempt %d", n, i+1)
			assert.NotContains(t, m, "status_code", "%s: attempt %d", n, i+1)
		}
	}
}

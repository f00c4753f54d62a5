package notifyapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/people/peopledb"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// world: acme (ann, bob, carl, dave; team core = dave) and globex (gus) on
// fresh tables, the API, and the activity consumer fed by the local poller.
type world struct {
	api                  *apitest.API
	deps                 app.Deps
	names                schema.Names
	ann, bob, carl, dave tenancy.Principal
	gus                  tenancy.Principal
	email                map[string]string
	poller               *streampoller.Poller
	newPoller            func(name string) *streampoller.Poller
}

const window = time.Hour // nothing is due until the test says so

func newWorld(t *testing.T) *world {
	t.Helper()
	db, names := testenv.StreamTables(t)
	cfg, e := testenv.AWS(t)
	ctx := context.Background()
	keys, err := list.StaticKey("notify-test-cursor-key-0123456789abcdef")
	require.NoError(t, err)
	run := names.Prefix // unique per test: the tests run in parallel
	w := &world{names: names, email: map[string]string{}}
	p := func(tn, id string) tenancy.Principal {
		mail := id + "@" + run + "." + tn + ".test"
		w.email[id] = mail
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tn}, people.User{ID: id, TenantID: tn, Username: id,
			Email: mail, DisplayName: strings.ToUpper(id[:1]) + id[1:], Role: roles.User, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tn, UserID: id, Username: id, Email: mail, Role: roles.User, Tier: tiers.Standard, Table: names.App()}
	}
	for _, tn := range []string{"acme", "globex"} {
		err := tenantdb.New(db, names).Create(ctx, tenant.Tenant{ID: tn, Name: strings.ToUpper(tn[:1]) + tn[1:], Tier: tiers.Standard,
			Status: tenant.StatusActive, Table: names.App()})
		require.NoError(t, err)
	}
	w.ann, w.bob, w.carl, w.dave, w.gus = p("acme", "ann"), p("acme", "bob"), p("acme", "carl"), p("acme", "dave"), p("globex", "gus")
	teams, acme := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}, tenancy.Scope{Table: names.App(), TenantID: "acme"}
	_, err = teams.Put(ctx, acme, people.Team{ID: "core", TenantID: "acme", Name: "Core", CreatedAt: time.Now(), UpdatedAt: time.Now()})
	require.NoError(t, err)
	_, err = teams.AddMember(ctx, acme, people.Member{TeamID: "core", UserID: "dave", AddedAt: time.Now()})
	require.NoError(t, err)
	w.deps = app.Deps{DB: db, Names: names, Now: time.Now, Mail: testenv.MailSender(t), WebBaseURL: "http://web.test",
		APIBaseURL: "http://api.test", Cursors: list.Codec{Keys: keys}}
	w.api = apitest.New(t, w.deps)
	w.newPoller = func(name string) *streampoller.Poller {
		return &streampoller.Poller{Name: name, DB: db, Streams: awsconfig.Streams(cfg, e),
			Consumer: app.ActivityConsumer(db, window, nil, nil, nil), Filter: notifydb.Filter,
			Tables:      func(context.Context) ([]string, error) { return []string{names.App()}, nil },
			Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()}}
	}
	w.poller = w.newPoller(notifydb.ConsumerName)
	return w
}

func (w *world) drain(t *testing.T) {
	t.Helper()
	require.NoError(t, w.poller.Drain(context.Background()))
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

func (w *world) inbox(t *testing.T, p tenancy.Principal) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, it := range w.do(t, p, "GET", "/v1/notifications", nil, 200)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func (w *world) unread(t *testing.T, p tenancy.Principal) float64 {
	return w.do(t, p, "GET", "/v1/notifications/unread-count", nil, 200)["unread"].(float64)
}

func kinds(ns []map[string]any) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n["kind"].(string))
	}
	return out
}

func (w *world) watchers(t *testing.T, p tenancy.Principal, issueID string) map[string]string {
	out := map[string]string{}
	for _, it := range w.do(t, p, "GET", "/v1/issues/"+issueID+"/watchers", nil, 200)["items"].([]any) {
		m := it.(map[string]any)
		out[m["user_id"].(string)] = m["reason"].(string)
	}
	return out
}

func TestWatchersAndInboxFromTheChangeStream(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	iss := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Login fails", "type": "bug",
		"assignee_id": "bob", "description": "@carl can you check?"}, 201)
	id := iss["id"].(string)

	// The request wrote no notification: the stream does, afterwards.
	require.Empty(t, w.inbox(t, w.bob), "nothing in the request path")
	w.drain(t)

	assert.Equal(t, []string{"assigned"}, kinds(w.inbox(t, w.bob)))
	assert.Equal(t, []string{"mentioned"}, kinds(w.inbox(t, w.carl)))
	assert.Empty(t, w.inbox(t, w.ann), "the actor is not notified of their own change")
	assert.Equal(t, map[string]string{"ann": "reporter", "bob": "assignee", "carl": "mentioned"}, w.watchers(t, w.ann, id))
	assert.Equal(t, 1.0, w.unread(t, w.bob))

	// A comment mentioning dave: dave is mentioned (and watches), the other
	// watchers hear of the comment, its author does not.
	w.do(t, w.bob, "POST", "/v1/issues/"+id+"/comments", map[string]any{"body": "Looks like a token problem, @dave?"}, 201)
	w.drain(t)
	assert.Equal(t, []string{"mentioned"}, kinds(w.inbox(t, w.dave)))
	assert.Equal(t, []string{"assigned"}, kinds(w.inbox(t, w.bob)))
	assert.Equal(t, []string{"commented"}, kinds(w.inbox(t, w.ann)))
	assert.Equal(t, []string{"commented", "mentioned"}, kinds(w.inbox(t, w.carl)))
	assert.Contains(t, w.inbox(t, w.ann)[0]["excerpt"], "token problem")

	// The stream may deliver everything again: a new reader from the start
	// of the stream changes nothing.
	require.NoError(t, w.newPoller("activity-replay").Drain(context.Background()))
	assert.Len(t, w.inbox(t, w.carl), 2)
	assert.Equal(t, 2.0, w.unread(t, w.carl))

	// carl unwatches: a transition does not reach him, a mention does
	// (and makes him watch again).
	assert.Equal(t, false, w.do(t, w.carl, "DELETE", "/v1/issues/"+id+"/watchers/me", nil, 200)["watching"])
	w.do(t, w.bob, "POST", "/v1/issues/"+id+"/transitions", map[string]any{"to": "in_progress"}, 200)
	w.drain(t)
	assert.Len(t, w.inbox(t, w.carl), 2)
	assert.Equal(t, "status_changed", w.inbox(t, w.ann)[0]["kind"])
	assert.Equal(t, "moved "+iss["key"].(string)+" to in_progress", w.inbox(t, w.ann)[0]["summary"])
	w.do(t, w.ann, "POST", "/v1/issues/"+id+"/comments", map[string]any{"body": "@carl please weigh in"}, 201)
	w.drain(t)
	assert.Equal(t, "mentioned", w.inbox(t, w.carl)[0]["kind"])
	assert.Contains(t, w.watchers(t, w.ann, id), "carl")

	// Reassigning to the team notifies its members; a manual watch works.
	w.do(t, w.ann, "PATCH", "/v1/issues/"+id, map[string]any{"assignee_id": nil, "team_id": "core"}, 200)
	w.drain(t)
	assert.Equal(t, "assigned", w.inbox(t, w.dave)[0]["kind"])
	assert.Equal(t, true, w.do(t, w.dave, "PUT", "/v1/issues/"+id+"/watchers/me", nil, 200)["watching"])

	// Mark read, then all read.
	n := w.inbox(t, w.carl)[0]["id"].(string)
	before := w.unread(t, w.carl)
	assert.Equal(t, true, w.do(t, w.carl, "POST", "/v1/notifications/"+n+"/read", nil, 200)["read"])
	w.do(t, w.carl, "POST", "/v1/notifications/"+n+"/read", nil, 200) // again: no double count
	assert.Equal(t, before-1, w.unread(t, w.carl))
	unread := w.do(t, w.carl, "GET", "/v1/notifications?unread=true", nil, 200)["items"].([]any)
	assert.Len(t, unread, int(before-1))
	w.do(t, w.carl, "POST", "/v1/notifications/read-all", nil, 200)
	assert.Equal(t, 0.0, w.unread(t, w.carl))
	assert.Empty(t, w.do(t, w.carl, "GET", "/v1/notifications?unread=true", nil, 200)["items"])
	for _, x := range w.inbox(t, w.carl) {
		assert.Equal(t, true, x["read"])
	}

	// Another tenant sees none of it, exactly as if it did not exist.
	w.do(t, w.gus, "GET", "/v1/issues/"+id+"/watchers", nil, 404)
	w.do(t, w.gus, "PUT", "/v1/issues/"+id+"/watchers/me", nil, 404)
	w.do(t, w.gus, "POST", "/v1/notifications/"+n+"/read", nil, 404)
	dv := w.inbox(t, w.dave)
	bobsComment := dv[len(dv)-1]["id"].(string) // dave was mentioned in bob's comment: bob has no such entry
	w.do(t, w.bob, "POST", "/v1/notifications/"+bobsComment+"/read", nil, 404)

	// Deleting the issue forgets its watchers.
	admin := w.ann
	admin.Role = roles.Admin
	w.do(t, admin, "DELETE", "/v1/issues/"+id, nil, 204)
	w.drain(t)
	st := notifydb.Store{DB: w.deps.DB}
	ws, err := st.Watchers(tenancy.WithTenant(context.Background(), "acme"), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, id)
	require.NoError(t, err)
	assert.Empty(t, ws)
}

func TestPreferencesRefuseBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	got := w.do(t, w.ann, "GET", "/v1/notifications/preferences", nil, 200)
	assert.Equal(t, "immediately", got["email"].(map[string]any)["mentioned"])
	for name, c := range map[string]struct {
		body  any
		field string
	}{
		"unknown kind":    {map[string]any{"email": map[string]any{"liked": "off"}}, "email.liked"},
		"unknown mode":    {map[string]any{"email": map[string]any{"mentioned": "hourly"}}, "email.mentioned"},
		"no email object": {map[string]any{}, "email"},
	} {
		t.Run(name, func(t *testing.T) {
			res := w.api.As(w.ann).Do("PUT", "/v1/notifications/preferences", c.body)
			require.Equal(t, 400, res.Status, res.Body)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			p := res.Map(t)
			assert.Equal(t, "validation_failed", p["code"])
			assert.Equal(t, c.field, p["errors"].([]any)[0].(map[string]any)["field"], string(res.Body))
		})
	}
	assert.Equal(t, got, w.do(t, w.ann, "GET", "/v1/notifications/preferences", nil, 200), "nothing changed")
	put := w.do(t, w.ann, "PUT", "/v1/notifications/preferences", map[string]any{"email": map[string]any{"commented": "off"}}, 200)
	assert.Equal(t, "off", put["email"].(map[string]any)["commented"])
	assert.Equal(t, "immediately", put["email"].(map[string]any)["mentioned"], "kinds left out keep their mode")
	w.do(t, w.ann, "GET", "/v1/notifications?unread=maybe", nil, 400)
}

func TestABurstIsOneMailWithAOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	box := testenv.NewMailbox(t, w.email["bob"])
	var keys []string
	for i := range 3 {
		iss := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": fmt.Sprintf("Bug %d", i), "type": "bug", "assignee_id": "bob"}, 201)
		keys = append(keys, iss["key"].(string))
	}
	w.drain(t)
	ctx := context.Background()
	m := app.NewMailer(w.deps)
	n, err := m.SendDue(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, "Acme", time.Now())
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is due within the batching window")
	n, err = m.SendDue(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, "Acme", time.Now().Add(window+time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "three assignments in one window are one mail")
	msg := box.Next("[Acme] 3 updates on issues you follow")
	for _, k := range keys {
		assert.Contains(t, msg.Text, "Ann assigned "+k+" to you")
	}
	box.None()
	n, err = m.SendDue(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, "Acme", time.Now().Add(window+time.Minute))
	require.NoError(t, err)
	assert.Zero(t, n, "a sent batch is not sent again")

	// The mail's one-click unsubscribe turns every kind off; a forged token
	// changes nothing.
	i := strings.Index(msg.Text, "http://api.test/v1/notifications/unsubscribe?token=")
	require.GreaterOrEqual(t, i, 0, msg.Text)
	link := strings.Fields(msg.Text[i:])[0]
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("token")
	forged := w.api.Anonymous().Do("POST", "/v1/notifications/unsubscribe?token="+url.QueryEscape(tok[:len(tok)-2]+"xx"), nil)
	assert.Equal(t, 400, forged.Status, forged.Body)
	assert.Equal(t, "immediately", w.do(t, w.bob, "GET", "/v1/notifications/preferences", nil, 200)["email"].(map[string]any)["assigned"])
	res := w.api.Anonymous().Do("POST", u.RequestURI(), nil)
	require.Equal(t, 200, res.Status, res.Body)
	for _, k := range notify.Kinds {
		assert.Equal(t, "off", w.do(t, w.bob, "GET", "/v1/notifications/preferences", nil, 200)["email"].(map[string]any)[string(k)])
	}
	// Mail off: the next assignment reaches the inbox only.
	w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "One more", "type": "bug", "assignee_id": "bob"}, 201)
	w.drain(t)
	n, err = m.SendDue(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, "Acme", time.Now().Add(2*window))
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Len(t, w.inbox(t, w.bob), 4)
}

// A mention reaches the mentioned colleague twice, as the issue's "Tests
// and figures" asks: an inbox entry written by the change stream's
// consumer, and a mail read back through the SMTP catcher's API (mailpit
// /api/v1), carrying the comment's words, a link to the issue and the
// one-click unsubscribe headers' link.
func TestAMentionReachesTheInboxAndTheMailbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	box := testenv.NewMailbox(t, w.email["bob"])
	iss := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Export times out", "type": "bug"}, 201)
	key := iss["key"].(string)
	w.drain(t)
	require.Empty(t, w.inbox(t, w.bob), "bob is not involved yet")

	w.do(t, w.ann, "POST", "/v1/issues/"+iss["id"].(string)+"/comments", map[string]any{"body": "@bob could you profile the export query?"}, 201)
	w.drain(t)
	in := w.inbox(t, w.bob)
	require.Len(t, in, 1)
	assert.Equal(t, "mentioned", in[0]["kind"])
	assert.Equal(t, false, in[0]["read"])
	assert.Contains(t, in[0]["excerpt"], "profile the export query")
	assert.Equal(t, 1.0, w.unread(t, w.bob))
	assert.Contains(t, w.watchers(t, w.ann, iss["id"].(string)), "bob", "a mention makes bob watch")

	ctx := tenancy.WithTenant(context.Background(), "acme")
	n, err := app.NewMailer(w.deps).SendDue(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, "Acme", time.Now().Add(window+time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	msg := box.Next("[Acme] Ann ")
	assert.Equal(t, []string{w.email["bob"]}, msg.To)
	assert.Contains(t, msg.Subject, key)
	assert.Contains(t, msg.Text, "profile the export query")
	assert.Contains(t, msg.Text, "http://web.test/", "a link to the issue in the web app")
	assert.Contains(t, msg.Text, "/v1/notifications/unsubscribe?token=")
	assert.Contains(t, msg.HTML, "profile the export query")
	box.None()

	// RFC 8058 one-click: the mail carries List-Unsubscribe with the signed
	// link and List-Unsubscribe-Post; a mail client POSTs the form body
	// "List-Unsubscribe=One-Click" to the link, unauthenticated.
	var raw struct {
		ListUnsubscribe struct{ Header, HeaderPost string }
	}
	res, err := http.Get(testenv.Mail(t).API + "/api/v1/message/" + msg.ID)
	require.NoError(t, err)
	defer res.Body.Close()
	require.NoError(t, json.NewDecoder(res.Body).Decode(&raw))
	assert.Equal(t, "List-Unsubscribe=One-Click", raw.ListUnsubscribe.HeaderPost)
	link := strings.Trim(raw.ListUnsubscribe.Header, "<>")
	require.True(t, strings.HasPrefix(link, "http://api.test/v1/notifications/unsubscribe?token="), link)
	assert.Contains(t, msg.Text, link, "the same link as in the text")
	u, err := url.Parse(link)
	require.NoError(t, err)
	click := w.api.Anonymous().Do("POST", u.RequestURI(), "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, 200, click.Status, string(click.Body))
	for _, k := range notify.Kinds {
		assert.Equal(t, "off", w.do(t, w.bob, "GET", "/v1/notifications/preferences", nil, 200)["email"].(map[string]any)[string(k)])
	}
}

// Bursts are batched with the real window (notify.BatchWindow, five
// minutes): twenty edits of a watched issue within it are one mail, sent
// once the window after the first edit has passed, and nothing before.
// (Edits by others are off by default; bob asks for them at once.)
func TestTwentyEditsInFiveMinutesAreOneMail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.Equal(t, 5*time.Minute, notify.BatchWindow)
	cfg, e := testenv.AWS(t)
	poller := &streampoller.Poller{Name: "activity-real-window", DB: w.deps.DB, Streams: awsconfig.Streams(cfg, e),
		Consumer: app.ActivityConsumer(w.deps.DB, 0, nil, nil, nil), Filter: notifydb.Filter, // 0: notify.BatchWindow
		Tables:      func(context.Context) ([]string, error) { return []string{w.names.App()}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: w.deps.DB, Table: w.names.Control()}}
	box := testenv.NewMailbox(t, w.email["bob"])
	iss := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Flaky login", "type": "bug"}, 201)
	id := iss["id"].(string)
	w.do(t, w.bob, "PUT", "/v1/issues/"+id+"/watchers/me", nil, 200)
	w.do(t, w.bob, "PUT", "/v1/notifications/preferences", map[string]any{"email": map[string]any{"updated": "immediately"}}, 200)
	start := time.Now()
	for i := range 20 {
		w.do(t, w.ann, "PATCH", "/v1/issues/"+id, map[string]any{"title": fmt.Sprintf("Flaky login (attempt %d)", i+1)}, 200)
	}
	require.Less(t, time.Since(start), notify.BatchWindow, "the twenty edits fall in one window")
	require.NoError(t, poller.Drain(context.Background()))
	updates := 0
	for _, n := range w.inbox(t, w.bob) {
		if n["kind"] == "updated" {
			updates++
		}
	}
	assert.Equal(t, 20, updates, "every edit is in the inbox")

	ctx := tenancy.WithTenant(context.Background(), "acme")
	sc := tenancy.Scope{Table: w.names.App(), TenantID: "acme"}
	m := app.NewMailer(w.deps)
	n, err := m.SendDue(ctx, sc, "Acme", start.Add(notify.BatchWindow-30*time.Second))
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is sent within the five minutes")
	n, err = m.SendDue(ctx, sc, "Acme", time.Now().Add(notify.BatchWindow+time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "twenty edits are one mail")
	msg := box.Next("[Acme] 20 updates on issues you follow")
	assert.Equal(t, 20, strings.Count(msg.Text, "Flaky login"), msg.Text)
	box.None()
	n, err = m.SendDue(ctx, sc, "Acme", time.Now().Add(2*notify.BatchWindow))
	require.NoError(t, err)
	assert.Zero(t, n, "and it is sent once")
}

// The daily digest: kinds a person gets daily (status changes by default)
// wait for notify.DigestHour (UTC) and go out as one digest, while what
// they get at once (comments by default) goes out in its own batch after
// the window, without the digest's lines.
func TestStatusChangesWaitForTheDailyDigest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const short = time.Minute
	cfg, e := testenv.AWS(t)
	poller := &streampoller.Poller{Name: "activity-digest", DB: w.deps.DB, Streams: awsconfig.Streams(cfg, e),
		Consumer: app.ActivityConsumer(w.deps.DB, short, nil, nil, nil), Filter: notifydb.Filter,
		Tables:      func(context.Context) ([]string, error) { return []string{w.names.App()}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: w.deps.DB, Table: w.names.Control()}}
	box := testenv.NewMailbox(t, w.email["bob"])
	iss := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Slow search", "type": "bug"}, 201)
	id, key := iss["id"].(string), iss["key"].(string)
	w.do(t, w.bob, "PUT", "/v1/issues/"+id+"/watchers/me", nil, 200)
	prefs := w.do(t, w.bob, "GET", "/v1/notifications/preferences", nil, 200)["email"].(map[string]any)
	require.Equal(t, "daily", prefs["status_changed"])
	require.Equal(t, "immediately", prefs["commented"])
	w.do(t, w.ann, "POST", "/v1/issues/"+id+"/transitions", map[string]any{"to": "in_progress"}, 200)
	w.do(t, w.ann, "POST", "/v1/issues/"+id+"/comments", map[string]any{"body": "Found the missing index"}, 201)
	w.do(t, w.ann, "POST", "/v1/issues/"+id+"/transitions", map[string]any{"to": "closed"}, 200)
	require.NoError(t, poller.Drain(context.Background()))
	assert.ElementsMatch(t, []string{"status_changed", "commented", "status_changed"}, kinds(w.inbox(t, w.bob)), "the inbox has everything at once")

	ctx := tenancy.WithTenant(context.Background(), "acme")
	sc := tenancy.Scope{Table: w.names.App(), TenantID: "acme"}
	m := app.NewMailer(w.deps)
	digest := notify.Daily.Due(time.Now(), 0)
	require.Equal(t, notify.DigestHour, digest.Hour())
	// (Run within two minutes of the digest hour, the comment's batch is
	// due at the same time as the digest: it is then checked with it.)
	early := false
	if soon := time.Now().Add(short + time.Minute); soon.Before(digest) {
		early = true
		n, err := m.SendDue(ctx, sc, "Acme", soon)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "the comment goes out after the window")
		msg := box.Next("[Acme] Ann commented")
		assert.Contains(t, msg.Text, "Found the missing index")
		assert.NotContains(t, msg.Text, "in_progress", "the status changes wait for the digest")
		assert.NotContains(t, msg.Text, "closed")
	}
	n, err := m.SendDue(ctx, sc, "Acme", digest.Add(-time.Second))
	require.NoError(t, err)
	if early {
		assert.Zero(t, n, "nothing more before the digest hour")
	} else {
		box.Next("[Acme] Ann commented")
	}
	n, err = m.SendDue(ctx, sc, "Acme", digest)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the digest goes out at the digest hour")
	msg := box.Next("[Acme] Your daily digest: 2 updates")
	assert.Contains(t, msg.Text, "moved "+key+" to in_progress")
	assert.Contains(t, msg.Text, "moved "+key+" to closed")
	assert.NotContains(t, msg.Text, "Found the missing index", "the comment went in its own batch")
	box.None()
}

// The consumer may handle an issue's creation after later edits (a lagging
// stream, one batch): the creation still addresses the people of the
// issue as it was created, and each edit its own, so nobody is told twice.
func TestACreationHandledAfterEditsTellsNobodyTwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Created unassigned, then assigned to bob before the consumer ran.
	a := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Assigned later", "type": "bug"}, 201)["id"].(string)
	w.do(t, w.ann, "PATCH", "/v1/issues/"+a, map[string]any{"assignee_id": "bob"}, 200)
	// Created for bob mentioning dave, then reassigned to carl with a
	// description that also mentions carl.
	b := w.do(t, w.ann, "POST", "/v1/issues", map[string]any{"title": "Reassigned", "type": "bug", "assignee_id": "bob",
		"description": "@dave saw it first"}, 201)["id"].(string)
	w.do(t, w.ann, "PATCH", "/v1/issues/"+b, map[string]any{"assignee_id": "carl", "description": "@dave saw it first, @carl too"}, 200)
	w.drain(t)

	of := func(p tenancy.Principal, issueID string) []string {
		var out []string
		for _, n := range w.inbox(t, p) {
			if n["issue_id"] == issueID {
				out = append(out, n["kind"].(string))
			}
		}
		return out
	}
	assert.Equal(t, []string{"assigned"}, of(w.bob, a), "assigned once, by the edit")
	// (newest first) bob was assigned by the creation and, as a watcher,
	// hears of the edit that reassigned it; carl is addressed by the edit
	// only (assigned and mentioned: the strongest kind); dave was mentioned
	// by the creation and, as a watcher, hears of the edit.
	assert.Equal(t, []string{"updated", "assigned"}, of(w.bob, b))
	assert.Equal(t, []string{"mentioned"}, of(w.carl, b), "not also assigned by the creation")
	assert.Equal(t, []string{"updated", "mentioned"}, of(w.dave, b))
}

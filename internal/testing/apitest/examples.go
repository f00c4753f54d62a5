package apitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookdb"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"

	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/pquerna/otp/totp"
)

// Example is one call of an operation in a seeded World that its handler
// answers with success (or, where the world cannot make success, with a
// documented error).
type Example struct {
	// Caller is a seeded user's email, "root", or "" (anonymous).
	Caller string
	// Path is the target (with query); "" is the route's path with the
	// seeded ids.
	Path string
	// Body is the request body; Alt another valid body of the operation.
	Body, Alt any
	// Headers are sent with every call of the example (name, value, ...).
	Headers []string
}

// Target is the example's target: its Path, or route (a route table
// path) with c's seeded ids.
func (e Example) Target(c Content, route string) string {
	if e.Path != "" {
		return e.Path
	}
	return c.Path(route)
}

// Call sends the example (with extra headers) to the world.
func (w *World) Call(ex Example, method, path string, body any, headers ...string) *Response {
	headers = append(append([]string(nil), ex.Headers...), headers...)
	switch ex.Caller {
	case "":
		return w.API.Anonymous().Do(method, path, body, headers...)
	case "root":
		return w.Root().Do(method, path, body, headers...)
	}
	return w.As(ex.Caller).Do(method, path, body, headers...)
}

// exampleOwner is the caller of most examples: acme's Super Admin.
const exampleOwner = "owner@acme.test"

// exampleFixtures are what the examples act on besides SeedContent: spare
// objects for the destructive operations, tokens, a TOTP code and
// registrations in each state the sign-up operations need.
type exampleFixtures struct {
	tokens                                          map[string]string // registrations' status tokens, by slug
	spareIssue, spareLabel, spareTeam, spareComment string
	view, spareView                                 string // saved views of the owner
	importDone, importOpen                          string // imports: every part in; one part of two in
	relTarget, spareRelation                        string // an issue to relate to; a relation to delete
	issue                                           string // the seeded issue's path
	cycle                                           string // the seeded current cycle's id
	spareCycle, spareField                          string // a cycle and a custom field to delete
	leaving                                         people.User
	tok, adminTok                                   cognito.Tokens
	code, admin, domain, verifyCode                 string
	totpSecret                                      string // the owner's TOTP secret: verifyTOTP's code is made when it runs
	paid                                            string // a paid workspace's Super Admin
	event, altEvent                                 []byte // signed Stripe webhook events
	eventSignature                                  string
	// Attachments: one ready, one spare (delete), one uploaded but not yet
	// confirmed; a notification in the owner's inbox and the owner's
	// unsubscribe token.
	readyFile, spareFile, pendingFile string
	note, unsubscribe                 string
	// Webhooks: an endpoint with one delivery, and a spare (delete).
	hook, spareHook, delivery string
}

// Examples returns one example per operation id of the route table, on the
// content SeedContent made plus spare objects for the destructive ones.
func (w *World) Examples(c Content) map[string]Example {
	w.t.Helper()
	f := w.exampleFixtures(c)
	all := map[string]Example{}
	for _, ex := range []map[string]Example{metaExamples(), issueExamples(f), tenantExamples(f), peopleExamples(w, c, f), insightExamples(), billingExamples(f), collabExamples(f, c), w.workflowExamples()} {
		maps.Copy(all, ex)
	}
	return all
}

func (w *World) exampleFixtures(c Content) exampleFixtures {
	var f exampleFixtures
	ctx := context.Background()
	ownerC := w.As(exampleOwner)
	post := func(path string, body any) string {
		res := ownerC.Do("POST", path, body)
		if res.Status != 201 {
			w.t.Fatalf("examples: POST %s: %d %s", path, res.Status, res.Body)
		}
		return res.Map(w.t)["id"].(string)
	}
	f.spareIssue = post("/v1/issues", map[string]any{"title": "to delete"})
	f.spareLabel = post("/v1/labels", map[string]any{"name": "to delete"})
	f.spareTeam = post("/v1/teams", map[string]any{"name": "to delete"})
	f.issue = "/v1/issues/" + c["issueId"]
	f.cycle = c["cycleId"]
	f.spareCycle = post("/v1/cycles", map[string]any{"name": "to delete", "project_id": "default", "starts_on": "2098-01-01", "ends_on": "2098-01-14"})
	f.spareField = post("/v1/projects/default/fields", map[string]any{"name": "to delete", "type": "text"})
	f.spareComment = post(f.issue+"/comments", map[string]any{"body": "to delete"})
	f.view = "/v1/views/" + post("/v1/views", map[string]any{"name": "Open bugs", "filter": map[string]any{"type": "bug", "category": "unstarted"}})
	f.spareView = "/v1/views/" + post("/v1/views", map[string]any{"name": "to delete"})
	f.importDone = w.importForExample("Summary,Priority\nImported,High\n", 1)
	f.importOpen = w.importForExample("Summary,Priority\nHalf,Low\nsent,High\n", 2)
	f.relTarget = post("/v1/issues", map[string]any{"title": "related"})
	f.spareRelation = post(f.issue+"/relations", map[string]any{"type": "relates_to", "issue_id": post("/v1/issues", map[string]any{"title": "unrelated soon"})})
	f.leaving = w.SeedUser("leaving@acme.test", "acme", roles.User)
	var err error
	f.tok, err = cognitotest.SignIn(ctx, w.Pools.C, w.Client, exampleOwner, Password, "", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	// TOTP set-up is started here so verifyTOTP has a secret to answer.
	res := ownerC.Do("POST", "/v1/me/mfa/totp", map[string]any{"access_token": f.tok.AccessToken})
	if res.Status != 200 {
		w.t.Fatalf("examples: associate TOTP: %d %s", res.Status, res.Body)
	}
	f.totpSecret = res.Map(w.t)["secret_code"].(string)
	// associateTOTP's example is another user's, so it does not replace
	// the secret that code answers.
	f.adminTok, err = cognitotest.SignIn(ctx, w.Pools.C, w.Client, "admin@acme.test", Password, "", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	f.admin = w.Users["admin@acme.test"].ID
	// Registrations in each state the sign-up operations need: one waiting
	// for its code (verify), one for a resend, one verified paid tier
	// waiting for Root's approval.
	f.domain = w.Deps.Names.Prefix + ".test"
	f.verifyCode = w.registerForExample("vandelay", "basic", f.domain)
	w.registerForExample("initrode", "basic", f.domain)
	approveCode := w.registerForExample("wonka", "standard", f.domain)
	if res := w.API.Anonymous().Do("POST", "/v1/registrations/wonka/verify?token="+w.tokens["wonka"], map[string]any{"code": approveCode}); res.Status != 200 {
		w.t.Fatalf("examples: verify wonka: %d %s", res.Status, res.Body)
	}
	w.collabFixtures(&f, c)
	w.billingFixtures(&f)
	f.tokens = w.tokens
	// A suppressed address for Root to lift (SES reported it bouncing).
	sup := maildb.Suppressions{DB: w.Deps.Control(), Table: w.Deps.Names.Control()}
	if err := sup.Suppress(ctx, mail.Suppression{Address: exampleSuppressed, Reason: mail.ReasonBounce, At: time.Now()}); err != nil {
		w.t.Fatal(err)
	}
	return f
}

// exampleSuppressed is the address deleteSuppression's example lifts.
const exampleSuppressed = "bounced@example.com"

// billingFixtures makes a paid workspace with a subscription (checkout
// completed by a signed Stripe event), a paid registration waiting for its
// payment, and two signed webhook events.
func (w *World) billingFixtures(f *exampleFixtures) {
	f.paid = w.paidWorkspaceForExample("globochem", "standard", f.domain)
	w.registerForExample("soylent", "premium", f.domain)
	if res := w.API.Anonymous().Do("POST", "/v1/registrations/soylent/verify?token="+w.tokens["soylent"],
		map[string]any{"code": w.lastCode("soylent", f.domain)}); res.Status != 200 {
		w.t.Fatalf("examples: verify soylent: %d %s", res.Status, res.Body)
	}
	f.event, f.eventSignature = stripebilling.SignedEvent(WebhookSecret, "evt_example_"+f.domain, "customer.created",
		map[string]any{"id": "cus_example", "object": "customer"}, time.Now())
	f.altEvent, _ = stripebilling.SignedEvent(WebhookSecret, "evt_example_alt_"+f.domain, "customer.created",
		map[string]any{"id": "cus_example_alt", "object": "customer"}, time.Now())
}

func metaExamples() map[string]Example {
	return map[string]Example{
		"getHealth": {}, "listTiers": {}, "getOpenAPI": {},
		"getMe":       {Caller: exampleOwner},
		"signOut":     {Caller: "user@acme.test"},
		"getRootMe":   {Caller: "root"},
		"signOutRoot": {Caller: "root"},
	}
}

func insightExamples() map[string]Example {
	return map[string]Example{
		"getIssueAnalytics":    {Caller: exampleOwner, Path: "/v1/analytics/issues?bucket=week"},
		"getWorkload":          {Caller: exampleOwner, Path: "/v1/analytics/workload?group_by=priority"},
		"getTeamVelocity":      {Caller: exampleOwner},
		"getUserPerformance":   {Caller: exampleOwner},
		"getAnalyticsSettings": {Caller: exampleOwner},
		"putAnalyticsSettings": {Caller: exampleOwner, Body: map[string]any{"time_zone": "Europe/Paris"}},
		"getUsage":             {Caller: exampleOwner},
		"getRootUsage":         {Caller: "root", Path: "/v1/admin/usage?month=" + time.Now().UTC().Format("2006-01")},
	}
}

func billingExamples(f exampleFixtures) map[string]Example {
	return map[string]Example{
		"getBilling":    {Caller: f.paid},
		"startCheckout": {Caller: "owner@umbrella.test", Body: map[string]any{"tier": "standard"}, Alt: map[string]any{"tier": "premium"}},
		"changePlan":    {Caller: f.paid, Body: map[string]any{"tier": "premium"}},
		"listInvoices":  {Caller: f.paid},
		"stripeWebhook": {Body: json.RawMessage(f.event), Alt: json.RawMessage(f.altEvent),
			Headers: []string{"Stripe-Signature", f.eventSignature}},
		"createRegistrationCheckout": {Path: "/v1/registrations/soylent/checkout?token=" + f.tokens["soylent"]},
		"getRootBilling":             {Caller: "root"},
	}
}

func issueExamples(f exampleFixtures) map[string]Example {
	return map[string]Example{
		"createIssue":            {Caller: exampleOwner, Body: map[string]any{"title": "Broken login", "priority": "high"}, Alt: map[string]any{"title": "Other"}},
		"listIssues":             {Caller: exampleOwner, Path: "/v1/issues?limit=2&sort=created"},
		"getIssue":               {Caller: exampleOwner},
		"updateIssue":            {Caller: exampleOwner, Body: map[string]any{"description": "more detail"}},
		"deleteIssue":            {Caller: exampleOwner, Path: "/v1/issues/" + f.spareIssue},
		"transitionIssue":        {Caller: exampleOwner, Body: map[string]any{"to": "closed"}, Alt: map[string]any{"to": "open"}},
		"listIssueStatusHistory": {Caller: exampleOwner},
		"listIssueActivity":      {Caller: exampleOwner},
		"getWorkflow":            {Caller: exampleOwner},
		"searchIssues":           {Caller: exampleOwner, Path: "/v1/search?q=zebra&limit=2"},
		"listLabels":             {Caller: exampleOwner},
		"listViews":              {Caller: exampleOwner},
		"bulkEditIssues": {Caller: exampleOwner, Body: map[string]any{"issues": []any{map[string]any{"id": f.spareIssue}}, "changes": map[string]any{"priority": "high"}},
			Alt: map[string]any{"issues": []any{map[string]any{"id": f.spareIssue, "version": 1}}, "changes": map[string]any{"priority": "low"}}},
		"createView": {Caller: exampleOwner, Body: map[string]any{"name": "Mine", "filter": map[string]any{"assignee": "me"}, "sort": "priority"},
			Alt: map[string]any{"name": "Shared", "visibility": "shared"}},
		"getView":        {Caller: exampleOwner, Path: f.view},
		"updateView":     {Caller: exampleOwner, Path: f.view, Body: map[string]any{"group_by": "status"}},
		"deleteView":     {Caller: exampleOwner, Path: f.spareView},
		"listViewIssues": {Caller: exampleOwner, Path: f.view + "/issues?limit=2"},
		"exportView":     {Caller: exampleOwner, Path: f.view + "/export?format=json"},
		"createImport":   {Caller: exampleOwner, Body: importDeclaration("Summary\nA\n"), Alt: importDeclaration("Summary\nB\n")},
		"getImport":      {Caller: exampleOwner, Path: f.importDone},
		"putImportPart":  {Caller: exampleOwner, Path: f.importOpen + "/parts/1", Body: map[string]any{"data": "sent,High\n"}},
		"previewImport":  {Caller: exampleOwner, Path: f.importDone + "/preview"},
		"runImport":      {Caller: exampleOwner, Path: f.importDone + "/run"},
		"createLabel":    {Caller: exampleOwner, Body: map[string]any{"name": "backend", "color": "#aabbcc"}, Alt: map[string]any{"name": "frontend"}},
		"updateLabel":    {Caller: exampleOwner, Body: map[string]any{"color": "#112233"}},
		"deleteLabel":    {Caller: exampleOwner, Path: "/v1/labels/" + f.spareLabel},
		"listComments":   {Caller: exampleOwner},
		"createComment":  {Caller: exampleOwner, Body: map[string]any{"body": "looks good\nto me"}, Alt: map[string]any{"body": "other"}},
		"updateComment":  {Caller: exampleOwner, Body: map[string]any{"body": "edited"}},
		"deleteComment":  {Caller: exampleOwner, Path: f.issue + "/comments/" + f.spareComment},
		"listRelations":  {Caller: exampleOwner},
		"createRelation": {Caller: exampleOwner, Body: map[string]any{"type": "blocks", "issue_id": f.relTarget}, Alt: map[string]any{"type": "duplicates", "issue_id": f.relTarget}},
		"deleteRelation": {Caller: exampleOwner, Path: f.issue + "/relations/" + f.spareRelation},
		"listProjects":   {Caller: exampleOwner},
		"createProject":  {Caller: exampleOwner, Body: map[string]any{"key": "WEB", "name": "Website"}, Alt: map[string]any{"key": "API", "name": "API"}},
		"getProject":     {Caller: exampleOwner},
		"updateProject":  {Caller: exampleOwner, Body: map[string]any{"description": "Everything filed before projects"}},
		"listFields":     {Caller: exampleOwner},
		"createField":    {Caller: exampleOwner, Body: map[string]any{"name": "Severity", "type": "select", "options": []string{"S1", "S2", "S3"}}, Alt: map[string]any{"name": "Customer", "type": "text"}},
		"updateField":    {Caller: exampleOwner, Body: map[string]any{"name": "Risk"}},
		"deleteField":    {Caller: exampleOwner, Path: "/v1/projects/default/fields/" + f.spareField},
		"listCycles":     {Caller: exampleOwner, Path: "/v1/cycles?project=default&limit=1"},
		"createCycle": {Caller: exampleOwner, Body: map[string]any{"name": "Q3 sprint 1", "project_id": "default", "starts_on": "2099-07-01", "ends_on": "2099-07-14"},
			Alt: map[string]any{"name": "Q3 sprint 2", "project_id": "default", "starts_on": "2099-07-15", "ends_on": "2099-07-28"}},
		"getCycle":        {Caller: exampleOwner},
		"updateCycle":     {Caller: exampleOwner, Body: map[string]any{"name": "Sprint one"}},
		"deleteCycle":     {Caller: exampleOwner, Path: "/v1/cycles/" + f.spareCycle},
		"listCycleIssues": {Caller: exampleOwner, Path: "/v1/cycles/" + f.cycle + "/issues?limit=1"},
		"getCycleReport":  {Caller: exampleOwner},
		"getVelocity":     {Caller: exampleOwner, Path: "/v1/cycles/velocity?project=default&cycles=3"},
	}
}

func tenantExamples(f exampleFixtures) map[string]Example {
	return map[string]Example{
		"register": {Body: map[string]any{"company_name": "Hooli", "slug": "hooli", "admin_email": "owner@hooli." + f.domain, "tier": "basic"},
			Alt: map[string]any{"company_name": "Pied Piper", "slug": "piedpiper", "admin_email": "owner@piedpiper." + f.domain, "tier": "basic"}},
		"getRegistration":       {Path: "/v1/registrations/wonka?token=" + f.tokens["wonka"]},
		"checkSlugAvailability": {Path: "/v1/registrations/availability?slug=fresh-co"},
		"verifyRegistration": {Path: "/v1/registrations/vandelay/verify?token=" + f.tokens["vandelay"], Body: map[string]any{"code": f.verifyCode},
			Alt: map[string]any{"code": "000000"}},
		"resendVerification": {Path: "/v1/registrations/initrode/verification?token=" + f.tokens["initrode"]},
		"getWorkspace":       {Path: "/v1/workspaces/acme"},
		"approveTenant":      {Caller: "root", Path: "/v1/admin/tenants/wonka/approve"},
		"listTenants":        {Caller: "root", Path: "/v1/admin/tenants?limit=2&sort=-users"},
		"getSystemSettings":  {Caller: "root", Path: "/v1/admin/settings"},
		"putSystemSettings":  {Caller: "root", Path: "/v1/admin/settings", Body: map[string]any{"registration_open": true}},
		"getPlatformHealth":  {Caller: "root", Path: "/v1/admin/health"},
		"listSuppressions":   {Caller: "root", Path: "/v1/admin/suppressions"},
		"deleteSuppression":  {Caller: "root", Path: "/v1/admin/suppressions/" + exampleSuppressed},
		"getTenant":          {Caller: "root"},
		"suspendTenant":      {Caller: "root", Path: "/v1/admin/tenants/globex/suspend", Body: map[string]any{"reason": "unpaid"}, Alt: map[string]any{"reason": "abuse"}},
		"reactivateTenant":   {Caller: "root", Path: "/v1/admin/tenants/globex/reactivate"},
		"changeTenantTier":   {Caller: "root", Path: "/v1/admin/tenants/globex/tier", Body: map[string]any{"tier": "standard"}},
		// hooli is the company the register example signs up (it runs first).
		"retryTenantLifecycle": {Caller: "root", Path: "/v1/admin/tenants/hooli/lifecycle/retry"},
		// umbrella's migrations fail at the drain (World), leaving one to roll back.
		"migrateTenant":     {Caller: "root", Path: "/v1/admin/tenants/umbrella/migration", Body: map[string]any{"tier": "platinum"}},
		"rollbackMigration": {Caller: "root", Path: "/v1/admin/tenants/umbrella/migration/rollback"},
		"offboardTenant":    {Caller: "root", Path: "/v1/admin/tenants/hooli/offboard", Body: map[string]any{"confirm": "hooli"}, Alt: map[string]any{"confirm": "hooli "}},
		"listTenantAudit":   {Caller: "root"},
		"getBranding":       {Caller: exampleOwner},
		"putBranding":       {Caller: exampleOwner, Body: map[string]any{"display_name": "Acme Corp", "primary_color": "#112233"}},
		"listAudit":         {Caller: exampleOwner},
		"exportAudit":       {Caller: exampleOwner, Path: "/v1/audit/export?format=json"},
	}
}

func peopleExamples(w *World, c Content, f exampleFixtures) map[string]Example {
	return map[string]Example{
		"listUsers":            {Caller: exampleOwner},
		"inviteUser":           {Caller: exampleOwner, Body: map[string]any{"email": "new@acme.test", "role": "user"}, Alt: map[string]any{"email": "other@acme.test", "role": "user"}},
		"getUser":              {Caller: exampleOwner},
		"removeUser":           {Caller: exampleOwner, Path: "/v1/users/" + f.leaving.ID},
		"changeUserRole":       {Caller: exampleOwner, Path: "/v1/users/" + w.Users["user@acme.test"].ID + "/role", Body: map[string]any{"role": "admin"}},
		"disableUser":          {Caller: exampleOwner, Path: "/v1/users/" + f.admin + "/disable"},
		"enableUser":           {Caller: exampleOwner, Path: "/v1/users/" + f.admin + "/enable"},
		"listUserTeams":        {Caller: exampleOwner},
		"getMyMFA":             {Caller: exampleOwner},
		"associateTOTP":        {Caller: "admin@acme.test", Body: map[string]any{"access_token": f.adminTok.AccessToken}, Alt: map[string]any{"access_token": f.adminTok.AccessToken + "x"}},
		"verifyTOTP":           {Caller: exampleOwner, Body: map[string]any{"access_token": f.tok.AccessToken, "code": totpNow(f.totpSecret), "device_name": "phone"}},
		"getSecuritySettings":  {Caller: exampleOwner},
		"putSecuritySettings":  {Caller: exampleOwner, Body: map[string]any{"mfa_required": false}},
		"getSupportAccess":     {Caller: exampleOwner},
		"grantSupportAccess":   {Caller: exampleOwner, Body: map[string]any{"hours": 2}},
		"revokeSupportAccess":  {Caller: exampleOwner},
		"rootListTenantUsers":  {Caller: "root"},
		"rootGetTenantUser":    {Caller: "root"},
		"rootGetSupportAccess": {Caller: "root"},

		"listTeams":        {Caller: exampleOwner},
		"createTeam":       {Caller: exampleOwner, Body: map[string]any{"name": "Mobile"}, Alt: map[string]any{"name": "Desktop"}},
		"getTeam":          {Caller: exampleOwner},
		"updateTeam":       {Caller: exampleOwner, Body: map[string]any{"description": "the platform team"}},
		"deleteTeam":       {Caller: exampleOwner, Path: "/v1/teams/" + f.spareTeam},
		"listTeamMembers":  {Caller: exampleOwner},
		"addTeamMember":    {Caller: exampleOwner, Path: "/v1/teams/" + c["teamId"] + "/members/" + w.Users["user@acme.test"].ID},
		"removeTeamMember": {Caller: exampleOwner, Path: "/v1/teams/" + c["teamId"] + "/members/" + f.admin},
	}
}

// registerForExample signs a company up through the API and returns the
// verification code mailed to its admin (an address of this world only).
func (w *World) registerForExample(slug, tier, domain string) string {
	w.t.Helper()
	email := "owner@" + slug + "." + domain
	box := testenv.NewMailbox(w.t, email)
	res := w.API.Anonymous().Do("POST", "/v1/registrations", map[string]any{"company_name": slug, "slug": slug,
		"admin_email": email, "tier": tier})
	if res.Status != 202 {
		w.t.Fatalf("examples: register %s: %d %s", slug, res.Status, res.Body)
	}
	code := box.Next(mail.SubjectVerification).VerificationCode()
	w.codes[slug] = code
	w.tokens[slug], _ = res.Map(w.t)["status_token"].(string)
	return code
}

func (w *World) lastCode(slug, _ string) string { return w.codes[slug] }

// paidWorkspaceForExample signs slug up on a paid tier, pays its checkout
// with a signed Stripe event, and returns its Super Admin as a caller of
// this world.
func (w *World) paidWorkspaceForExample(slug, tier, domain string) string {
	w.t.Helper()
	code := w.registerForExample(slug, tier, domain)
	anon := w.API.Anonymous()
	if res := anon.Do("POST", "/v1/registrations/"+slug+"/verify?token="+w.tokens[slug], map[string]any{"code": code}); res.Status != 200 {
		w.t.Fatalf("examples: verify %s: %d %s", slug, res.Status, res.Body)
	}
	if res := anon.Do("POST", "/v1/registrations/"+slug+"/checkout?token="+w.tokens[slug], nil); res.Status != 201 {
		w.t.Fatalf("examples: checkout %s: %d %s", slug, res.Status, res.Body)
	}
	a, err := billingdb.New(w.Deps.Control(), w.Deps.Names).Get(context.Background(), slug)
	if err != nil {
		w.t.Fatal(err)
	}
	payload, sig := stripebilling.SignedEvent(WebhookSecret, "evt_checkout_"+slug+"_"+domain, billing.EventCheckoutCompleted,
		stripebilling.CheckoutCompleted(a.CheckoutSessionID, slug, a.CustomerID, "sub_"+slug), time.Now())
	if res := anon.Do("POST", "/v1/billing/webhook", payload, "Stripe-Signature", sig); res.Status != 200 {
		w.t.Fatalf("examples: checkout completed %s: %d %s", slug, res.Status, res.Body)
	}
	email := "owner@" + slug + "." + domain
	w.tiers[slug] = tiers.Name(tier)
	w.Users[email] = people.User{ID: "sa-" + slug, TenantID: slug, Username: email, Email: email, Role: roles.SuperAdmin,
		Status: people.UserActive}
	return email
}

// collabFixtures makes the attachments and the notification the collab
// examples act on.
func (w *World) collabFixtures(f *exampleFixtures, c Content) {
	ctx := context.Background()
	ownerC := w.As(exampleOwner)
	// Attachments: one ready (get, download, list), one spare (delete) and
	// one uploaded but not yet confirmed (confirm).
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	f.readyFile = ownerC.Attach(w.t, c["issueId"], "screenshot.png", "image/png", png)
	f.spareFile = ownerC.Attach(w.t, c["issueId"], "old.png", "image/png", png)
	pending := ownerC.RequestUpload(w.t, c["issueId"], "log.txt", "text/plain", []byte("line one\n"))
	if st := Put(w.t, pending.URL, pending.Headers, []byte("line one\n")); st != 200 {
		w.t.Fatalf("examples: upload: %d", st)
	}
	f.pendingFile = pending.ID()
	// Notifications: one in the owner's inbox (the activity consumer writes
	// them from the change stream, which the world does not run) and the
	// owner's unsubscribe token.
	ownerID := w.Users[exampleOwner].ID
	f.note = "01J0000000000000000000NOTE"
	if _, err := (notifydb.Store{DB: w.Deps.DB}).Deliver(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.Deps.Names.App(), TenantID: "acme"}, ownerID,
		notify.Notification{ID: f.note, Kind: notify.Mentioned, IssueID: c["issueId"], IssueKey: "ACME-1", IssueTitle: "Example",
			ActorID: w.Users["admin@acme.test"].ID, Summary: "mentioned you in ACME-1", At: time.Now()}, nil); err != nil {
		w.t.Fatalf("examples: notification: %v", err)
	}
	var err error
	if f.unsubscribe, err = (notify.Tokens{Key: cursorKey(w.t).Key}).Make(ctx, "acme", ownerID); err != nil {
		w.t.Fatal(err)
	}
	// Webhooks: endpoints at a public address, and a delivery as the
	// activity consumer writes it.
	hook := func() string {
		res := ownerC.Do("POST", "/v1/webhooks", map[string]any{"url": "https://93.184.216.34/hooks", "event_types": []string{"issue.created"}})
		if res.Status != 201 {
			w.t.Fatalf("examples: webhook: %d %s", res.Status, res.Body)
		}
		return res.Map(w.t)["id"].(string)
	}
	f.hook, f.spareHook = hook(), hook()
	at := time.Now()
	f.delivery = webhook.DeliveryID(at, "msg_example")
	if _, err := (webhookdb.Store{DB: w.Deps.DB}).CreateDelivery(tenancy.WithTenant(ctx, "acme"), tenancy.Scope{Table: w.Deps.Names.App(), TenantID: "acme"},
		webhook.Delivery{ID: f.delivery, EndpointID: f.hook, MessageID: "msg_example", EventType: webhook.IssueCreated,
			Payload: []byte(`{"type":"issue.created"}`), CreatedAt: at, Status: webhook.Pending}); err != nil {
		w.t.Fatalf("examples: webhook delivery: %v", err)
	}
}

func collabExamples(f exampleFixtures, c Content) map[string]Example {
	files := f.issue + "/attachments/"
	return map[string]Example{
		"createAttachmentUpload": {Caller: exampleOwner, Body: map[string]any{"filename": "notes.txt", "content_type": "text/plain", "size": 5, "sha256": SHA256([]byte("hello"))},
			Alt: map[string]any{"filename": "trace.json", "content_type": "application/json", "size": 2, "sha256": SHA256([]byte("{}")), "comment_id": c["commentId"]}},
		"listAttachments":            {Caller: exampleOwner},
		"getAttachment":              {Caller: exampleOwner, Path: files + f.readyFile},
		"confirmAttachment":          {Caller: exampleOwner, Path: files + f.pendingFile + "/confirm"},
		"downloadAttachment":         {Caller: exampleOwner, Path: files + f.readyFile + "/download"},
		"deleteAttachment":           {Caller: exampleOwner, Path: files + f.spareFile},
		"getStorageUsage":            {Caller: exampleOwner},
		"listWatchers":               {Caller: exampleOwner},
		"watchIssue":                 {Caller: exampleOwner},
		"unwatchIssue":               {Caller: exampleOwner},
		"listNotifications":          {Caller: exampleOwner},
		"getUnreadCount":             {Caller: exampleOwner},
		"markNotificationRead":       {Caller: exampleOwner, Path: "/v1/notifications/" + f.note + "/read"},
		"markAllNotificationsRead":   {Caller: exampleOwner},
		"getNotificationPreferences": {Caller: exampleOwner},
		"putNotificationPreferences": {Caller: exampleOwner, Body: map[string]any{"email": map[string]any{"commented": "daily"}},
			Alt: map[string]any{"email": map[string]any{"updated": "off", "mentioned": "immediately"}}},
		"unsubscribeNotifications": {Path: "/v1/notifications/unsubscribe?token=" + f.unsubscribe},
		"listWebhooks":             {Caller: exampleOwner},
		"createWebhook": {Caller: exampleOwner, Body: map[string]any{"url": "https://93.184.216.34/other", "event_types": []string{"comment.created"}},
			Alt: map[string]any{"url": "https://93.184.216.34/third", "description": "CI", "event_types": []string{"issue.updated", "issue.transitioned"}}},
		"getWebhook": {Caller: exampleOwner, Path: "/v1/webhooks/" + f.hook},
		"updateWebhook": {Caller: exampleOwner, Path: "/v1/webhooks/" + f.hook, Body: map[string]any{"description": "renamed"},
			Alt: map[string]any{"event_types": []string{"issue.created", "comment.created"}}},
		"deleteWebhook":            {Caller: exampleOwner, Path: "/v1/webhooks/" + f.spareHook},
		"rotateWebhookSecret":      {Caller: exampleOwner, Path: "/v1/webhooks/" + f.hook + "/rotate-secret"},
		"listWebhookDeliveries":    {Caller: exampleOwner, Path: "/v1/webhooks/" + f.hook + "/deliveries"},
		"redeliverWebhookDelivery": {Caller: exampleOwner, Path: "/v1/webhooks/" + f.hook + "/deliveries/" + f.delivery + "/redeliver"},
	}
}

// importDeclaration declares a one-part CSV file.
func importDeclaration(csv string) map[string]any {
	sum := sha256.Sum256([]byte(csv))
	return map[string]any{"filename": "issues.csv", "size": len(csv), "sha256": hex.EncodeToString(sum[:]), "parts": 1}
}

// importForExample declares csv in parts parts and sends all but the last
// one unless parts is 1; it returns the import's path.
func (w *World) importForExample(csv string, parts int) string {
	w.t.Helper()
	c := w.As(exampleOwner)
	d := importDeclaration(csv)
	d["parts"] = parts
	res := c.Do("POST", "/v1/imports", d)
	if res.Status != 201 {
		w.t.Fatalf("examples: declare import: %d %s", res.Status, res.Body)
	}
	path := "/v1/imports/" + res.Map(w.t)["id"].(string)
	step := (len(csv) + parts - 1) / parts
	for n := 0; n < parts && (parts == 1 || n < parts-1); n++ {
		if res := c.Do("PUT", fmt.Sprintf("%s/parts/%d", path, n), map[string]any{"data": csv[n*step : min(len(csv), (n+1)*step)]}); res.Status != 204 {
			w.t.Fatalf("examples: import part: %d %s", res.Status, res.Body)
		}
	}
	return path
}

// totpNow is a TOTP code made when the request body is encoded, not when
// the examples are built: the suite runs for a minute, longer than a code
// stays valid.
type totpNow string

func (s totpNow) MarshalJSON() ([]byte, error) {
	code, err := totp.GenerateCode(string(s), time.Now())
	if err != nil {
		return nil, err
	}
	return json.Marshal(code)
}

package apitest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tiers"

	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testenv"

	"github.com/issuetracker/issuetracker/internal/roles"
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

// Examples returns one example per operation id of the route table, on the
// content SeedContent made plus spare objects for the destructive ones.
func (w *World) Examples(c Content) map[string]Example {
	w.t.Helper()
	ctx := context.Background()
	owner := "owner@acme.test"
	ownerC := w.As(owner)
	post := func(path string, body any) string {
		res := ownerC.Do("POST", path, body)
		if res.Status != 201 {
			w.t.Fatalf("examples: POST %s: %d %s", path, res.Status, res.Body)
		}
		return res.Map(w.t)["id"].(string)
	}
	spareIssue := post("/v1/issues", map[string]any{"title": "to delete"})
	spareLabel := post("/v1/labels", map[string]any{"name": "to delete"})
	spareTeam := post("/v1/teams", map[string]any{"name": "to delete"})
	issue := "/v1/issues/" + c["issueId"]
	spareComment := post(issue+"/comments", map[string]any{"body": "to delete"})
	leaving := w.SeedUser("leaving@acme.test", "acme", roles.User)
	tok, err := w.Pools.SignIn(ctx, w.Client, owner, Password, "", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	// TOTP set-up is started here so verifyTOTP has a secret to answer.
	res := ownerC.Do("POST", "/v1/me/mfa/totp", map[string]any{"access_token": tok.AccessToken})
	if res.Status != 200 {
		w.t.Fatalf("examples: associate TOTP: %d %s", res.Status, res.Body)
	}
	code, _ := totp.GenerateCode(res.Map(w.t)["secret_code"].(string), time.Now())
	// associateTOTP's example is another user's, so it does not replace
	// the secret that code answers.
	adminTok, err := w.Pools.SignIn(ctx, w.Client, "admin@acme.test", Password, "", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	admin := w.Users["admin@acme.test"].ID
	// Registrations in each state the sign-up operations need: one waiting
	// for its code (verify), one for a resend, one verified paid tier
	// waiting for Root's approval.
	domain := w.Deps.Names.Prefix + ".test"
	verifyCode := w.registerForExample("vandelay", "basic", domain)
	w.registerForExample("initrode", "basic", domain)
	approveCode := w.registerForExample("wonka", "standard", domain)
	if res := w.API.Anonymous().Do("POST", "/v1/registrations/wonka/verify", map[string]any{"code": approveCode}); res.Status != 200 {
		w.t.Fatalf("examples: verify wonka: %d %s", res.Status, res.Body)
	}
	// Attachments: one ready (get, download, list), one spare (delete) and
	// one uploaded but not yet confirmed (confirm).
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	ready := ownerC.Attach(w.t, c["issueId"], "screenshot.png", "image/png", png)
	spareFile := ownerC.Attach(w.t, c["issueId"], "old.png", "image/png", png)
	pending := ownerC.RequestUpload(w.t, c["issueId"], "log.txt", "text/plain", []byte("line one\n"))
	if st := Put(w.t, pending.URL, pending.Headers, []byte("line one\n")); st != 200 {
		w.t.Fatalf("examples: upload: %d", st)
	}
	files := issue + "/attachments/"
	// Notifications: one in the owner's inbox (the activity consumer writes
	// them from the change stream, which the world does not run) and the
	// owner's unsubscribe token.
	ownerID := w.Users[owner].ID
	note := "01J0000000000000000000NOTE"
	if _, err := (notifydb.Store{DB: w.Deps.DB}).Deliver(tenancy.WithTenant(ctx, "acme"), w.Deps.Names.App(), "acme", ownerID,
		notify.Notification{ID: note, Kind: notify.Mentioned, IssueID: c["issueId"], IssueKey: "ACME-1", IssueTitle: "Example",
			ActorID: admin, Summary: "mentioned you in ACME-1", At: time.Now()}, nil); err != nil {
		w.t.Fatalf("examples: notification: %v", err)
	}
	unsub, err := notify.Tokens{Key: cursorKey(w.t).Key}.Make(ctx, "acme", ownerID)
	if err != nil {
		w.t.Fatal(err)
	}
	// Billing: a paid workspace with a subscription (checkout completed by a
	// signed Stripe event), and a paid registration waiting for its payment.
	paid := w.paidWorkspaceForExample("globochem", "standard", domain)
	w.registerForExample("soylent", "premium", domain)
	if res := w.API.Anonymous().Do("POST", "/v1/registrations/soylent/verify",
		map[string]any{"code": w.lastCode("soylent", domain)}); res.Status != 200 {
		w.t.Fatalf("examples: verify soylent: %d %s", res.Status, res.Body)
	}
	event, sig := stripebilling.SignedEvent(WebhookSecret, "evt_example_"+domain, "customer.created",
		map[string]any{"id": "cus_example", "object": "customer"}, time.Now())
	altEvent, _ := stripebilling.SignedEvent(WebhookSecret, "evt_example_alt_"+domain, "customer.created",
		map[string]any{"id": "cus_example_alt", "object": "customer"}, time.Now())
	return map[string]Example{
		"createAttachmentUpload": {Caller: owner, Body: map[string]any{"filename": "notes.txt", "content_type": "text/plain", "size": 5, "sha256": SHA256([]byte("hello"))},
			Alt: map[string]any{"filename": "trace.json", "content_type": "application/json", "size": 2, "sha256": SHA256([]byte("{}")), "comment_id": c["commentId"]}},
		"listAttachments":            {Caller: owner},
		"getAttachment":              {Caller: owner, Path: files + ready},
		"confirmAttachment":          {Caller: owner, Path: files + pending.ID() + "/confirm"},
		"downloadAttachment":         {Caller: owner, Path: files + ready + "/download"},
		"deleteAttachment":           {Caller: owner, Path: files + spareFile},
		"getStorageUsage":            {Caller: owner},
		"getIssueAnalytics":          {Caller: owner, Path: "/v1/analytics/issues?bucket=week"},
		"getWorkload":                {Caller: owner, Path: "/v1/analytics/workload?group_by=priority"},
		"getTeamVelocity":            {Caller: owner},
		"getUserPerformance":         {Caller: owner},
		"getAnalyticsSettings":       {Caller: owner},
		"putAnalyticsSettings":       {Caller: owner, Body: map[string]any{"time_zone": "Europe/Paris"}},
		"listWatchers":               {Caller: owner},
		"watchIssue":                 {Caller: owner},
		"unwatchIssue":               {Caller: owner},
		"listNotifications":          {Caller: owner},
		"getUnreadCount":             {Caller: owner},
		"markNotificationRead":       {Caller: owner, Path: "/v1/notifications/" + note + "/read"},
		"markAllNotificationsRead":   {Caller: owner},
		"getNotificationPreferences": {Caller: owner},
		"putNotificationPreferences": {Caller: owner, Body: map[string]any{"email": map[string]any{"commented": "daily"}},
			Alt: map[string]any{"email": map[string]any{"updated": "off", "mentioned": "immediately"}}},
		"unsubscribeNotifications":   {Path: "/v1/notifications/unsubscribe?token=" + unsub},
		"getUsage":                   {Caller: owner},
		"getRootUsage":               {Caller: "root", Path: "/v1/admin/usage?month=" + time.Now().UTC().Format("2006-01")},
		"getBilling":                 {Caller: paid},
		"startCheckout":              {Caller: "owner@umbrella.test", Body: map[string]any{"tier": "standard"}, Alt: map[string]any{"tier": "premium"}},
		"changePlan":                 {Caller: paid, Body: map[string]any{"tier": "premium"}},
		"listInvoices":               {Caller: paid},
		"stripeWebhook":              {Body: json.RawMessage(event), Alt: json.RawMessage(altEvent), Headers: []string{"Stripe-Signature", sig}},
		"createRegistrationCheckout": {Path: "/v1/registrations/soylent/checkout"},
		"getRootBilling":             {Caller: "root"},

		"getHealth": {}, "listTiers": {}, "getOpenAPI": {},
		"getMe":     {Caller: owner},
		"getRootMe": {Caller: "root"},

		"createIssue":            {Caller: owner, Body: map[string]any{"title": "Broken login", "priority": "high"}, Alt: map[string]any{"title": "Other"}},
		"listIssues":             {Caller: owner, Path: "/v1/issues?limit=2&sort=created"},
		"getIssue":               {Caller: owner},
		"updateIssue":            {Caller: owner, Body: map[string]any{"description": "more detail"}},
		"deleteIssue":            {Caller: owner, Path: "/v1/issues/" + spareIssue},
		"transitionIssue":        {Caller: owner, Body: map[string]any{"to": "closed"}, Alt: map[string]any{"to": "open"}},
		"listIssueStatusHistory": {Caller: owner},
		"listIssueActivity":      {Caller: owner},
		"getWorkflow":            {Caller: owner},
		"searchIssues":           {Caller: owner, Path: "/v1/search?q=zebra&limit=2"},
		"listLabels":             {Caller: owner},
		"createLabel":            {Caller: owner, Body: map[string]any{"name": "backend", "color": "#aabbcc"}, Alt: map[string]any{"name": "frontend"}},
		"updateLabel":            {Caller: owner, Body: map[string]any{"color": "#112233"}},
		"deleteLabel":            {Caller: owner, Path: "/v1/labels/" + spareLabel},
		"listComments":           {Caller: owner},
		"createComment":          {Caller: owner, Body: map[string]any{"body": "looks good\nto me"}, Alt: map[string]any{"body": "other"}},
		"updateComment":          {Caller: owner, Body: map[string]any{"body": "edited"}},
		"deleteComment":          {Caller: owner, Path: issue + "/comments/" + spareComment},

		"register": {Body: map[string]any{"company_name": "Hooli", "slug": "hooli", "admin_email": "owner@hooli." + domain, "tier": "basic"},
			Alt: map[string]any{"company_name": "Pied Piper", "slug": "piedpiper", "admin_email": "owner@piedpiper." + domain, "tier": "basic"}},
		"getRegistration":       {Path: "/v1/registrations/acme"},
		"checkSlugAvailability": {Path: "/v1/registrations/availability?slug=fresh-co"},
		"verifyRegistration": {Path: "/v1/registrations/vandelay/verify", Body: map[string]any{"code": verifyCode},
			Alt: map[string]any{"code": "000000"}},
		"resendVerification": {Path: "/v1/registrations/initrode/verification"},
		"getWorkspace":       {Path: "/v1/workspaces/acme"},
		"approveTenant":      {Caller: "root", Path: "/v1/admin/tenants/wonka/approve"},
		"listTenants":        {Caller: "root", Path: "/v1/admin/tenants?limit=2"},
		"getTenant":          {Caller: "root"},
		"suspendTenant":      {Caller: "root", Path: "/v1/admin/tenants/globex/suspend", Body: map[string]any{"reason": "unpaid"}, Alt: map[string]any{"reason": "abuse"}},
		"reactivateTenant":   {Caller: "root", Path: "/v1/admin/tenants/globex/reactivate"},
		"changeTenantTier":   {Caller: "root", Path: "/v1/admin/tenants/globex/tier", Body: map[string]any{"tier": "standard"}},
		// hooli is the company the register example signs up (it runs first).
		"retryTenantLifecycle": {Caller: "root", Path: "/v1/admin/tenants/hooli/lifecycle/retry"},
		"offboardTenant":       {Caller: "root", Path: "/v1/admin/tenants/hooli/offboard", Body: map[string]any{"confirm": "hooli"}, Alt: map[string]any{"confirm": "hooli "}},
		"listTenantAudit":      {Caller: "root"},
		"getBranding":          {Caller: owner},
		"putBranding":          {Caller: owner, Body: map[string]any{"display_name": "Acme Corp", "primary_color": "#112233"}},

		"listUsers":            {Caller: owner},
		"inviteUser":           {Caller: owner, Body: map[string]any{"email": "new@acme.test", "role": "user"}, Alt: map[string]any{"email": "other@acme.test", "role": "user"}},
		"getUser":              {Caller: owner},
		"removeUser":           {Caller: owner, Path: "/v1/users/" + leaving.ID},
		"changeUserRole":       {Caller: owner, Path: "/v1/users/" + w.Users["user@acme.test"].ID + "/role", Body: map[string]any{"role": "admin"}},
		"disableUser":          {Caller: owner, Path: "/v1/users/" + admin + "/disable"},
		"enableUser":           {Caller: owner, Path: "/v1/users/" + admin + "/enable"},
		"listUserTeams":        {Caller: owner},
		"getMyMFA":             {Caller: owner},
		"associateTOTP":        {Caller: "admin@acme.test", Body: map[string]any{"access_token": adminTok.AccessToken}, Alt: map[string]any{"access_token": adminTok.AccessToken + "x"}},
		"verifyTOTP":           {Caller: owner, Body: map[string]any{"access_token": tok.AccessToken, "code": code, "device_name": "phone"}},
		"getSecuritySettings":  {Caller: owner},
		"putSecuritySettings":  {Caller: owner, Body: map[string]any{"mfa_required": false}},
		"getSupportAccess":     {Caller: owner},
		"grantSupportAccess":   {Caller: owner, Body: map[string]any{"hours": 2}},
		"revokeSupportAccess":  {Caller: owner},
		"rootListTenantUsers":  {Caller: "root"},
		"rootGetTenantUser":    {Caller: "root"},
		"rootGetSupportAccess": {Caller: "root"},

		"listTeams":        {Caller: owner},
		"createTeam":       {Caller: owner, Body: map[string]any{"name": "Mobile"}, Alt: map[string]any{"name": "Desktop"}},
		"getTeam":          {Caller: owner},
		"updateTeam":       {Caller: owner, Body: map[string]any{"description": "the platform team"}},
		"deleteTeam":       {Caller: owner, Path: "/v1/teams/" + spareTeam},
		"listTeamMembers":  {Caller: owner},
		"addTeamMember":    {Caller: owner, Path: "/v1/teams/" + c["teamId"] + "/members/" + w.Users["user@acme.test"].ID},
		"removeTeamMember": {Caller: owner, Path: "/v1/teams/" + c["teamId"] + "/members/" + admin},
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
	if res := anon.Do("POST", "/v1/registrations/"+slug+"/verify", map[string]any{"code": code}); res.Status != 200 {
		w.t.Fatalf("examples: verify %s: %d %s", slug, res.Status, res.Body)
	}
	if res := anon.Do("POST", "/v1/registrations/"+slug+"/checkout", nil); res.Status != 201 {
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

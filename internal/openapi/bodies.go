package openapi

import (
	"maps"
	"reflect"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsapi"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingapi"
	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopleapi"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectapi"
	"github.com/issuetracker/issuetracker/internal/system"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/issuetracker/issuetracker/internal/view/viewapi"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookapi"
)

func init() {
	Enums[reflect.TypeOf(issue.Type(""))] = strs(issue.Types)
	Enums[reflect.TypeOf(issue.Priority(""))] = strs(issue.Priorities)
	Enums[reflect.TypeOf(issue.Category(""))] = strs(issue.Categories)
	Enums[reflect.TypeOf(issue.Sort(""))] = strs(issue.Sorts)
	Enums[reflect.TypeOf(tenant.Status(""))] = strs(tenant.Statuses)
	Enums[reflect.TypeOf(notify.Kind(""))] = strs(notify.Kinds)
	Enums[reflect.TypeOf(notify.Mode(""))] = []string{string(notify.Immediately), string(notify.Daily), string(notify.Off)}
	Enums[reflect.TypeOf(webhook.EventType(""))] = strs(webhook.EventTypes)
	Enums[reflect.TypeOf(attachment.State(""))] = []string{string(attachment.Pending), string(attachment.Ready)}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// sortEnum is each order ascending and, with '-', descending.
func sortEnum[T ~string](orders []T) []string {
	var out []string
	for _, o := range orders {
		out = append(out, string(o), "-"+string(o))
	}
	return out
}

func str(desc string) Param {
	return Param{Description: desc, Schema: map[string]any{"type": "string"}}
}

func named(name string, p Param) Param { p.Name = name; return p }

// statusToken is a registration's status token (the sign-up's
// status_token): without it, or with another, the route answers 404.
var statusToken = []Param{{Name: tenant.RegistrationTokenParam, Required: true,
	Description: "the registration's status_token (the answer to the sign-up); 404 without it",
	Schema:      map[string]any{"type": "string"}}}

var pageParams = []Param{
	named("limit", Param{Description: "page size, 1 to 100 (default 50)", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 100}}),
	named("cursor", str("next_cursor of the previous page")),
}

var filterParams = []Param{
	named("status", str("statuses, comma-separated: open, in_progress, in_review, closed")),
	named("category", str("categories, comma-separated: unstarted, started, completed")),
	named("assignee", str("user ids, comma-separated; me = the caller, none = unassigned")),
	named("team", str("team ids, comma-separated; mine = the caller's teams")),
	named("label", str("label ids or names (any case), comma-separated (any of them)")),
	named("priority", str("priorities, comma-separated")),
	named("type", str("types, comma-separated")),
	named("project", str("project ids or keys (current or former), comma-separated")),
	named("parent", str("parent issue ids or keys, comma-separated: their sub-issues")),
	named("cycle", str("cycle ids, comma-separated: the issues planned in them")),
	named("due_before", str("YYYY-MM-DD, inclusive")),
	named("due_after", str("YYYY-MM-DD, inclusive")),
	named("overdue", str("true: past due and not completed")),
	named("created_after", str("RFC 3339")),
	named("created_before", str("RFC 3339")),
	named("updated_after", str("RFC 3339")),
	named("updated_before", str("RFC 3339")),
}

var rangeParams = []Param{
	named("from", str("first day, YYYY-MM-DD in the workspace's time zone (default: 29 days before to)")),
	named("to", str("last day, YYYY-MM-DD (default: today); at most 366 days after from")),
}

func concat(ps ...[]Param) []Param {
	var out []Param
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

// Bodies are the request and response bodies of every operation of the
// route table; the conformance test (internal/openapi) fails for a route
// without an entry here.
func Bodies() map[string]Body {
	all := map[string]Body{}
	for _, bodies := range []map[string]Body{metaBodies(), issueBodies(), tenantBodies(), peopleBodies(), collabBodies()} {
		maps.Copy(all, bodies)
	}
	return all
}

// metaBodies are the platform's own operations (health, tiers, /v1/me, the document).
func metaBodies() map[string]Body {
	return map[string]Body{
		"getHealth":   {Response: httpapi.Health{}},
		"listTiers":   {Response: tiers.Catalog{}},
		"getMe":       {Response: people.Me{}},
		"signOut":     {Status: 204},
		"getRootMe":   {Response: people.RootMe{}},
		"signOutRoot": {Status: 204},
		"getOpenAPI":  {Response: map[string]any{}},
	}
}

// issueBodies are the issue domain's (internal/issue/issueapi).
func issueBodies() map[string]Body {
	return map[string]Body{
		"createIssue": {Request: issue.CreateIssue{}, Response: issue.Issue{}, Status: 201},
		"listIssues": {Response: list.Page[issue.Issue]{}, Query: concat(filterParams, []Param{
			named("sort", str("updated (default), created, priority, due, or field.<custom field id> (sorted in memory: at most 1,000 matching issues)")),
			named("order", str("asc or desc"))}, pageParams)},
		"getIssue":               {Response: issue.Issue{}},
		"bulkEditIssues":         {Request: issue.BulkEdit{}, Response: issueapi.BulkResult{}, Errors: []int{422}},
		"updateIssue":            {Request: issue.Patch{}, Response: issue.Issue{}, Errors: []int{412}},
		"deleteIssue":            {Status: 204, Errors: []int{412}},
		"transitionIssue":        {Request: issueapi.Transition{}, Response: issue.Issue{}, Errors: []int{412}},
		"moveIssue":              {Request: issue.MoveIssue{}, Response: issue.Issue{}, Errors: []int{412, 422}},
		"listIssueStatusHistory": {Response: list.Page[issue.StatusChange]{}, Query: pageParams},
		"listIssueActivity":      {Response: list.Page[issue.Activity]{}, Query: pageParams},
		"getWorkflow":            {Response: issue.Workflow{}},
		"listRelations":          {Response: list.Page[issue.Link]{}},
		"createRelation":         {Request: issue.RelationInput{}, Response: issue.Link{}, Status: 201},
		"deleteRelation":         {Status: 204},
		"searchIssues": {Response: list.Page[issue.Hit]{}, Query: concat([]Param{
			named("q", str("words; each must match a word of the title, description or a comment by prefix"))}, filterParams, pageParams)},
		"listLabels":     {Response: list.Page[issue.Label]{}},
		"createLabel":    {Request: issue.LabelInput{}, Response: issue.Label{}, Status: 201},
		"updateLabel":    {Request: issue.LabelInput{}, Response: issue.Label{}},
		"deleteLabel":    {Status: 204},
		"listComments":   {Response: list.Page[issue.Comment]{}, Query: pageParams},
		"createComment":  {Request: issueapi.CommentInput{}, Response: issue.Comment{}, Status: 201},
		"updateComment":  {Request: issueapi.CommentEdit{}, Response: issue.Comment{}},
		"deleteComment":  {Status: 204},
		"listViews":      {Response: list.Page[view.View]{}},
		"createView":     {Request: view.Input{}, Response: view.View{}, Status: 201, Errors: []int{409, 422}},
		"getView":        {Response: view.View{}},
		"updateView":     {Request: view.Input{}, Response: view.View{}, Errors: []int{412, 422}},
		"deleteView":     {Status: 204},
		"listViewIssues": {Response: list.Page[issue.Issue]{}, Query: pageParams},
		"createImport":   {Request: imports.NewJob{}, Response: imports.Job{}, Status: 201, Errors: []int{422}},
		"getImport":      {Response: imports.Job{}},
		"putImportPart":  {Request: imports.Part{}, Status: 204, Errors: []int{409, 422}},
		"previewImport":  {Response: imports.Preview{}, Errors: []int{409, 422}},
		"runImport":      {Response: imports.Job{}, Errors: []int{409, 412, 422}},
		"exportView": {Response: viewapi.ExportJSON{}, Query: []Param{named("format", str("csv (default) or json")),
			named("cursor", str("the Next-Cursor (CSV) or next_cursor (JSON) of the previous call"))}},
		"listProjects":              {Response: list.Page[project.Project]{}},
		"createProject":             {Request: project.Input{}, Response: project.Project{}, Status: 201},
		"getProject":                {Response: project.Project{}},
		"updateProject":             {Request: project.Input{}, Response: project.Project{}, Errors: []int{412}},
		"getProjectWorkflow":        {Response: issue.Workflow{}},
		"updateProjectWorkflow":     {Request: projectapi.WorkflowInput{}, Response: issue.Workflow{}, Errors: []int{409, 412}},
		"deleteWorkflowStatus":      {Request: projectapi.DeletionInput{}, Response: project.Deletion{}, Errors: []int{409, 422}},
		"getWorkflowStatusDeletion": {Response: project.Deletion{}},
		"listFields":                {Response: list.Page[issue.FieldDef]{}},
		"createField":               {Request: customfield.Input{}, Response: issue.FieldDef{}, Status: 201, Errors: []int{409, 422}},
		"updateField":               {Request: customfield.Input{}, Response: issue.FieldDef{}, Errors: []int{409, 412}},
		"deleteField":               {Status: 204, Errors: []int{412}},
		"listCycles": {Response: list.Page[cycle.Cycle]{}, Query: concat([]Param{
			named("project", str("the project's id or key (or team)")), named("team", str("the team's id (or project)"))}, pageParams)},
		"createCycle":     {Request: cycle.Input{}, Response: cycle.Cycle{}, Status: 201, Errors: []int{409, 422}},
		"getCycle":        {Response: cycle.Cycle{}},
		"updateCycle":     {Request: cycle.Input{}, Response: cycle.Cycle{}, Errors: []int{409, 412}},
		"deleteCycle":     {Status: 204, Errors: []int{409, 412}},
		"listCycleIssues": {Response: list.Page[issue.Issue]{}, Query: pageParams},
		"getCycleReport":  {Response: cycle.Report{}},
		"getVelocity": {Response: cycle.Velocity{}, Query: []Param{
			named("project", str("the project's id or key (or team)")), named("team", str("the team's id (or project)")),
			named("cycles", Param{Description: "how many of the last completed cycles, 1 to 12 (default 3)", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 12}})}},
	}
}

// tenantBodies are the tenant lifecycle's (internal/tenantapi).
func tenantBodies() map[string]Body {
	return map[string]Body{
		"checkSlugAvailability": {Response: onboarding.Availability{}, Query: []Param{named("slug", str("the slug to check"))}},
		"register":              {Request: onboarding.Registration{}, Response: tenantapi.RegistrationView{}, Status: 202, Errors: []int{403, 429}},
		"getRegistration":       {Response: tenantapi.RegistrationView{}, Query: statusToken},
		"verifyRegistration":    {Request: tenantapi.VerificationCode{}, Response: tenantapi.RegistrationView{}, Query: statusToken},
		"resendVerification":    {Response: tenantapi.RegistrationView{}, Status: 202, Query: statusToken},
		"getWorkspace":          {Response: tenantapi.Workspace{}},
		"approveTenant":         {Response: tenantapi.TenantView{}, Status: 202},
		"listTenants": {Query: concat([]Param{
			named("status", Param{Description: "only tenants with this status, e.g. pending_approval", Schema: map[string]any{"type": "string", "enum": strs(tenant.Statuses)}}),
			named("q", Param{Description: "the start of a tenant's name (any case) or id; matches come in name and id order (no sort)", Schema: map[string]any{"type": "string", "maxLength": tenant.MaxSearch}}),
			named("sort", Param{Description: "the order, '-' first for descending (default -created)", Schema: map[string]any{"type": "string", "enum": sortEnum(tenant.Orders)}}),
		}, pageParams),
			Response: list.Page[tenantapi.TenantView]{}},
		"getTenant":         {Response: tenantapi.TenantView{}},
		"getSystemSettings": {Response: system.SystemSettings{}, Errors: []int{503}},
		"putSystemSettings": {Request: tenantapi.SettingsChange{}, Response: system.SystemSettings{}, Errors: []int{503}},
		"getPlatformHealth": {Response: health.PlatformHealth{}, Errors: []int{503}},
		"listSuppressions":  {Response: list.Page[mail.Suppression]{}, Query: pageParams, Errors: []int{503}},
		"deleteSuppression": {Status: 204, Errors: []int{404, 503}},
		"suspendTenant": {Request: struct {
			Reason string `json:"reason"`
		}{}, Response: tenantapi.TenantView{}},
		"reactivateTenant": {Response: tenantapi.TenantView{}},
		"changeTenantTier": {Request: struct {
			Tier string `json:"tier"`
		}{}, Response: tenantapi.TenantView{}},
		"retryTenantLifecycle": {Response: tenantapi.LifecycleView{}, Status: 202},
		"migrateTenant":        {Request: tenantapi.MigrationRequest{}, Response: tenantapi.LifecycleView{}, Status: 202},
		"rollbackMigration":    {Response: tenantapi.LifecycleView{}, Status: 202},
		"offboardTenant": {Request: struct {
			Confirm string `json:"confirm"`
		}{}, Response: tenantapi.LifecycleView{}, Status: 202, Errors: []int{412}},
		"listTenantAudit": {Response: list.Page[audit.Record]{}, Query: pageParams},
		"listAudit":       {Response: list.Page[audit.Record]{}, Query: pageParams},
		// format=csv answers text/csv with the columns of auditapi.CSVHeader.
		"exportAudit": {Response: []audit.Record{}, Errors: []int{403}, Query: []Param{
			named("format", Param{Description: "json: an array of records; csv: text/csv, one record a row", Schema: map[string]any{"type": "string", "enum": []string{"json", "csv"}}}),
			named("cursor", str("the cursor of the previous answer's Link rel=next")),
		}},
		"getBranding": {Response: tenantapi.Branding{}},
		"putBranding": {Request: tenant.Branding{}, Response: tenantapi.Branding{}},
	}
}

// peopleBodies are the people domain's: users, MFA, support access and teams (internal/people/peopleapi).
func peopleBodies() map[string]Body {
	return map[string]Body{
		"listUsers":  {Response: list.Page[people.User]{}, Query: pageParams},
		"inviteUser": {Request: people.Invitation{}, Response: people.User{}, Status: 201},
		"getUser":    {Response: people.User{}},
		"removeUser": {Status: 204, Errors: []int{412}},
		"changeUserRole": {Request: struct {
			Role string `json:"role"`
		}{}, Response: people.User{}, Errors: []int{412}},
		"disableUser":         {Response: people.User{}, Errors: []int{412}},
		"enableUser":          {Response: people.User{}, Errors: []int{412}},
		"listUserTeams":       {Response: list.Page[people.Member]{}, Query: pageParams},
		"getMyMFA":            {Response: people.MFAStatus{}},
		"associateTOTP":       {Request: peopleapi.TOTPInput{}, Response: people.TOTPSetup{}},
		"verifyTOTP":          {Request: peopleapi.TOTPInput{}, Response: people.TOTPEnabled{}},
		"getSecuritySettings": {Response: people.SecuritySettings{}},
		"putSecuritySettings": {Request: peopleapi.SecurityInput{}, Response: people.SecuritySettings{}},
		"getSupportAccess":    {Response: people.SupportAccessView{}},
		"grantSupportAccess": {Request: struct {
			Hours int `json:"hours"`
		}{}, Response: people.SupportAccessView{}},
		"revokeSupportAccess":  {Response: people.SupportAccessView{}},
		"rootListTenantUsers":  {Response: list.Page[people.User]{}, Query: pageParams},
		"rootGetTenantUser":    {Response: people.User{}},
		"rootGetSupportAccess": {Response: people.SupportAccessView{}},

		// Teams (internal/people).
		"listTeams":        {Response: list.Page[people.Team]{}, Query: pageParams},
		"createTeam":       {Request: people.TeamInput{}, Response: people.Team{}, Status: 201},
		"getTeam":          {Response: people.Team{}},
		"updateTeam":       {Request: people.TeamInput{}, Response: people.Team{}, Errors: []int{412}},
		"deleteTeam":       {Status: 204, Errors: []int{412}},
		"listTeamMembers":  {Response: list.Page[people.Member]{}, Query: pageParams},
		"addTeamMember":    {Response: people.Member{}},
		"removeTeamMember": {Status: 204},
		// Usage and billing.
		"getUsage":                   {Response: usage.Report{}},
		"getRootUsage":               {Response: usageapi.RootUsage{}, Query: []Param{named("month", str("YYYY-MM (default: this UTC month)"))}},
		"getBilling":                 {Response: billingapi.Plan{}},
		"startCheckout":              {Request: billingapi.TierChoice{}, Response: billing.CheckoutSession{}, Status: 201},
		"changePlan":                 {Request: billingapi.TierChoice{}, Response: billingapi.Plan{}},
		"listInvoices":               {Response: list.Page[billing.Invoice]{}, Query: pageParams},
		"stripeWebhook":              {Request: map[string]any{}, Response: billingapi.Received{}},
		"getRootBilling":             {Response: billing.Figures{}},
		"createRegistrationCheckout": {Response: billing.CheckoutSession{}, Status: 201, Query: statusToken},
		// Analytics (internal/analytics).
		"getIssueAnalytics": {Response: analytics.Report{}, Query: concat(rangeParams, []Param{
			named("bucket", str("day (default), week (ISO, Monday first) or month")),
			named("team", str("a team id: its issues only")),
			named("assignee", str("a user id, me or none (Admins for other people)")),
			named("priority", str("a priority"))})},
		"getWorkload":          {Response: analytics.Workload{}, Query: []Param{named("group_by", str("assignee (Admins), team, priority or category"))}},
		"getTeamVelocity":      {Response: analytics.Velocity{}, Query: rangeParams},
		"getUserPerformance":   {Response: analytics.UserPerformance{}, Query: concat(rangeParams, []Param{named("bucket", str("day, week or month"))})},
		"getAnalyticsSettings": {Response: analyticsapi.SettingsView{}},
		"putAnalyticsSettings": {Request: analyticsapi.SettingsInput{}, Response: analyticsapi.SettingsView{}},
	}
}

// collabBodies are attachments' (internal/attachment) and watchers' and
// notifications' (internal/notify).
func collabBodies() map[string]Body {
	return map[string]Body{
		"createAttachmentUpload": {Request: attachment.UploadRequest{}, Response: attachment.Upload{}, Status: 201, Errors: []int{409, 422}},
		"listAttachments":        {Response: list.Page[attachment.Attachment]{}, Query: pageParams},
		"getAttachment":          {Response: attachment.Attachment{}},
		"confirmAttachment":      {Response: attachment.Attachment{}, Errors: []int{409, 422}},
		"downloadAttachment":     {Response: attachment.Download{}},
		"deleteAttachment":       {Status: 204},
		"getStorageUsage":        {Response: attachment.Usage{}},
		// Watchers and notifications (internal/notify).
		"listWatchers":               {Response: list.Page[notify.Watcher]{}, Query: pageParams},
		"watchIssue":                 {Response: notify.WatchState{}},
		"unwatchIssue":               {Response: notify.WatchState{}},
		"listNotifications":          {Response: list.Page[notify.Notification]{}, Query: append([]Param{named("unread", Param{Description: "true: unread notifications only", Schema: map[string]any{"type": "string", "enum": []string{"true", "false"}}})}, pageParams...)},
		"getUnreadCount":             {Response: notify.UnreadCount{}},
		"markNotificationRead":       {Response: notify.Notification{}},
		"markAllNotificationsRead":   {Response: notify.UnreadCount{}},
		"getNotificationPreferences": {Response: notify.Preferences{}},
		"putNotificationPreferences": {Request: notify.Preferences{}, Response: notify.Preferences{}},
		"unsubscribeNotifications":   {Response: notify.Preferences{}, Query: []Param{named("token", Param{Description: "the signed token of the mail's unsubscribe link", Schema: map[string]any{"type": "string"}})}},
		// Webhooks (internal/webhook).
		"listWebhooks":             {Response: webhookapi.Endpoints{}},
		"createWebhook":            {Request: webhook.Input{}, Response: webhook.Registered{}, Status: 201, Errors: []int{409, 422}},
		"getWebhook":               {Response: webhook.Endpoint{}},
		"updateWebhook":            {Request: webhook.Input{}, Response: webhook.Endpoint{}, Errors: []int{422}},
		"deleteWebhook":            {Status: 204},
		"rotateWebhookSecret":      {Response: webhook.Registered{}},
		"listWebhookDeliveries":    {Response: list.Page[webhook.Delivery]{}, Query: pageParams},
		"redeliverWebhookDelivery": {Response: webhookapi.Redelivery{}, Status: 202, Errors: []int{409}},
	}
}

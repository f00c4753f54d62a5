// Package routes is the one route table of the public API: method, path,
// owning function and who may call it. The local gateway, the CDK API
// construct and the OpenAPI document all read it, so they cannot drift.
package routes

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/issuetracker/issuetracker/internal/roles"
)

// Function names a Lambda function (a folder under functions/).
type Function string

const (
	FnMeta         Function = "meta"         // health, tier catalog, OpenAPI document
	FnUsers        Function = "users"        // the caller, user management
	FnIssues       Function = "issues"       // issues, labels, search, projects, saved views, imports
	FnComments     Function = "comments"     // comments on issues; watchers, the inbox, notification preferences, webhooks (#14)
	FnTeams        Function = "teams"        // teams and membership
	FnAnalytics    Function = "analytics"    // metrics and reports
	FnTenants      Function = "tenants"      // provider (root) administration
	FnRegistration Function = "registration" // public sign-up
	FnWorkspace    Function = "workspace"    // the tenant's workspace settings (branding)
	FnAttachments  Function = "attachments"  // files on issues and comments (issue #14)
	FnBilling      Function = "billing"      // usage, plans, Stripe checkout and webhook, monthly close

	// Functions that own no route: the API's Lambda authorizer, and the
	// function the platform bus invokes with lifecycle events.
	FnAuthorizer Function = "authorizer"
	FnOnboarding Function = "onboarding"
	// FnPreSignUp links a first Google sign-in to the invited user (the
	// shared pool's PreSignUp trigger, when Google sign-in is on).
	FnPreSignUp Function = "presignup"
	// FnUserMigration is the user-migration trigger of the tenant pools:
	// after a tier migration moved a tenant between the shared pool and a
	// pool of its own, its users follow on their first sign-in
	// (internal/cognito/usermigration).
	FnUserMigration Function = "usermigration"
	// FnStreamAnalytics and FnStreamActivity are the consumers of the
	// tables' change streams (the platform's on the pooled table, each
	// Platinum tenant stack's on its own).
	FnStreamAnalytics Function = "stream-analytics"
	FnStreamActivity  Function = "stream-activity"
)

// AccessKind says which principals may call a route.
type AccessKind string

const (
	Public AccessKind = "public" // no token; the authorizer is not run
	Tenant AccessKind = "tenant" // a tenant user with at least MinRole
	Root   AccessKind = "root"   // the provider's root users only
)

// Access is the permission rule of a route.
type Access struct {
	Kind    AccessKind
	MinRole roles.Role // for Tenant routes
}

// Allows reports whether a principal of role r may call the route.
func (a Access) Allows(r roles.Role) bool {
	switch a.Kind {
	case Public:
		return true
	case Root:
		return r == roles.Root
	case Tenant:
		return r.AtLeast(a.MinRole)
	}
	return false
}

// Route is one operation of the API. Path uses API Gateway syntax:
// "/v1/issues/{issueId}".
type Route struct {
	Method      string
	Path        string
	Function    Function
	Access      Access
	OperationID string
}

// Summary is the one-line description of operation op (the OpenAPI
// document's summary), from summaries.
func Summary(op string) string {
	for _, s := range summaries {
		if s.op == op {
			return s.text
		}
	}
	return ""
}

type opText struct{ op, text string }

// summaries describe each operation of the table, in its order. Apart from
// the table, so that only what documents the API (the OpenAPI document,
// the route doc) links their 8.5 KB of text and a function's binary does
// not (issue 19); TestEveryRouteHasOneSummary keeps both in step.
var summaries = []opText{
	{"getHealth", "Liveness of the API"},
	{"listTiers", "The tier catalog (pricing page)"},
	{"getMe", "The caller: user, tenant, role, tier and limits"},
	{"signOut", "Sign out everywhere: every token of the caller's sessions so far is refused within 30 s"},
	{"getRootMe", "The calling provider (root) user"},
	{"signOutRoot", "Sign out everywhere (Root): every token of the caller's sessions so far is refused within 30 s"},
	{"getOpenAPI", "This API as an OpenAPI 3.1 document"},
	{"createIssue", "Create an issue"},
	{"listIssues", "List issues with filters, sort and cursor"},
	{"bulkEditIssues", "Change the status, assignee, priority, labels or cycle of up to 100 issues, with a result per issue"},
	{"getIssue", "Get an issue by id or key (ACME-42)"},
	{"updateIssue", "Update an issue (JSON merge patch, If-Match)"},
	{"deleteIssue", "Delete an issue"},
	{"transitionIssue", "Move an issue along the workflow"},
	{"moveIssue", "Move an issue to another project: a new key there (the old key keeps resolving), its status mapped into that project's workflow"},
	{"listIssueStatusHistory", "The issue's status history"},
	{"listIssueActivity", "Who changed which field of the issue, when"},
	{"listRelations", "The issue's relations, from its side (blocks, blocked_by, duplicates, duplicated_by, relates_to)"},
	{"createRelation", "Relate the issue to another (no cycles of blocks or duplicates)"},
	{"deleteRelation", "Remove a relation (its id as listed: type:issue id)"},
	{"getWorkflow", "Statuses, categories and allowed transitions"},
	{"searchIssues", "Search issues by words, with the list filters"},
	{"listLabels", "The workspace's label catalog"},
	{"createLabel", "Create a label"},
	{"updateLabel", "Rename or recolor a label"},
	{"deleteLabel", "Delete a label no issue carries"},
	{"listViews", "Your saved views and the workspace's shared ones"},
	{"createView", "Save a view: a named issue filter, sort, grouping and columns, private or shared"},
	{"getView", "A saved view (yours, or shared)"},
	{"updateView", "Change a view (its owner; an Admin for a shared one)"},
	{"deleteView", "Delete a view (its owner; an Admin for a shared one)"},
	{"listViewIssues", "The issues a view selects, in its order (the issue list's Query plan)"},
	{"exportView", "Export a view's issues as CSV or JSON (up to 1,000 a call; Next-Cursor continues)"},
	{"createImport", "Declare a CSV file to import into a project (its SHA-256 and the project name the job; the same file for the same project is the same job)"},
	{"getImport", "An import's state, progress and row errors"},
	{"putImportPart", "Send one part of the file's text"},
	{"previewImport", "Dry run: column mapping, counts and per-row errors; nothing is created"},
	{"runImport", "Import rows from the committed progress on for up to 20 s; call again until done"},
	{"listProjects", "The workspace's projects, the default one first"},
	{"createProject", "Create a project (its key numbers its issues: WEB-1)"},
	{"getProject", "Get a project by id or by a current or former key"},
	{"updateProject", "Change a project: name, description, lead, default assignee, archived, key (the old key keeps resolving)"},
	{"getProjectWorkflow", "The project's workflow: statuses (name, category, order, colour) and allowed transitions"},
	{"updateProjectWorkflow", "Replace the project's workflow (a status with issues cannot be dropped: delete it with a mapping)"},
	{"deleteWorkflowStatus", "Delete a status, moving its issues to another (a resumable job: call again until done)"},
	{"getWorkflowStatusDeletion", "The progress of a status deletion"},
	{"listFields", "A project's custom fields"},
	{"createField", "Define a custom field: text, number, date, select, multi_select or user"},
	{"updateField", "Rename a custom field or add options (its type never changes)"},
	{"deleteField", "Delete a custom field (issues' values of it are ignored, then dropped on their next write)"},
	{"listCycles", "A project's or a team's cycles, latest first (?project= or ?team=)"},
	{"createCycle", "Plan a cycle (sprint) of a project or a team; cycles of one owner never overlap"},
	{"getVelocity", "Completed points and issues of a project's or a team's last completed cycles, and their average"},
	{"getCycle", "A cycle"},
	{"updateCycle", "Rename a cycle or move its days (still without overlap)"},
	{"deleteCycle", "Delete a cycle no issue is planned in (409 cycle_in_use otherwise)"},
	{"listCycleIssues", "The issues planned in a cycle, most recently updated first (one Query per page)"},
	{"getCycleReport", "A cycle's scope and completion: committed at start, added, removed, completed (issues and points)"},
	{"listComments", "The issue's comments, oldest first"},
	{"createComment", "Comment on an issue or reply to a comment"},
	{"updateComment", "Edit your comment"},
	{"deleteComment", "Delete a comment (author or Admin)"},
	{"createAttachmentUpload", "Ask to upload a file to an issue or one of its comments: a presigned PUT that fixes its size, type and SHA-256"},
	{"listAttachments", "The issue's attachments, oldest first"},
	{"getAttachment", "An attachment of the issue"},
	{"confirmAttachment", "Confirm an upload: the platform checks the stored file against the declaration, then it appears"},
	{"downloadAttachment", "A short-lived download URL (images inline, other files as downloads)"},
	{"deleteAttachment", "Delete an attachment (its uploader or an Admin)"},
	{"getStorageUsage", "Attachment storage in use and reserved, against the plan"},
	{"listWatchers", "The people watching the issue"},
	{"watchIssue", "Watch the issue (notifications of its comments and changes)"},
	{"unwatchIssue", "Stop watching the issue (until someone mentions you)"},
	{"listNotifications", "Your inbox, newest first (unread=true: unread only)"},
	{"getUnreadCount", "How many of your notifications are unread"},
	{"markNotificationRead", "Mark one notification read"},
	{"markAllNotificationsRead", "Mark all your notifications read"},
	{"getNotificationPreferences", "Your email preferences per kind of notification"},
	{"putNotificationPreferences", "Change your email preferences (immediately, daily, off per kind)"},
	{"unsubscribeNotifications", "One-click unsubscribe from notification mail (RFC 8058; the signed token of the mail)"},
	{"listWebhooks", "The workspace's webhook endpoints"},
	{"createWebhook", "Register a webhook endpoint (https, public addresses only) for some event types; the answer shows its signing secret once"},
	{"getWebhook", "One webhook endpoint (its secret is never shown again)"},
	{"updateWebhook", "Change a webhook endpoint's URL, description, event types, or turn it off or back on"},
	{"deleteWebhook", "Delete a webhook endpoint"},
	{"rotateWebhookSecret", "A new signing secret; the old one keeps signing beside it for 24 hours"},
	{"listWebhookDeliveries", "The endpoint's delivery log, newest first: each delivery's attempts with status code and duration"},
	{"redeliverWebhookDelivery", "Send a delivery again now"},
	{"checkSlugAvailability", "Whether a slug can be registered (rate limited per client address)"},
	{"register", "A company signs up: company name, slug, admin email, tier; a code is mailed to the admin email"},
	{"getRegistration", "Status and onboarding steps of a registration"},
	{"verifyRegistration", "Prove the admin email with the mailed code; Basic is then provisioned, paid tiers wait for approval"},
	{"resendVerification", "Mail a new verification code (rate limited)"},
	{"getWorkspace", "Where a workspace's people sign in: user pool, app client, region (rate limited per client address)"},
	{"listTenants", "The tenants table: status, tier, users, usage and MRR; search (q), sort, status filter, cursor"},
	{"approveTenant", "Approve a paid-tier registration: onboarding starts"},
	{"getTenant", "A tenant with usage and lifecycle progress"},
	{"suspendTenant", "Refuse every token of the tenant; data kept"},
	{"reactivateTenant", "Lift a suspension"},
	{"changeTenantTier", "Change a tenant's tier (to or from Platinum: starts a migration)"},
	{"migrateTenant", "Move a tenant between pooled tiers and Platinum, or to another cell, online (a persisted run)"},
	{"rollbackMigration", "Undo a migration that has not switched: the tenant stays where it started"},
	{"retryTenantLifecycle", "Resume a failed onboarding or offboarding"},
	{"offboardTenant", "Export, then delete everything of the tenant (confirm required)"},
	{"listTenantAudit", "Who did what to the tenant, newest first"},
	{"getSystemSettings", "The platform's system settings: whether sign-ups are open"},
	{"putSystemSettings", "Open or close sign-ups (registrations under way continue)"},
	{"getPlatformHealth", "Platform health: the alarms' states in AWS; locally the functions' metrics (error rate, p95, throttles)"},
	{"listSuppressions", "The mail suppression list: addresses SES reported as bouncing or complaining, which no platform mail reaches"},
	{"deleteSuppression", "Lift an address's mail suppression (audited): the platform mails it again"},
	{"getBranding", "The workspace's branding"},
	{"putBranding", "Change the workspace's branding (tiers with branding)"},
	{"listUsers", "The workspace's users (cursor)"},
	{"inviteUser", "Invite a user: the platform mails a temporary password and the sign-in link"},
	{"getUser", "A user of the workspace"},
	{"removeUser", "Remove a user (their issues and comments stay)"},
	{"changeUserRole", "Change a user's role"},
	{"disableUser", "Disable a user: refused within 30 s"},
	{"enableUser", "Enable a disabled user"},
	{"listUserTeams", "A user's teams"},
	{"getMyMFA", "The caller's MFA: methods, and whether the workspace requires it"},
	{"associateTOTP", "Start TOTP set-up: the secret and otpauth URI"},
	{"verifyTOTP", "Finish TOTP set-up with a first code"},
	{"getSecuritySettings", "The workspace's MFA requirement"},
	{"putSecuritySettings", "Require MFA for the whole workspace (tiers with MFA enforcement)"},
	{"getSupportAccess", "Whether the provider's support may read issue contents"},
	{"grantSupportAccess", "Grant the provider's support access to issue contents for 1-72 hours"},
	{"revokeSupportAccess", "End the provider's support access now"},
	{"listAudit", "The workspace's audit log: who did what to it, newest first (cursor)"},
	{"exportAudit", "Download the audit log as CSV or JSON, 1000 records an answer (Link: rel=next; tiers with audit export)"},
	{"rootListTenantUsers", "Support: a tenant's users (no issue contents)"},
	{"rootGetTenantUser", "Support: one user of a tenant"},
	{"rootGetSupportAccess", "Support: whether the tenant granted access to issue contents"},
	{"getUsage", "The workspace's usage this month against its tier's limits, with warnings at 80% and 100%"},
	{"getRootUsage", "Every tenant's usage this month (?month=YYYY-MM) and totals per tier"},
	{"getBilling", "The workspace's plan: tier, price, subscription status, grace period"},
	{"startCheckout", "A Stripe Checkout page to move a workspace without a subscription (Basic) to a paid tier"},
	{"changePlan", "Upgrade or downgrade the subscription (prorated; Basic cancels it)"},
	{"listInvoices", "The workspace's invoices, newest first (cursor)"},
	{"stripeWebhook", "Stripe's events: Stripe-Signature checked with a tolerance window, each event processed once"},
	{"createRegistrationCheckout", "A Stripe Checkout page for a paid-tier registration waiting for its first payment"},
	{"getRootBilling", "MRR and churn per tier this month, and the monthly closes"},
	{"getIssueAnalytics", "Created, resolved, backlog, lead and cycle time per day, week or month; by team, assignee or priority"},
	{"getWorkload", "Open issues now by assignee (Admin), team, priority or category"},
	{"getTeamVelocity", "A team's resolved issues per week"},
	{"getUserPerformance", "A person's completed issues and first response times (yours, or anyone's for Admins)"},
	{"getAnalyticsSettings", "The workspace's time zone for analytics"},
	{"putAnalyticsSettings", "Change the workspace's time zone (in force a minute later)"},
	{"listTeams", "The workspace's teams (cursor)"},
	{"createTeam", "Create a team"},
	{"getTeam", "A team"},
	{"updateTeam", "Rename or describe a team"},
	{"deleteTeam", "Delete a team and its memberships"},
	{"listTeamMembers", "A team's members (cursor)"},
	{"addTeamMember", "Add a user of the workspace to a team"},
	{"removeTeamMember", "Remove a user from a team"},
}

func public() Access               { return Access{Kind: Public} }
func tenant(min roles.Role) Access { return Access{Kind: Tenant, MinRole: min} }
func root() Access                 { return Access{Kind: Root} }

var table = []Route{
	{"GET", "/health", FnMeta, public(), "getHealth"},
	{"GET", "/v1/tiers", FnMeta, public(), "listTiers"},
	{"GET", "/v1/me", FnUsers, tenant(roles.User), "getMe"},
	{"POST", "/v1/me/sign-out", FnUsers, tenant(roles.User), "signOut"},
	{"GET", "/v1/admin/me", FnTenants, root(), "getRootMe"},
	{"POST", "/v1/admin/me/sign-out", FnTenants, root(), "signOutRoot"},
	{"GET", "/v1/openapi.json", FnMeta, public(), "getOpenAPI"},
	{"POST", "/v1/issues", FnIssues, tenant(roles.User), "createIssue"},
	{"GET", "/v1/issues", FnIssues, tenant(roles.User), "listIssues"},
	{"POST", "/v1/issues/bulk", FnIssues, tenant(roles.User), "bulkEditIssues"},
	{"GET", "/v1/issues/{issueId}", FnIssues, tenant(roles.User), "getIssue"},
	{"PATCH", "/v1/issues/{issueId}", FnIssues, tenant(roles.User), "updateIssue"},
	{"DELETE", "/v1/issues/{issueId}", FnIssues, tenant(roles.Admin), "deleteIssue"},
	{"POST", "/v1/issues/{issueId}/transitions", FnIssues, tenant(roles.User), "transitionIssue"},
	{"POST", "/v1/issues/{issueId}/move", FnIssues, tenant(roles.User), "moveIssue"},
	{"GET", "/v1/issues/{issueId}/history", FnIssues, tenant(roles.User), "listIssueStatusHistory"},
	{"GET", "/v1/issues/{issueId}/activity", FnIssues, tenant(roles.User), "listIssueActivity"},
	{"GET", "/v1/issues/{issueId}/relations", FnIssues, tenant(roles.User), "listRelations"},
	{"POST", "/v1/issues/{issueId}/relations", FnIssues, tenant(roles.User), "createRelation"},
	{"DELETE", "/v1/issues/{issueId}/relations/{relationId}", FnIssues, tenant(roles.User), "deleteRelation"},
	{"GET", "/v1/workflow", FnIssues, tenant(roles.User), "getWorkflow"},
	{"GET", "/v1/search", FnIssues, tenant(roles.User), "searchIssues"},
	{"GET", "/v1/labels", FnIssues, tenant(roles.User), "listLabels"},
	{"POST", "/v1/labels", FnIssues, tenant(roles.Admin), "createLabel"},
	{"PATCH", "/v1/labels/{labelId}", FnIssues, tenant(roles.Admin), "updateLabel"},
	{"DELETE", "/v1/labels/{labelId}", FnIssues, tenant(roles.Admin), "deleteLabel"},
	{"GET", "/v1/views", FnIssues, tenant(roles.User), "listViews"},
	{"POST", "/v1/views", FnIssues, tenant(roles.User), "createView"},
	{"GET", "/v1/views/{viewId}", FnIssues, tenant(roles.User), "getView"},
	{"PATCH", "/v1/views/{viewId}", FnIssues, tenant(roles.User), "updateView"},
	{"DELETE", "/v1/views/{viewId}", FnIssues, tenant(roles.User), "deleteView"},
	{"GET", "/v1/views/{viewId}/issues", FnIssues, tenant(roles.User), "listViewIssues"},
	{"GET", "/v1/views/{viewId}/export", FnIssues, tenant(roles.User), "exportView"},
	{"POST", "/v1/imports", FnIssues, tenant(roles.Admin), "createImport"},
	{"GET", "/v1/imports/{importId}", FnIssues, tenant(roles.Admin), "getImport"},
	{"PUT", "/v1/imports/{importId}/parts/{part}", FnIssues, tenant(roles.Admin), "putImportPart"},
	{"POST", "/v1/imports/{importId}/preview", FnIssues, tenant(roles.Admin), "previewImport"},
	{"POST", "/v1/imports/{importId}/run", FnIssues, tenant(roles.Admin), "runImport"},
	// Projects (internal/project): every issue belongs to one and is numbered in it.
	{"GET", "/v1/projects", FnIssues, tenant(roles.User), "listProjects"},
	{"POST", "/v1/projects", FnIssues, tenant(roles.Admin), "createProject"},
	{"GET", "/v1/projects/{projectId}", FnIssues, tenant(roles.User), "getProject"},
	{"PATCH", "/v1/projects/{projectId}", FnIssues, tenant(roles.Admin), "updateProject"},
	{"GET", "/v1/projects/{projectId}/workflow", FnIssues, tenant(roles.User), "getProjectWorkflow"},
	{"PUT", "/v1/projects/{projectId}/workflow", FnIssues, tenant(roles.Admin), "updateProjectWorkflow"},
	{"POST", "/v1/projects/{projectId}/workflow/deletions", FnIssues, tenant(roles.Admin), "deleteWorkflowStatus"},
	{"GET", "/v1/projects/{projectId}/workflow/deletions/{statusId}", FnIssues, tenant(roles.Admin), "getWorkflowStatusDeletion"},
	// Custom fields (internal/customfield): defined per project by Admins; issues carry values by field id.
	{"GET", "/v1/projects/{projectId}/fields", FnIssues, tenant(roles.User), "listFields"},
	{"POST", "/v1/projects/{projectId}/fields", FnIssues, tenant(roles.Admin), "createField"},
	{"PATCH", "/v1/projects/{projectId}/fields/{fieldId}", FnIssues, tenant(roles.Admin), "updateField"},
	{"DELETE", "/v1/projects/{projectId}/fields/{fieldId}", FnIssues, tenant(roles.Admin), "deleteField"},
	// Cycles (internal/cycle): sprints of a project or a team; issues join by cycle_id (PATCH, bulk edit).
	{"GET", "/v1/cycles", FnIssues, tenant(roles.User), "listCycles"},
	{"POST", "/v1/cycles", FnIssues, tenant(roles.Admin), "createCycle"},
	{"GET", "/v1/cycles/velocity", FnIssues, tenant(roles.User), "getVelocity"},
	{"GET", "/v1/cycles/{cycleId}", FnIssues, tenant(roles.User), "getCycle"},
	{"PATCH", "/v1/cycles/{cycleId}", FnIssues, tenant(roles.Admin), "updateCycle"},
	{"DELETE", "/v1/cycles/{cycleId}", FnIssues, tenant(roles.Admin), "deleteCycle"},
	{"GET", "/v1/cycles/{cycleId}/issues", FnIssues, tenant(roles.User), "listCycleIssues"},
	{"GET", "/v1/cycles/{cycleId}/report", FnIssues, tenant(roles.User), "getCycleReport"},
	{"GET", "/v1/issues/{issueId}/comments", FnComments, tenant(roles.User), "listComments"},
	{"POST", "/v1/issues/{issueId}/comments", FnComments, tenant(roles.User), "createComment"},
	{"PATCH", "/v1/issues/{issueId}/comments/{commentId}", FnComments, tenant(roles.User), "updateComment"},
	{"DELETE", "/v1/issues/{issueId}/comments/{commentId}", FnComments, tenant(roles.User), "deleteComment"},
	// Attachments (internal/attachment): presigned uploads confirmed by the
	// platform, presigned downloads.
	{"POST", "/v1/issues/{issueId}/attachments", FnAttachments, tenant(roles.User), "createAttachmentUpload"},
	{"GET", "/v1/issues/{issueId}/attachments", FnAttachments, tenant(roles.User), "listAttachments"},
	{"GET", "/v1/issues/{issueId}/attachments/{attachmentId}", FnAttachments, tenant(roles.User), "getAttachment"},
	{"POST", "/v1/issues/{issueId}/attachments/{attachmentId}/confirm", FnAttachments, tenant(roles.User), "confirmAttachment"},
	{"GET", "/v1/issues/{issueId}/attachments/{attachmentId}/download", FnAttachments, tenant(roles.User), "downloadAttachment"},
	{"DELETE", "/v1/issues/{issueId}/attachments/{attachmentId}", FnAttachments, tenant(roles.User), "deleteAttachment"},
	{"GET", "/v1/storage", FnAttachments, tenant(roles.User), "getStorageUsage"},
	// Watchers and notifications (internal/notify): produced from the change
	// stream by the activity consumer, never in the request that changed the issue.
	{"GET", "/v1/issues/{issueId}/watchers", FnComments, tenant(roles.User), "listWatchers"},
	{"PUT", "/v1/issues/{issueId}/watchers/me", FnComments, tenant(roles.User), "watchIssue"},
	{"DELETE", "/v1/issues/{issueId}/watchers/me", FnComments, tenant(roles.User), "unwatchIssue"},
	{"GET", "/v1/notifications", FnComments, tenant(roles.User), "listNotifications"},
	{"GET", "/v1/notifications/unread-count", FnComments, tenant(roles.User), "getUnreadCount"},
	{"POST", "/v1/notifications/{notificationId}/read", FnComments, tenant(roles.User), "markNotificationRead"},
	{"POST", "/v1/notifications/read-all", FnComments, tenant(roles.User), "markAllNotificationsRead"},
	{"GET", "/v1/notifications/preferences", FnComments, tenant(roles.User), "getNotificationPreferences"},
	{"PUT", "/v1/notifications/preferences", FnComments, tenant(roles.User), "putNotificationPreferences"},
	{"POST", "/v1/notifications/unsubscribe", FnComments, public(), "unsubscribeNotifications"},
	// Webhooks (internal/webhook): Admins register HTTPS endpoints; events
	// come from the change stream, deliveries from a queue. No GET of one
	// endpoint: the list holds them all (at most 20), and the platform
	// template is at its resource limit (TestEveryTemplateStaysUnderTheResourceLimit).
	{"GET", "/v1/webhooks", FnComments, tenant(roles.Admin), "listWebhooks"},
	{"POST", "/v1/webhooks", FnComments, tenant(roles.Admin), "createWebhook"},
	{"GET", "/v1/webhooks/{webhookId}", FnComments, tenant(roles.Admin), "getWebhook"},
	{"PATCH", "/v1/webhooks/{webhookId}", FnComments, tenant(roles.Admin), "updateWebhook"},
	{"DELETE", "/v1/webhooks/{webhookId}", FnComments, tenant(roles.Admin), "deleteWebhook"},
	{"POST", "/v1/webhooks/{webhookId}/rotate-secret", FnComments, tenant(roles.Admin), "rotateWebhookSecret"},
	{"GET", "/v1/webhooks/{webhookId}/deliveries", FnComments, tenant(roles.Admin), "listWebhookDeliveries"},
	{"POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", FnComments, tenant(roles.Admin), "redeliverWebhookDelivery"},
	// Tenant lifecycle (internal/tenantapi).
	// Before /v1/registrations/{tenantId}: a literal segment wins (as in API Gateway).
	{"GET", "/v1/registrations/availability", FnRegistration, public(), "checkSlugAvailability"},
	{"POST", "/v1/registrations", FnRegistration, public(), "register"},
	{"GET", "/v1/registrations/{tenantId}", FnRegistration, public(), "getRegistration"},
	{"POST", "/v1/registrations/{tenantId}/verify", FnRegistration, public(), "verifyRegistration"},
	{"POST", "/v1/registrations/{tenantId}/verification", FnRegistration, public(), "resendVerification"},
	{"GET", "/v1/workspaces/{slug}", FnRegistration, public(), "getWorkspace"},
	{"GET", "/v1/admin/tenants", FnTenants, root(), "listTenants"},
	{"POST", "/v1/admin/tenants/{tenantId}/approve", FnTenants, root(), "approveTenant"},
	{"GET", "/v1/admin/tenants/{tenantId}", FnTenants, root(), "getTenant"},
	{"POST", "/v1/admin/tenants/{tenantId}/suspend", FnTenants, root(), "suspendTenant"},
	{"POST", "/v1/admin/tenants/{tenantId}/reactivate", FnTenants, root(), "reactivateTenant"},
	{"PUT", "/v1/admin/tenants/{tenantId}/tier", FnTenants, root(), "changeTenantTier"},
	{"POST", "/v1/admin/tenants/{tenantId}/migration", FnTenants, root(), "migrateTenant"},
	{"POST", "/v1/admin/tenants/{tenantId}/migration/rollback", FnTenants, root(), "rollbackMigration"},
	{"POST", "/v1/admin/tenants/{tenantId}/lifecycle/retry", FnTenants, root(), "retryTenantLifecycle"},
	{"POST", "/v1/admin/tenants/{tenantId}/offboard", FnTenants, root(), "offboardTenant"},
	{"GET", "/v1/admin/tenants/{tenantId}/audit", FnTenants, root(), "listTenantAudit"},
	{"GET", "/v1/admin/settings", FnTenants, root(), "getSystemSettings"},
	{"PUT", "/v1/admin/settings", FnTenants, root(), "putSystemSettings"},
	{"GET", "/v1/admin/health", FnTenants, root(), "getPlatformHealth"},
	{"GET", "/v1/admin/suppressions", FnTenants, root(), "listSuppressions"},
	{"DELETE", "/v1/admin/suppressions/{address}", FnTenants, root(), "deleteSuppression"},
	{"GET", "/v1/branding", FnWorkspace, tenant(roles.User), "getBranding"},
	{"PUT", "/v1/branding", FnWorkspace, tenant(roles.SuperAdmin), "putBranding"},

	// People: the directory is readable by every member (assignee and team
	// pickers); managing it is the Super Admin's (issue #4).
	{"GET", "/v1/users", FnUsers, tenant(roles.User), "listUsers"},
	{"POST", "/v1/users", FnUsers, tenant(roles.SuperAdmin), "inviteUser"},
	{"GET", "/v1/users/{userId}", FnUsers, tenant(roles.User), "getUser"},
	{"DELETE", "/v1/users/{userId}", FnUsers, tenant(roles.SuperAdmin), "removeUser"},
	{"PUT", "/v1/users/{userId}/role", FnUsers, tenant(roles.SuperAdmin), "changeUserRole"},
	{"POST", "/v1/users/{userId}/disable", FnUsers, tenant(roles.SuperAdmin), "disableUser"},
	{"POST", "/v1/users/{userId}/enable", FnUsers, tenant(roles.SuperAdmin), "enableUser"},
	{"GET", "/v1/users/{userId}/teams", FnUsers, tenant(roles.User), "listUserTeams"},
	{"GET", "/v1/me/mfa", FnUsers, tenant(roles.User), "getMyMFA"},
	{"POST", "/v1/me/mfa/totp", FnUsers, tenant(roles.User), "associateTOTP"},
	{"POST", "/v1/me/mfa/totp/verify", FnUsers, tenant(roles.User), "verifyTOTP"},
	{"GET", "/v1/settings/security", FnUsers, tenant(roles.SuperAdmin), "getSecuritySettings"},
	{"PUT", "/v1/settings/security", FnUsers, tenant(roles.SuperAdmin), "putSecuritySettings"},
	{"GET", "/v1/settings/support-access", FnUsers, tenant(roles.SuperAdmin), "getSupportAccess"},
	{"PUT", "/v1/settings/support-access", FnUsers, tenant(roles.SuperAdmin), "grantSupportAccess"},
	{"DELETE", "/v1/settings/support-access", FnUsers, tenant(roles.SuperAdmin), "revokeSupportAccess"},
	{"GET", "/v1/audit", FnUsers, tenant(roles.Admin), "listAudit"},
	{"GET", "/v1/audit/export", FnUsers, tenant(roles.SuperAdmin), "exportAudit"},
	{"GET", "/v1/admin/tenants/{tenantId}/users", FnUsers, root(), "rootListTenantUsers"},
	{"GET", "/v1/admin/tenants/{tenantId}/users/{userId}", FnUsers, root(), "rootGetTenantUser"},
	{"GET", "/v1/admin/tenants/{tenantId}/support-access", FnUsers, root(), "rootGetSupportAccess"},

	// Usage and billing (internal/usage, internal/billing): the Super Admin
	// sees the workspace's usage and manages its plan; Root sees every
	// tenant's usage, MRR and churn; Stripe calls the webhook (its
	// signature is checked in the function: no authorizer).
	{"GET", "/v1/usage", FnBilling, tenant(roles.SuperAdmin), "getUsage"},
	{"GET", "/v1/admin/usage", FnBilling, root(), "getRootUsage"},
	{"GET", "/v1/billing", FnBilling, tenant(roles.SuperAdmin), "getBilling"},
	{"POST", "/v1/billing/checkout", FnBilling, tenant(roles.SuperAdmin), "startCheckout"},
	{"PUT", "/v1/billing/plan", FnBilling, tenant(roles.SuperAdmin), "changePlan"},
	{"GET", "/v1/billing/invoices", FnBilling, tenant(roles.SuperAdmin), "listInvoices"},
	{"POST", "/v1/billing/webhook", FnBilling, public(), "stripeWebhook"},
	{"POST", "/v1/registrations/{tenantId}/checkout", FnBilling, public(), "createRegistrationCheckout"},
	{"GET", "/v1/admin/billing", FnBilling, root(), "getRootBilling"},
	// Analytics (internal/analytics): read from rollups the analytics
	// consumer keeps from the change stream. Members see the workspace's and
	// teams' figures and their own; other people's need Admin (checked in
	// the handlers: it depends on the person asked for).
	{"GET", "/v1/analytics/issues", FnAnalytics, tenant(roles.User), "getIssueAnalytics"},
	{"GET", "/v1/analytics/workload", FnAnalytics, tenant(roles.User), "getWorkload"},
	{"GET", "/v1/analytics/teams/{teamId}/velocity", FnAnalytics, tenant(roles.User), "getTeamVelocity"},
	{"GET", "/v1/analytics/users/{userId}", FnAnalytics, tenant(roles.User), "getUserPerformance"},
	{"GET", "/v1/analytics/settings", FnAnalytics, tenant(roles.User), "getAnalyticsSettings"},
	{"PUT", "/v1/analytics/settings", FnAnalytics, tenant(roles.SuperAdmin), "putAnalyticsSettings"},

	// Teams: readable by every member, managed by Admins and above.
	{"GET", "/v1/teams", FnTeams, tenant(roles.User), "listTeams"},
	{"POST", "/v1/teams", FnTeams, tenant(roles.Admin), "createTeam"},
	{"GET", "/v1/teams/{teamId}", FnTeams, tenant(roles.User), "getTeam"},
	{"PATCH", "/v1/teams/{teamId}", FnTeams, tenant(roles.Admin), "updateTeam"},
	{"DELETE", "/v1/teams/{teamId}", FnTeams, tenant(roles.Admin), "deleteTeam"},
	{"GET", "/v1/teams/{teamId}/members", FnTeams, tenant(roles.User), "listTeamMembers"},
	{"PUT", "/v1/teams/{teamId}/members/{userId}", FnTeams, tenant(roles.Admin), "addTeamMember"},
	{"DELETE", "/v1/teams/{teamId}/members/{userId}", FnTeams, tenant(roles.Admin), "removeTeamMember"},
}

// withoutMFA are the operations a session that the workspace's MFA
// requirement refuses may still call: to see and set up its MFA.
var withoutMFA = []string{"getMe", "signOut", "getMyMFA", "associateTOTP", "verifyTOTP"}

// AllowedWithoutMFA reports whether operation op is open to such a session.
func AllowedWithoutMFA(op string) bool { return slices.Contains(withoutMFA, op) }

// writeClaimsKey are the POST operations whose write is one DynamoDB
// transaction: with an Idempotency-Key, that transaction claims the key
// itself (internal/idempotency, Store.WrapOneTransaction) instead of a
// separate claim before the handler runs, one round trip less.
var writeClaimsKey = []string{"createIssue", "createComment"}

// WriteClaimsKey reports whether the route's write is one transaction that
// may claim its Idempotency-Key.
func (r Route) WriteClaimsKey() bool {
	return r.Method == "POST" && slices.Contains(writeClaimsKey, r.OperationID)
}

// ifMatch names, for each operation that reads If-Match (httpapi.IfMatch:
// a stale ETag is a 412 version_mismatch), the resource whose ETag it
// takes. Any other route refuses If-Match, and every write refuses
// If-None-Match and If-Unmodified-Since, with a 400 before its handler
// runs (internal/app/core): a condition the route would not evaluate must
// not turn into an unconditional write. The OpenAPI document describes
// the header from this list. Sorted by operation id (TestIfMatchIsSorted).
var ifMatch = []opText{
	{"changeUserRole", "the user"},
	{"deleteCycle", "the cycle"},
	{"deleteField", "the field"},
	{"deleteIssue", "the issue"},
	{"deleteTeam", "the team"},
	{"disableUser", "the user"},
	{"enableUser", "the user"},
	{"moveIssue", "the issue"},
	{"removeUser", "the user"},
	{"transitionIssue", "the issue"},
	{"updateCycle", "the cycle"},
	{"updateField", "the field"},
	{"updateIssue", "the issue"},
	{"updateProject", "the project"},
	{"updateProjectWorkflow", "the workflow"},
	{"updateTeam", "the team"},
}

// IfMatch names the resource whose ETag the route's If-Match takes ("the
// issue"); empty: the route takes no If-Match.
func (r Route) IfMatch() string {
	i, ok := slices.BinarySearchFunc(ifMatch, r.OperationID, func(p opText, op string) int { return strings.Compare(p.op, op) })
	if !ok {
		return ""
	}
	return ifMatch[i].text
}

// withoutBody are the writes that take no request body (the reads take
// none either: Route.TakesBody). A body sent to one anyway is a 400
// body_not_allowed before its handler runs (internal/app/core), as an
// unknown query parameter is: a client that sends {"reason": ...} to a
// DELETE or {"role": "admin"} to an enable would otherwise see its words
// silently dropped. The one-click unsubscribe is not here: RFC 8058's
// mail clients POST "List-Unsubscribe=One-Click" to it. The OpenAPI
// document describes a request body exactly for the others
// (internal/openapi's test keeps both in step). Sorted (TestWithoutBodyIsSorted).
var withoutBody = []string{
	"addTeamMember",
	"approveTenant",
	"confirmAttachment",
	"createRegistrationCheckout",
	"deleteAttachment",
	"deleteComment",
	"deleteCycle",
	"deleteField",
	"deleteIssue",
	"deleteLabel",
	"deleteRelation",
	"deleteSuppression",
	"deleteTeam",
	"deleteView",
	"deleteWebhook",
	"disableUser",
	"enableUser",
	"markAllNotificationsRead",
	"markNotificationRead",
	"previewImport",
	"reactivateTenant",
	"redeliverWebhookDelivery",
	"removeTeamMember",
	"removeUser",
	"resendVerification",
	"retryTenantLifecycle",
	"revokeSupportAccess",
	"rollbackMigration",
	"rotateWebhookSecret",
	"runImport",
	"signOut",
	"signOutRoot",
	"unwatchIssue",
	"watchIssue",
}

// TakesBody reports whether the route reads a request body: no GET, HEAD
// or OPTIONS does, nor a write of withoutBody.
func (r Route) TakesBody() bool {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS":
		return false
	}
	_, found := slices.BinarySearch(withoutBody, r.OperationID)
	return !found
}

// queryParams are the query parameters each operation takes; any other is a
// 400 unknown_parameter before its handler runs (internal/app/core), so a
// typo (?stauts=open) is never the unfiltered list. The OpenAPI document
// describes each of them (internal/openapi; its test keeps both equal).
// A slice sorted by operation id, not a map: static data, where a map
// literal this size is built by its package's initialisation in every
// function (issue 19; TestQueryParamsAreSorted keeps the order).
var queryParams = []opParams{
	{"checkSlugAvailability", []string{"slug"}},
	{"createRegistrationCheckout", []string{"token"}},
	{"exportAudit", []string{"cursor", "format"}},
	{"exportView", []string{"cursor", "format"}},
	{"getIssueAnalytics", []string{"assignee", "bucket", "from", "priority", "team", "to"}},
	{"getRegistration", []string{"token"}},
	{"getRootUsage", []string{"month"}},
	{"getTeamVelocity", []string{"from", "to"}},
	{"getUserPerformance", []string{"bucket", "from", "to"}},
	{"getVelocity", []string{"cycles", "project", "team"}},
	{"getWorkload", []string{"group_by"}},
	{"listAttachments", pageQuery},
	{"listAudit", pageQuery},
	{"listComments", pageQuery},
	{"listCycleIssues", pageQuery},
	{"listCycles", []string{"cursor", "limit", "project", "team"}},
	{"listInvoices", pageQuery},
	{"listIssueActivity", pageQuery},
	{"listIssueStatusHistory", pageQuery},
	{"listIssues", []string{"field.*", "assignee", "category", "created_after", "created_before", "cursor", "cycle", "due_after", "due_before", "label", "limit", "order", "overdue", "parent", "priority", "project", "sort", "status", "team", "type", "updated_after", "updated_before"}},
	{"listNotifications", []string{"cursor", "limit", "unread"}},
	{"listSuppressions", pageQuery},
	{"listTeamMembers", pageQuery},
	{"listTeams", pageQuery},
	{"listTenantAudit", pageQuery},
	{"listTenants", []string{"cursor", "limit", "q", "sort", "status"}},
	{"listUserTeams", pageQuery},
	{"listUsers", pageQuery},
	{"listViewIssues", pageQuery},
	{"listWatchers", pageQuery},
	{"listWebhookDeliveries", pageQuery},
	{"resendVerification", []string{"token"}},
	{"rootListTenantUsers", pageQuery},
	{"searchIssues", []string{"field.*", "assignee", "category", "created_after", "created_before", "cursor", "cycle", "due_after", "due_before", "label", "limit", "overdue", "parent", "priority", "project", "q", "status", "team", "type", "updated_after", "updated_before"}},
	{"unsubscribeNotifications", []string{"token"}},
	{"verifyRegistration", []string{"token"}},
}

type opParams struct {
	op     string
	params []string
}

// paramsOf are operation op's query parameters (queryParams).
func paramsOf(op string) []string {
	i, ok := slices.BinarySearchFunc(queryParams, op, func(p opParams, op string) int { return strings.Compare(p.op, op) })
	if !ok {
		return nil
	}
	return queryParams[i].params
}

// pageQuery are a list's parameters (internal/list).
var pageQuery = []string{"cursor", "limit"}

// QueryParams are the query parameters the route takes (none: nil); a name
// ending in ".*" is a family (field.* : field.<custom field id>).
func (r Route) QueryParams() []string { return paramsOf(r.OperationID) }

// TakesQuery reports whether the route takes the query parameter name.
func (r Route) TakesQuery(name string) bool {
	for _, p := range paramsOf(r.OperationID) {
		if p == name || (strings.HasSuffix(p, ".*") && strings.HasPrefix(name, p[:len(p)-1]) && len(name) > len(p)-1) {
			return true
		}
	}
	return false
}

// ByOperation finds the route of operation id op.
func ByOperation(op string) (Route, bool) {
	for _, r := range table {
		if r.OperationID == op {
			return r, true
		}
	}
	return Route{}, false
}

// All returns a copy of the route table.
func All() []Route { return append([]Route(nil), table...) }

// Functions returns the functions that own at least one route, in table order.
func Functions() []Function {
	var out []Function
	seen := map[Function]bool{}
	for _, r := range table {
		if !seen[r.Function] {
			seen[r.Function] = true
			out = append(out, r.Function)
		}
	}
	return out
}

// ForFunction returns the routes owned by fn.
func ForFunction(fn Function) []Route {
	var out []Route
	for _, r := range table {
		if r.Function == fn {
			out = append(out, r)
		}
	}
	return out
}

// ResourcePaths are the API's resources: the root and every prefix of every
// route's path ("/v1", "/v1/issues", "/v1/issues/{issueId}", ...), sorted.
// API Gateway makes one resource per path segment, and the API
// (constructs/api) gives each a CORS preflight (OPTIONS); the local gateway
// answers OPTIONS on exactly these.
func ResourcePaths() []string { return ResourcePathsOf(table) }

// ResourcePathsOf are the resources of the routes rs (ResourcePaths).
func ResourcePathsOf(rs []Route) []string {
	seen := map[string]bool{"/": true}
	for _, r := range rs {
		segs := split(r.Path)
		for i := range segs {
			seen["/"+strings.Join(segs[:i+1], "/")] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Match finds the route of the table for a request; no route for the
// method is a missing route (404) whether or not the path has others, as
// API Gateway answers. Path parameters are returned by name.
func Match(method, path string) (r Route, params map[string]string, ok bool) {
	return tableMatcher().Match(method, path)
}

// A Matcher matches requests to routes with API Gateway's precedence: a
// literal segment wins over a path parameter, so GET /v1/issues/bulk is the
// resource /v1/issues/bulk (which has only POST: GET there is a missing route), not GET
// /v1/issues/{id} with the id "bulk". The local gateway uses the table's;
// the template-driven one builds its own from the template's methods.
type Matcher struct {
	routes []Route
	segs   [][]string // each route's path split once: Match runs on every request
}

// NewMatcher matches requests to rs.
func NewMatcher(rs []Route) *Matcher {
	m := &Matcher{routes: rs, segs: make([][]string, len(rs))}
	for i, rt := range rs {
		m.segs[i] = split(rt.Path)
	}
	return m
}

// Match finds the route for a request; see the package's Match.
func (m *Matcher) Match(method, path string) (r Route, params map[string]string, ok bool) {
	segs := split(path)
	best := -1
	for i := range m.routes {
		if !sameShape(m.segs[i], segs) {
			continue
		}
		if best < 0 || moreSpecific(m.segs[i], m.segs[best]) {
			best = i
		}
	}
	if best < 0 {
		return Route{}, nil, false
	}
	for i, rt := range m.routes {
		if rt.Method == method && rt.Path == m.routes[best].Path {
			p, _ := matchPath(m.segs[i], segs)
			return rt, p, true
		}
	}
	return Route{}, nil, false
}

// sameShape reports whether segs fit the template (without collecting the
// parameters: Match tries every route).
func sameShape(tmpl, segs []string) bool {
	if len(tmpl) != len(segs) {
		return false
	}
	for i, t := range tmpl {
		if isParam(t) {
			if segs[i] == "" {
				return false
			}
		} else if t != segs[i] {
			return false
		}
	}
	return true
}

// moreSpecific: at the first segment where one template has a literal and
// the other a parameter, the literal wins.
func moreSpecific(a, b []string) bool {
	for i := range a {
		if pa, pb := isParam(a[i]), isParam(b[i]); pa != pb {
			return !pa
		}
	}
	return false
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// tableMatcher is built once. A function, not a package-level
// sync.OnceValue: a variable's initialiser that reaches the table makes the
// linker keep the table in every binary that imports this package (the
// stream and trigger functions grew a 64 KiB step: make lambda-sizes).
func tableMatcher() *Matcher {
	tableMatcherOnce.Do(func() { tableM = NewMatcher(table) })
	return tableM
}

var (
	tableMatcherOnce sync.Once
	tableM           *Matcher
)

func split(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchPath(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, t := range tmpl {
		if isParam(t) {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

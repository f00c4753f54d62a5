// Package stackevents is the event contract between onboarding and the
// provisioning pipeline (constructs/provisioning) on the platform's
// EventBridge bus. It is plain Go so Lambda binaries can use it without the
// CDK library.
package stackevents

// Sources and detail types. Requests carry detail {"tenantId": id}; reports
// carry {"tenantId", "action", "status", "error"?}.
const (
	SourceOnboarding   = "issuetracker.onboarding"
	SourceProvisioning = "issuetracker.provisioning"
	// SourceLifecycle asks the onboarding function to run a tenant's
	// lifecycle (onboarding, offboarding) out of the API request.
	SourceLifecycle = "issuetracker.lifecycle"

	DetailTypeRunRequested = "Tenant Lifecycle Run Requested"
	// DetailTypeMaintenanceDue comes from the platform's schedule: resume
	// the runs that died, retire the old homes whose grace period is over.
	DetailTypeMaintenanceDue = "Lifecycle Maintenance Due"

	DetailTypeDeployRequested  = "Tenant Stack Deploy Requested"
	DetailTypeDestroyRequested = "Tenant Stack Destroy Requested"
	DetailTypeSucceeded        = "Tenant Stack Succeeded"
	DetailTypeFailed           = "Tenant Stack Failed"

	ActionDeploy  = "deploy"
	ActionDestroy = "destroy"
)

// Request is the detail of a deploy or destroy request.
type Request struct {
	TenantID string `json:"tenantId"`
}

// Report is the detail of a provisioning outcome.
type Report struct {
	TenantID string `json:"tenantId"`
	Action   string `json:"action"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
}

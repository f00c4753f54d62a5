package onboarding

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Placement is where a tenant's data and users live.
type Placement struct {
	Table      string
	UserPoolID string
	// Issuer and ClientIDs are set for a dedicated pool only.
	Issuer    string
	ClientIDs []string
	// Downloads is the dedicated attachments bucket's download
	// distribution (a Platinum stack deployed with a download key).
	Downloads *tenant.Downloads
}

// Provisioner creates and removes where a tenant lives. Both are idempotent.
type Provisioner interface {
	Provision(ctx context.Context, t tenant.Tenant) (Placement, error)
	Destroy(ctx context.Context, t tenant.Tenant) error
}

// Pooled places a tenant in the shared table and the shared user pool.
type Pooled struct{ Table, UserPoolID string }

// Provision implements Provisioner.
func (p Pooled) Provision(context.Context, tenant.Tenant) (Placement, error) {
	return Placement{Table: p.Table, UserPoolID: p.UserPoolID}, nil
}

// Destroy implements Provisioner: shared resources stay.
func (Pooled) Destroy(context.Context, tenant.Tenant) error { return nil }

// StackDeployer deploys and destroys the stack IssueTracker-Tenant-<id>. In
// AWS the provisioning construct runs `cdk deploy`; locally package
// localdeploy synthesizes it with the real CDK app and applies it.
type StackDeployer interface {
	// Deploy returns the stack's outputs (TableName, UserPoolId,
	// UserPoolClientId; AttachmentsDownloadDomain and
	// AttachmentsDownloadKeyPairId when it has a download distribution).
	Deploy(ctx context.Context, tenantID string) (map[string]string, error)
	// Destroy removes the stack and the resources it retains (table, pool).
	Destroy(ctx context.Context, tenantID string) error
}

// The tenant stack's outputs naming its download distribution (stacks
// NewTenantStack): the domain, and the key pair id when the stack trusts
// a key group of its own.
const (
	OutputDownloadDomain    = "AttachmentsDownloadDomain"
	OutputDownloadKeyPairID = "AttachmentsDownloadKeyPairId"
)

// Platinum places a tenant in its own stack.
type Platinum struct {
	Stacks StackDeployer
	// IssuerBase prefixes a pool id to make its token issuer
	// (https://cognito-idp.<region>.amazonaws.com, or cognito-local's URL).
	IssuerBase string
}

// Provision implements Provisioner.
func (p Platinum) Provision(ctx context.Context, t tenant.Tenant) (Placement, error) {
	out, err := p.Stacks.Deploy(ctx, t.ID)
	if err != nil {
		return Placement{}, err
	}
	pl := Placement{Table: out["TableName"], UserPoolID: out["UserPoolId"]}
	if pl.Table == "" || pl.UserPoolID == "" || out["UserPoolClientId"] == "" {
		return Placement{}, errorf("stack of %s lacks the outputs TableName, UserPoolId, UserPoolClientId: %v", t.ID, out)
	}
	pl.Issuer = trimSlash(p.IssuerBase) + "/" + pl.UserPoolID
	pl.ClientIDs = []string{out["UserPoolClientId"]}
	pl.Downloads = downloadsOf(out)
	return pl, nil
}

// Destroy implements Provisioner.
func (p Platinum) Destroy(ctx context.Context, t tenant.Tenant) error {
	return p.Stacks.Destroy(ctx, t.ID)
}

// Users manages people in Cognito (cognito.Pools implements it). Every
// write refuses a user of another tenant (identity.ErrOtherTenant).
type Users interface {
	EnsureUser(ctx context.Context, poolID string, u identity.UserSpec) (string, error)
	Invite(ctx context.Context, poolID string, u identity.UserSpec) (identity.Invited, error)
	DeleteUser(ctx context.Context, poolID, tenantID, username string) error
	// TenantOf is the tenant of the pool's user username; found false if none.
	TenantOf(ctx context.Context, poolID, username string) (tenantID string, found bool, err error)
}

// APIKeys manages each tenant's API Gateway key and its usage plan.
type APIKeys interface {
	// Create returns the tenant's key (id and value) on its tier's usage
	// plan, creating it if needed: calling it again returns the same key.
	Create(ctx context.Context, tenantID string, tier tiers.Name) (id, value string, err error)
	// Move puts the key on another tier's usage plan.
	Move(ctx context.Context, id string, from, to tiers.Name) error
	// Delete removes the key; an unknown key is not an error.
	Delete(ctx context.Context, id string) error
}

// Data is a tenant's application data as a whole (package tenantdata).
type Data interface {
	// Export writes every item of the tenant as DynamoDB JSON lines.
	Export(ctx context.Context, t tenant.Tenant) (archive []byte, items int, err error)
	// Delete removes the tenant's items from the pooled table.
	Delete(ctx context.Context, t tenant.Tenant) (items int, err error)
	// UserNames lists the usernames of the tenant's people (for the pool).
	UserNames(ctx context.Context, t tenant.Tenant) ([]string, error)
}

// Archive keeps offboarding exports (a folder locally, S3 in AWS).
type Archive interface {
	Store(ctx context.Context, name string, body []byte) (location string, err error)
}

// Driver starts a run of the machine for a tenant: in-process locally, an
// event in AWS. Start returns once the run is started (or done).
type Driver interface {
	Start(ctx context.Context, tenantID string) error
}

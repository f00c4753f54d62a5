// Package awsstacks deploys Platinum tenants' stacks in AWS through the
// provisioning pipeline (constructs/provisioning): Stacks asks for a deploy
// or destroy with an event on the platform bus and leaves the onboarding
// waiting; Handler, in the onboarding function, takes the pipeline's
// outcome events and resumes (or fails) the waiting run.
//
// Every call is idempotent because the stack's own state in CloudFormation
// decides what to do: a deployed stack gives its outputs, a stack in
// progress is waited for, anything else is (re)requested.
package awsstacks

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// DefaultStackPrefix names the first cell's tenant stacks
// (schema.TenantStackPrefix; a function of another cell is told its own in
// envvars.TenantStackPrefix).
var DefaultStackPrefix = schema.TenantStackPrefix(schema.DefaultCell)

// Stacks implements onboarding.StackDeployer with the provisioning pipeline.
type Stacks struct {
	// Events puts the deploy and destroy requests on Bus (eventbus.Client).
	Events eventbus.Putter
	// CFN reads the stacks of the platform's account (DescribeStacks).
	CFN CFN
	// Bus is the platform's event bus name (ITR_EVENT_BUS).
	Bus string
	// StackPrefix names tenant stacks. Default: DefaultStackPrefix.
	StackPrefix string
	// CrossAccount read the stacks of Platinum tenants whose stack is in
	// an AWS account of their own, by tenant id (AssumeRoleClients); every
	// other tenant's stack is read with CFN.
	CrossAccount map[string]CFN
}

// cfn is the CloudFormation reader that sees tenantID's stack.
func (s Stacks) cfn(tenantID string) CFN {
	if c, ok := s.CrossAccount[tenantID]; ok {
		return c
	}
	return s.CFN
}

// ParseAccountRoles reads envvars.TenantAccountRoles: "tenant=role-arn,...".
func ParseAccountRoles(v string) (map[string]string, error) { return envvars.ParseTenantRoles(v) }

// AssumeRoleClients are CloudFormation readers, one per tenant of roles
// (tenant id -> role ARN in the tenant's own account), whose credentials
// are AssumeRoleConfigs'. The roles are constructs/crossaccount's.
func AssumeRoleClients(base aws.Config, st assumerole.Client, roles map[string]string) map[string]CFN {
	return ClientsOf(AssumeRoleConfigs(base, st, roles))
}

// ClientsOf are CloudFormation readers of configs, by tenant.
func ClientsOf(configs map[string]aws.Config) map[string]CFN {
	out := map[string]CFN{}
	for tenant, cfg := range configs {
		out[tenant] = NewCFN(cfg)
	}
	return out
}

// AssumeRoleConfigs are SDK configurations, one per tenant of roles,
// whose credentials come from STS AssumeRole of the tenant's role with
// the base configuration's credentials, cached until they near expiry
// (aws.CredentialsCache): the provisioning session in the tenant's own
// account, which follows its stack (CloudFormation) and reads its table
// whole for offboarding (DynamoDB Scan).
func AssumeRoleConfigs(base aws.Config, st assumerole.Client, roles map[string]string) map[string]aws.Config {
	out := map[string]aws.Config{}
	for tenant, arn := range roles {
		cfg := base.Copy()
		cfg.Credentials = assumerole.NewCache(st, assumerole.Input{RoleARN: arn, SessionName: "issuetracker-provisioning-" + tenant})
		out[tenant] = cfg
	}
	return out
}

var _ onboarding.StackDeployer = Stacks{}

func (s Stacks) stackName(tenantID string) string {
	if s.StackPrefix == "" {
		return DefaultStackPrefix + tenantID
	}
	return s.StackPrefix + tenantID
}

// Deploy implements onboarding.StackDeployer: the outputs of a deployed
// stack, or onboarding.ErrWaiting once a deploy is under way.
func (s Stacks) Deploy(ctx context.Context, tenantID string) (map[string]string, error) {
	st, err := s.describe(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	switch {
	case st != nil && deployed(st.Status):
		return outputs(st), nil
	case st != nil && inProgress(st.Status):
		return nil, onboarding.ErrWaiting
	}
	if err := s.request(ctx, stackevents.DetailTypeDeployRequested, tenantID); err != nil {
		return nil, err
	}
	return nil, onboarding.ErrWaiting
}

var _ onboarding.StackOutputs = Stacks{}

// Outputs implements onboarding.StackOutputs: the outputs of the tenant's
// stack if it is deployed (one DescribeStacks; it never requests a
// deploy). A stack being created, updated or rolled back is not found
// yet: its outputs are read once it settles.
func (s Stacks) Outputs(ctx context.Context, tenantID string) (map[string]string, bool, error) {
	st, err := s.describe(ctx, tenantID)
	if err != nil || st == nil || !deployed(st.Status) {
		return nil, false, err
	}
	return outputs(st), true, nil
}

func outputs(st *Stack) map[string]string { return st.Outputs }

// Destroy implements onboarding.StackDeployer: nil once the stack is gone,
// or onboarding.ErrWaiting once a destroy is under way. The stack's table
// and user pool are retained by CloudFormation (see docs/deploy.md).
func (s Stacks) Destroy(ctx context.Context, tenantID string) error {
	st, err := s.describe(ctx, tenantID)
	if err != nil {
		return err
	}
	switch {
	case st == nil || st.Status == "DELETE_COMPLETE":
		return nil
	case inProgress(st.Status):
		return onboarding.ErrWaiting
	}
	if err := s.request(ctx, stackevents.DetailTypeDestroyRequested, tenantID); err != nil {
		return err
	}
	return onboarding.ErrWaiting
}

// describe returns the stack, or nil if it does not exist.
func (s Stacks) describe(ctx context.Context, tenantID string) (*Stack, error) {
	st, err := s.cfn(tenantID).DescribeStack(ctx, s.stackName(tenantID))
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", s.stackName(tenantID), err)
	}
	return st, nil
}

func (s Stacks) request(ctx context.Context, detailType, tenantID string) error {
	detail, _ := json.Marshal(stackevents.Request{TenantID: tenantID})
	_, err := s.Events.Put(ctx, eventbus.Entry{EventBusName: s.Bus, Source: stackevents.SourceOnboarding,
		DetailType: detailType, Detail: string(detail), Resources: []string{s.stackName(tenantID)}})
	if err != nil {
		return fmt.Errorf("request %q for %s: %w", detailType, tenantID, err)
	}
	return nil
}

// deployed: the stack exists with usable outputs. UPDATE_ROLLBACK_COMPLETE
// is a stack whose update was undone, still serving its previous version.
func deployed(s string) bool {
	switch s {
	case "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE":
		return true
	}
	return false
}

func inProgress(s string) bool { return strings.HasSuffix(s, "_IN_PROGRESS") }

// Package lifecyclecore builds the tenant lifecycle of a deployed function
// from its environment: usage plan keys through API Gateway, run requests
// on the bus (EventBridge), moves to other cells; both services' calls are
// hand-signed (apikeys.AWS, awsx/eventbus), not their SDK clients. What only the functions
// that run lifecycle steps use (the Platinum stacks' CloudFormation
// clients, offboarding exports and file moves in S3) is plugged in by
// lifecyclewire (Steps); billing, which only starts runs, imports this
// package alone and links neither the CloudFormation nor the S3 client
// (docs/performance.md, issue 19).
package lifecyclecore

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/localstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/runbus"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Steps is what a function that runs lifecycle steps adds in AWS
// (lifecyclewire.AWSSteps). The zero value is a function whose runs happen
// elsewhere (RunsElsewhere): no export archive, and Platinum admitted but
// provisioned by the onboarding function.
type Steps struct {
	// Archive keeps offboarding exports in bucket (envvars.ExportBucket;
	// kmsKey empty: the bucket's default encryption).
	Archive func(cfg aws.Config, e awsx.Endpoints, bucket, kmsKey string) onboarding.Archive
	// Platinum deploys tenant stacks through events on bus and reads their
	// state; OwnAccounts are the DynamoDB clients of Platinum tenants in
	// accounts of their own (envvars.TenantAccountRoles).
	Platinum func(cfg aws.Config, e awsx.Endpoints, events eventbus.Putter, bus, issuer string) (p onboarding.Provisioner, ownAccounts map[string]*dynamodb.Client, err error)
	// CellPlatinum deploys tenant stacks in peer, another cell of this
	// account and Region, through events on its bus and reads their state
	// (a Platinum tenant's move there: docs/scale.md, piece 2).
	CellPlatinum func(cfg aws.Config, events eventbus.Putter, peer cells.Peer, issuer string) onboarding.Provisioner
	// Files moves a tenant's attachments between cells (nil: d serves no files).
	Files func(d core.Deps) onboarding.FileMover
}

// ErrRunsElsewhere is what RunsElsewhere's Platinum answers if a step
// reached it: this function's runs go on the bus to the onboarding function.
var ErrRunsElsewhere = errors.New("lifecycle: Platinum stacks are provisioned by the onboarding function, not this one (its runs go on the bus)")

// RunsElsewhere is the Platinum provisioner of a function whose runs the
// onboarding function does (Steps.Platinum nil): Platinum is admitted
// (registrations, tier changes), and a step that reached it fails with
// ErrRunsElsewhere rather than deploy from the wrong function.
type RunsElsewhere struct{}

// Provision implements onboarding.Provisioner.
func (RunsElsewhere) Provision(context.Context, tenant.Tenant) (onboarding.Placement, error) {
	return onboarding.Placement{}, ErrRunsElsewhere
}

// Destroy implements onboarding.Provisioner.
func (RunsElsewhere) Destroy(context.Context, tenant.Tenant) error { return ErrRunsElsewhere }

// FromEnv builds the lifecycle of a deployed function, once per
// cold start, from what the platform stack configures (internal/envvars):
//   - envvars.ExportBucket (+ ExportKMSKey): offboarding exports in S3 (s.Archive);
//   - envvars.UsagePlanParameterPrefix: API Gateway keys on the plans whose
//     ids are read from SSM on the first key operation (one GetParameters
//     call, with a timeout; no network call at cold start);
//   - envvars.EventBus: Platinum stacks deployed by the provisioning pipeline
//     (s.Platinum, else RunsElsewhere), runs requested on the bus.
//
// What is not configured keeps tenantwire.NewLifecycle's default (a folder archive,
// local keys, no Platinum).
func FromEnv(ctx context.Context, env core.Env, d core.Deps, s Steps) (*onboarding.Service, error) {
	e, cfg := env.Endpoints, env.AWS
	var o tenantwire.LifecycleOptions
	// Against the local cloud (a function process of make dev's template
	// mode) there is no KMS, SSM, API Gateway keys API or EventBridge: the
	// exports go unencrypted to the local S3, API keys are local ones, and
	// runs happen in the function (as in the in-process platform).
	local := e.Local()
	if b := os.Getenv(envvars.ExportBucket); b != "" && s.Archive != nil {
		kms := os.Getenv(envvars.ExportKMSKey)
		if local {
			kms = ""
		}
		o.Archive = s.Archive(cfg, e, b, kms)
	}
	if local {
		o.Driver = func(m *onboarding.Machine) onboarding.Driver { return &onboarding.Async{M: m} }
		// make dev's template mode: runs happen in the platform (as in the
		// onboarding function in AWS: a function without mail cannot
		// invite), which also synthesizes and applies Platinum stacks
		// (envvars.LocalLifecycleURL). Without it, runs happen here and
		// Platinum is refused.
		if u := os.Getenv(envvars.LocalLifecycleURL); u != "" {
			o.Driver = func(*onboarding.Machine) onboarding.Driver { return localstacks.Runs{URL: u} }
			o.Platinum = onboarding.Platinum{IssuerBase: os.Getenv(envvars.CognitoIssuerBase), Stacks: localstacks.Client{URL: u}}
		}
		// With the local bus (envvars.EventsEndpoint), a run request goes
		// on the bus as in AWS, and the template's rule routes it.
		if bus, endpoint := os.Getenv(envvars.EventBus), os.Getenv(envvars.EventsEndpoint); bus != "" && endpoint != "" {
			local := cfg.Copy()
			local.BaseEndpoint = &endpoint
			events := eventbus.Client{Config: local}
			o.Driver = func(*onboarding.Machine) onboarding.Driver { return runbus.Driver{Events: events, Bus: bus} }
		}
		return tenantwire.NewLifecycle(d, o), nil
	}
	// Every tenant table's stream has its two consumers in AWS
	// (infra/stacks/streams.go): a migration's freeze waits for them.
	if o.Migration.StreamConsumers == nil {
		o.Migration.StreamConsumers = changes.StreamConsumers()
	}
	if prefix := os.Getenv(envvars.UsagePlanParameterPrefix); prefix != "" {
		// Read on the first key operation, not at cold start (apikeys.LazyPlans).
		o.Keys = apikeys.AWS{Config: cfg, Prefix: d.Names.Prefix, LazyPlans: apikeys.LazyPlansFromSSM(apikeys.SSM{Config: cfg}, prefix)}
	}
	issuer := os.Getenv(envvars.CognitoIssuerBase)
	if issuer == "" {
		issuer = fmt.Sprintf("https://cognito-idp.%s.amazonaws.com", cfg.Region)
	}
	peers, err := cells.ParsePeers(os.Getenv(envvars.MoveCells))
	if err != nil {
		return nil, err
	}
	// The other cells' tenant stacks, as this cell's own: deployed from
	// the function that runs the steps, admitted by the others.
	var cellPlatinum func(cells.Peer) onboarding.Provisioner
	if bus := os.Getenv(envvars.EventBus); bus != "" {
		events := eventbus.Client{Config: cfg}
		o.Platinum = RunsElsewhere{}
		cellPlatinum = func(cells.Peer) onboarding.Provisioner { return RunsElsewhere{} }
		if s.Platinum != nil {
			if o.Platinum, o.OwnAccountScans, err = s.Platinum(cfg, e, events, bus, issuer); err != nil {
				return nil, err
			}
		}
		if s.CellPlatinum != nil {
			cellPlatinum = func(p cells.Peer) onboarding.Provisioner { return s.CellPlatinum(cfg, events, p, issuer) }
		}
		// Runs happen in the onboarding function, not in the API request.
		o.Driver = func(*onboarding.Machine) onboarding.Driver { return runbus.Driver{Events: events, Bus: bus} }
	}
	svc := tenantwire.NewLifecycle(d, o)
	var files onboarding.FileMover
	if s.Files != nil {
		files = s.Files(d)
	}
	// Moves to the other cells of this account and Region (docs/scale.md):
	// their keys on their usage plans, named from their prefix like ours.
	WireMoves(svc.Machine, d, peers, apikeys.SSM{Config: cfg}, func(p cells.Peer) onboarding.APIKeys {
		return apikeys.AWS{Config: cfg, Prefix: p.Prefix, LazyPlans: apikeys.LazyPlansFromSSM(apikeys.SSM{Config: cfg}, schema.UsagePlanParameterPrefix(p.Prefix))}
	}, cellPlatinum, issuer, files, os.Getenv(envvars.AttachmentsBucket))
	return svc, nil
}

// ErrNoRunner is what a run started by a function without the user pools
// (billing) answers when its runs would happen in its own process: no bus
// (envvars.EventBus, and locally envvars.EventsEndpoint) and no local
// lifecycle (envvars.LocalLifecycleURL). Its runs' steps create, invite
// and delete users, which it cannot.
var ErrNoRunner = errors.New("lifecycle: this function starts runs but cannot run their steps (no Cognito client): it needs the bus (" +
	envvars.EventBus + ", and " + envvars.EventsEndpoint + " locally) or the local lifecycle (" + envvars.LocalLifecycleURL + ")")

// noRunner is the driver of a function without user pools whose runs
// would happen in its own process: it starts none (ErrNoRunner).
type noRunner struct{}

// Start implements onboarding.Driver.
func (noRunner) Start(context.Context, string) error { return ErrNoRunner }

// WithRunsElsewhere builds d.Lifecycle (FromEnv without Steps) for a
// function that starts runs and never runs their steps (billing: tier
// changes, suspensions and reactivations go on the bus to the onboarding
// function; registration: sign-ups). A Setup step. In a function without
// the user pools (billing, which does not link the Cognito client) whose
// runs would happen in its own process, a run fails to start
// (ErrNoRunner) rather than at its first step.
func WithRunsElsewhere(ctx context.Context, e core.Env, d *core.Deps) error {
	svc, err := FromEnv(ctx, e, *d, Steps{})
	if err == nil && d.Cognito == nil && RunsHere(svc.Driver) {
		svc.Driver = noRunner{}
	}
	d.Lifecycle = svc
	return err
}

// RunsHere reports whether drv runs the steps in this process (not on
// the bus, nor in the local platform's lifecycle).
func RunsHere(drv onboarding.Driver) bool {
	switch drv.(type) {
	case runbus.Driver, localstacks.Runs:
		return false
	}
	return true
}

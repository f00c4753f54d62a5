// Package lifecyclewire wires the tenant lifecycle of the function that
// runs its steps (onboarding):
// lifecyclecore's keys and run requests plus the AWS provisioning only
// steps use (Platinum stacks through CloudFormation, exports and file
// moves in S3). Billing, registration (registrationwire) and tenants
// (adminwire), which only start runs, use lifecyclecore alone;
// the other functions import neither, so they do not link these clients.
package lifecyclewire

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/filewire"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// AWSSteps is what the functions that run lifecycle steps add to
// lifecyclecore.FromEnv: offboarding exports in S3, the Platinum stacks
// (CloudFormation, in the platform's account or the tenant's own) and the
// attachments' moves between cells.
var AWSSteps = lifecyclecore.Steps{
	Archive: func(cfg aws.Config, e awsx.Endpoints, bucket, kmsKey string) onboarding.Archive {
		return s3archive.Archive{C: s3signed.Client{Config: cfg, Endpoint: e.S3}, Bucket: bucket, KMSKeyID: kmsKey}
	},
	Platinum: func(cfg aws.Config, e awsx.Endpoints, events eventbus.Putter, bus, issuer string) (onboarding.Provisioner, map[string]*dynamodb.Client, error) {
		roles, err := awsstacks.ParseAccountRoles(os.Getenv(envvars.TenantAccountRoles))
		if err != nil {
			return nil, nil, err
		}
		// Tenants in accounts of their own: the provisioning role there
		// follows their stack and reads their table for offboarding.
		accounts := awsstacks.AssumeRoleConfigs(cfg, assumerole.New(cfg), roles)
		p := onboarding.Platinum{IssuerBase: issuer, Stacks: awsstacks.Stacks{
			Events: events, CFN: awsstacks.NewCFN(cfg), Bus: bus, StackPrefix: os.Getenv(envvars.TenantStackPrefix),
			CrossAccount: awsstacks.ClientsOf(accounts)}}
		scans := map[string]*dynamodb.Client{}
		for t, c := range accounts {
			scans[t] = awsx.DynamoDB(c, e)
		}
		return p, scans, nil
	},
	// A Platinum tenant's move to another cell of this account: its stack
	// there is deployed by that cell's pipeline (a request on that cell's
	// bus, named by its prefix) under that cell's stack names
	// (infra/stacks cellmoves.go grants both).
	CellPlatinum: func(cfg aws.Config, events eventbus.Putter, peer cells.Peer, issuer string) onboarding.Provisioner {
		return onboarding.Platinum{IssuerBase: issuer, Stacks: awsstacks.Stacks{
			Events: events, CFN: awsstacks.NewCFN(cfg), Bus: peer.Prefix, StackPrefix: schema.TenantStackPrefix(peer.ID)}}
	},
	Files: movesFiles,
}

// FromEnv builds the lifecycle of a deployed function that runs lifecycle
// steps (lifecyclecore.FromEnv with AWSSteps).
func FromEnv(ctx context.Context, env core.Env, d core.Deps) (*onboarding.Service, error) {
	return lifecyclecore.FromEnv(ctx, env, d, AWSSteps)
}

// movesFiles is the attachments' objects (as the tenant) when the
// function serves files (the onboarding function), else nil.
func movesFiles(d core.Deps) onboarding.FileMover {
	if d.Attachments == nil {
		return nil
	}
	if objs, ok := d.Attachments.Objects.(*s3objects.Objects); ok {
		return objs
	}
	return nil
}

// WithLifecycle builds d.Lifecycle (FromEnv) once the steps before it
// have set what it uses (Cognito, mail, billing on). A Setup step.
func WithLifecycle(ctx context.Context, e core.Env, d *core.Deps) error {
	svc, err := FromEnv(ctx, e, *d)
	d.Lifecycle = svc
	return err
}

// ServeOnboardingEvents runs this process as the onboarding function: the
// provisioning pipeline's outcome events on the platform bus resume or fail
// the tenant runs that wait on them (awsstacks.Handler).
func ServeOnboardingEvents() {
	core.UseLambdaLogging(routes.FnOnboarding, os.Stdout)
	core.MustHaveEnvironment(routes.FnOnboarding)
	d, _ := core.Init(routes.FnOnboarding, cognitowire.WithCognito, core.WithMail, core.WithBillingOn, filewire.WithAttachments, WithLifecycle)
	svc := tenantwire.Lifecycle(d)
	lambda.Start(awsstacks.Handler{M: svc.Machine, Maintain: svc.Maintain}.Handle)
}

// Package lifecyclewire wires the tenant lifecycle of a deployed
// platform: its AWS provisioning (usage plan keys through API Gateway,
// Platinum stacks through EventBridge and CloudFormation, exports in S3),
// for the functions that start or advance lifecycle runs (registration,
// tenants through adminwire, onboarding; billing through billingwire). The other functions
// do not import it, so they do not link these clients.
package lifecyclewire

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/filewire"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awss3"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/localstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// FromEnv builds the lifecycle of a deployed function, once per
// cold start, from what the platform stack configures (internal/envvars):
//   - envvars.ExportBucket (+ ExportKMSKey): offboarding exports in S3;
//   - envvars.UsagePlanParameterPrefix: API Gateway keys on the plans whose
//     ids are read from SSM on the first key operation (one GetParameters
//     call, with a timeout; no network call at cold start);
//   - envvars.EventBus: Platinum stacks deployed by the provisioning pipeline.
//
// What is not configured keeps tenantwire.NewLifecycle's default (a folder archive,
// local keys, no Platinum).
func FromEnv(ctx context.Context, env core.Env, d core.Deps) (*onboarding.Service, error) {
	e, cfg := env.Endpoints, env.AWS
	var o tenantwire.LifecycleOptions
	// Against the local cloud (a function process of make dev's template
	// mode) there is no KMS, SSM, API Gateway keys API or EventBridge: the
	// exports go unencrypted to the local S3, API keys are local ones, and
	// runs happen in the function (as in the in-process platform).
	local := e.Local()
	if b := os.Getenv(s3archive.EnvBucket); b != "" {
		o.Archive = s3archive.Archive{C: awss3.New(cfg, e), Bucket: b, KMSKeyID: os.Getenv(s3archive.EnvKMSKey)}
		if local {
			o.Archive = s3archive.Archive{C: awss3.New(cfg, e), Bucket: b}
		}
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
			events := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = &endpoint })
			o.Driver = func(*onboarding.Machine) onboarding.Driver { return awsstacks.Driver{Events: events, Bus: bus} }
		}
		return tenantwire.NewLifecycle(d, o), nil
	}
	// Every tenant table's stream has its two consumers in AWS
	// (infra/stacks/streams.go): a migration's freeze waits for them.
	if o.Migration.StreamConsumers == nil {
		o.Migration.StreamConsumers = changes.StreamConsumers()
	}
	gateway := apigateway.NewFromConfig(cfg)
	if prefix := os.Getenv(envvars.UsagePlanParameterPrefix); prefix != "" {
		// Read on the first key operation, not at cold start (apikeys.LazyPlans).
		o.Keys = apikeys.AWS{C: gateway, Prefix: d.Names.Prefix, LazyPlans: apikeys.LazyPlansFromSSM(apikeys.SSM{Config: cfg}, prefix)}
	}
	issuer := os.Getenv(envvars.CognitoIssuerBase)
	if issuer == "" {
		issuer = fmt.Sprintf("https://cognito-idp.%s.amazonaws.com", cfg.Region)
	}
	peers, err := cells.ParsePeers(os.Getenv(envvars.MoveCells))
	if err != nil {
		return nil, err
	}
	if bus := os.Getenv(envvars.EventBus); bus != "" {
		events := eventbridge.NewFromConfig(cfg)
		roles, err := awsstacks.ParseAccountRoles(os.Getenv(envvars.TenantAccountRoles))
		if err != nil {
			return nil, err
		}
		// Tenants in accounts of their own: the provisioning role there
		// follows their stack and reads their table for offboarding.
		accounts := awsstacks.AssumeRoleConfigs(cfg, sts.NewFromConfig(cfg), roles)
		o.Platinum = onboarding.Platinum{IssuerBase: issuer, Stacks: awsstacks.Stacks{
			Events: events, CFN: cloudformation.NewFromConfig(cfg), Bus: bus,
			CrossAccount: awsstacks.ClientsOf(accounts)}}
		o.OwnAccountScans = map[string]*dynamodb.Client{}
		for t, c := range accounts {
			o.OwnAccountScans[t] = awsx.DynamoDB(c, e)
		}
		// Runs happen in the onboarding function, not in the API request.
		o.Driver = func(*onboarding.Machine) onboarding.Driver { return awsstacks.Driver{Events: events, Bus: bus} }
	}
	svc := tenantwire.NewLifecycle(d, o)
	// Moves to the other cells of this account and Region (docs/scale.md):
	// their keys on their usage plans, named from their prefix like ours.
	WireMoves(svc.Machine, d, peers, apikeys.SSM{Config: cfg}, func(p cells.Peer) onboarding.APIKeys {
		return apikeys.AWS{C: gateway, Prefix: p.Prefix, LazyPlans: apikeys.LazyPlansFromSSM(apikeys.SSM{Config: cfg}, schema.UsagePlanParameterPrefix(p.Prefix))}
	}, issuer, movesFiles(d), os.Getenv(envvars.AttachmentsBucket))
	return svc, nil
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

// Registration is the public sign-up function: it mails verification
// codes and puts lifecycle run requests on the bus.
var Registration = core.Wiring{Fn: routes.FnRegistration,
	Setup:      []core.Setup{cognitowire.WithCognito, core.WithMail, core.WithBillingOn, WithLifecycle},
	Operations: tenantwire.Operations}

// ServeOnboardingEvents runs this process as the onboarding function: the
// provisioning pipeline's outcome events on the platform bus resume or fail
// the tenant runs that wait on them (awsstacks.Handler).
func ServeOnboardingEvents() {
	core.UseLambdaLogging(routes.FnOnboarding, os.Stdout)
	core.MustHaveEnvironment(routes.FnOnboarding)
	d, _ := core.Init(routes.FnOnboarding, cognitowire.WithCognito, core.WithMail, core.WithBillingOn, filewire.WithAttachments, WithLifecycle)
	lambda.Start(awsstacks.Handler{M: d.Lifecycle.Machine, Maintain: d.Lifecycle.Maintain}.Handle)
}

package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// The list cursor key (internal/list): the key itself (the local platform
// and tests, at least 32 bytes), or, in AWS, the Secrets Manager secret the
// platform stack creates, read on the first list of a cold start.
const (
	EnvCursorKey       = envvars.CursorKey
	EnvCursorKeySecret = envvars.CursorKeySecretARN
)

// CursorKeyFetchTimeout bounds the one Secrets Manager read of a cold start.
const CursorKeyFetchTimeout = 3 * time.Second

// CursorKeysFromEnv returns the deployment's cursor keyring: ITR_CURSOR_KEY,
// else the secret ITR_CURSOR_KEY_SECRET_ARN (fetched lazily, cached per
// cold start), else nil (a key of this process only).
func CursorKeysFromEnv(cfg aws.Config) (*list.Keyring, error) {
	if k := os.Getenv(EnvCursorKey); k != "" {
		return list.StaticKey(k)
	}
	id := os.Getenv(EnvCursorKeySecret)
	if id == "" {
		return nil, nil
	}
	sm := secretsmanager.NewFromConfig(cfg)
	return list.LazyKey(func(ctx context.Context) (string, error) {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	}, CursorKeyFetchTimeout), nil
}

// runsLifecycle are the route functions that start or advance lifecycle
// runs (the onboarding function is the other one; billing admits paid
// registrations, suspends, reactivates and changes tiers). Only they read the
// lifecycle's configuration at cold start.
func runsLifecycle(fn routes.Function) bool {
	return fn == routes.FnRegistration || fn == routes.FnTenants || fn == routes.FnBilling
}

// LifecycleFromEnv builds the lifecycle of a deployed function, once per
// cold start, from what the platform stack configures (internal/envvars):
//   - envvars.ExportBucket (+ ExportKMSKey): offboarding exports in S3;
//   - envvars.UsagePlanParameterPrefix: API Gateway keys on the plans whose
//     ids are read from SSM now (one GetParameters call);
//   - envvars.EventBus: Platinum stacks deployed by the provisioning pipeline.
//
// What is not configured keeps NewLifecycle's default (a folder archive,
// local keys, no Platinum).
func LifecycleFromEnv(ctx context.Context, d Deps) (*onboarding.Service, error) {
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	var o LifecycleOptions
	// Against the local cloud (a function process of make dev's template
	// mode) there is no KMS, SSM, API Gateway keys API or EventBridge: the
	// exports go unencrypted to the local S3, API keys are local ones, and
	// runs happen in the function (as in the in-process platform).
	local := e.Local()
	if b := os.Getenv(s3archive.EnvBucket); b != "" {
		o.Archive = s3archive.Archive{C: awsx.S3(cfg, e), Bucket: b, KMSKeyID: os.Getenv(s3archive.EnvKMSKey)}
		if local {
			o.Archive = s3archive.Archive{C: awsx.S3(cfg, e), Bucket: b}
		}
	}
	if local {
		o.Driver = func(m *onboarding.Machine) onboarding.Driver { return &onboarding.Async{M: m} }
		return NewLifecycle(d, o), nil
	}
	if prefix := os.Getenv(envvars.UsagePlanParameterPrefix); prefix != "" {
		plans, err := apikeys.PlansFromSSM(ctx, ssm.NewFromConfig(cfg), prefix)
		if err != nil {
			return nil, err
		}
		o.Keys = apikeys.AWS{C: apigateway.NewFromConfig(cfg), Prefix: d.Names.Prefix, Plans: plans}
	}
	if bus := os.Getenv(envvars.EventBus); bus != "" {
		issuer := os.Getenv(envvars.CognitoIssuerBase)
		if issuer == "" {
			issuer = fmt.Sprintf("https://cognito-idp.%s.amazonaws.com", cfg.Region)
		}
		events := eventbridge.NewFromConfig(cfg)
		roles, err := awsstacks.ParseAccountRoles(os.Getenv(envvars.TenantAccountRoles))
		if err != nil {
			return nil, err
		}
		o.Platinum = onboarding.Platinum{IssuerBase: issuer, Stacks: awsstacks.Stacks{
			Events: events, CFN: cloudformation.NewFromConfig(cfg), Bus: bus,
			CrossAccount: awsstacks.AssumeRoleClients(cfg, sts.NewFromConfig(cfg), roles)}}
		// Runs happen in the onboarding function, not in the API request.
		o.Driver = func(*onboarding.Machine) onboarding.Driver { return awsstacks.Driver{Events: events, Bus: bus} }
	}
	return NewLifecycle(d, o), nil
}

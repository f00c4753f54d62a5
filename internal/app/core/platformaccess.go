package core

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// PlatformSessionDuration is how long a session of the platform role
// (envvars.PlatformRoleARN) lives: the role's maximum, an hour.
const PlatformSessionDuration = time.Hour

// PlatformConfig is the SDK configuration with which a change-stream
// consumer reaches the platform's control table and webhook queue: cfg
// itself in the platform's account, and, in a Platinum tenant's stack in
// an AWS account of its own (envvars.PlatformRoleARN set), cfg with the
// credentials of that role in the platform's account, assumed with st
// and cached until they near their end. Names (the control table, the
// queue URL) then resolve in the platform's account.
func PlatformConfig(cfg aws.Config, st assumerole.Client, roleARN string) aws.Config {
	if roleARN == "" {
		return cfg
	}
	out := cfg.Copy()
	out.Credentials = assumerole.NewCache(st, assumerole.Input{
		RoleARN:     roleARN,
		SessionName: "issuetracker-stream-consumer",
		Duration:    PlatformSessionDuration,
	})
	return out
}

// PlatformFromEnv is PlatformConfig of envvars.PlatformRoleARN for e
// (never against the local cloud, which has no STS).
func PlatformFromEnv(e Env) aws.Config {
	role := os.Getenv(envvars.PlatformRoleARN)
	if role == "" || e.Endpoints.Local() {
		return e.AWS
	}
	return PlatformConfig(e.AWS, assumerole.New(e.AWS), role)
}

// PlatformControl is the client of the platform's control table for a
// change-stream consumer: own (its function's client) in the platform's
// account, else a client with PlatformFromEnv's credentials.
func PlatformControl(e Env, own *dynamodb.Client) *dynamodb.Client {
	if os.Getenv(envvars.PlatformRoleARN) == "" || e.Endpoints.Local() {
		return own
	}
	return awsx.DynamoDB(PlatformFromEnv(e), e.Endpoints)
}

// Package awsconfig loads the AWS SDK's configuration through its default
// chain (environment, shared files and SSO, IMDS...) for the tools and the
// local platform, and builds the DynamoDB Streams client of the local
// pollers. The deployed functions use awsx.LoadFunction instead: the
// chain's packages (config, sso, ssooidc, signin, imds) and their
// initialisation are not linked into them (docs/performance.md).
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

// Load returns the SDK config. Against the local cloud it uses fixed dummy
// credentials and region so nothing reads ~/.aws.
func Load(ctx context.Context, e awsx.Endpoints) (aws.Config, error) {
	if e.Local() {
		return awsx.LocalConfig(), nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsx.HTTPClient()))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// Streams builds a DynamoDB Streams client for cfg and e (DynamoDB Local
// serves the Streams API on its own endpoint).
func Streams(cfg aws.Config, e awsx.Endpoints) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if e.DynamoDB != "" {
			o.BaseEndpoint = aws.String(e.DynamoDB)
		}
	})
}

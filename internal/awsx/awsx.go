// Package awsx loads AWS SDK configuration once per process, pointing the
// clients at the local cloud when endpoints are set (make dev, tests) and at
// AWS otherwise.
package awsx

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/issuetracker/issuetracker/internal/envvars"
)

// Endpoints overrides service endpoints; empty means AWS.
type Endpoints struct {
	DynamoDB string
	Cognito  string
	S3       string
}

// EndpointsFromEnv reads the local endpoints (envvars.DynamoDBEndpoint,
// CognitoEndpoint, S3Endpoint); unset in AWS.
func EndpointsFromEnv() Endpoints {
	return Endpoints{
		DynamoDB: os.Getenv(envvars.DynamoDBEndpoint),
		Cognito:  os.Getenv(envvars.CognitoEndpoint),
		S3:       os.Getenv(envvars.S3Endpoint),
	}
}

// Local reports whether any endpoint points at the local cloud.
func (e Endpoints) Local() bool { return e.DynamoDB != "" || e.Cognito != "" || e.S3 != "" }

// Load returns the SDK config. Against the local cloud it uses fixed dummy
// credentials and region so nothing reads ~/.aws.
func Load(ctx context.Context, e Endpoints) (aws.Config, error) {
	if e.Local() {
		return aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		}, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// DynamoDB builds a DynamoDB client for cfg and e.
func DynamoDB(cfg aws.Config, e Endpoints) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if e.DynamoDB != "" {
			o.BaseEndpoint = aws.String(e.DynamoDB)
		}
	})
}

// Streams builds a DynamoDB Streams client for cfg and e (DynamoDB Local
// serves the Streams API on its own endpoint).
func Streams(cfg aws.Config, e Endpoints) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if e.DynamoDB != "" {
			o.BaseEndpoint = aws.String(e.DynamoDB)
		}
	})
}

// Cognito builds a Cognito user pools client for cfg and e.
func Cognito(cfg aws.Config, e Endpoints) *cognitoidentityprovider.Client {
	return cognitoidentityprovider.NewFromConfig(cfg, func(o *cognitoidentityprovider.Options) {
		if e.Cognito != "" {
			o.BaseEndpoint = aws.String(e.Cognito)
		}
	})
}

// S3 builds an S3 client for cfg and e. The local server is addressed
// path-style (http://127.0.0.1:4569/<bucket>/<key>): bucket subdomains of
// a loopback address do not resolve.
func S3(cfg aws.Config, e Endpoints) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if e.S3 != "" {
			o.BaseEndpoint = aws.String(e.S3)
			o.UsePathStyle = true
		}
	})
}

package awsx

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// LoadFunction is Load for a deployed function: against the local cloud
// the same fixed configuration, in AWS the region and the execution role's
// credentials that Lambda puts in the environment (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
//
// In Lambda the SDK's default chain (awsconfig.Load) resolves exactly these: its
// first provider is the environment's, and Lambda sets them for the
// function's role. What the chain adds (shared files and SSO, IMDS,
// web identity, console sign-in, process credentials) is never reached
// there, yet links six more packages (config, sso, ssooidc, signin, sts's
// assume-role provider, imds): about 2 MB of each function binary
// (docs/performance.md). Missing credentials are a clear error at cold
// start, not a failed first call.
func LoadFunction(e Endpoints) (aws.Config, error) {
	if e.Local() {
		return LocalConfig(), nil
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("aws credentials: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them for the execution role)")
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")),
		HTTPClient:  HTTPClient(),
	}, nil
}

package awsjson

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SecretsManager reads secrets with Secrets Manager's GetSecretValue
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html):
// the functions' one use of the service, instead of
// aws-sdk-go-v2/service/secretsmanager.
type SecretsManager struct {
	// Config gives the region, the credentials, the HTTP client and an
	// optional BaseEndpoint (tests).
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

// GetSecretString returns the current version (AWSCURRENT) of the secret
// id (a name or an ARN) as a string; an error for a binary secret.
func (s SecretsManager) GetSecretString(ctx context.Context, id string) (string, error) {
	var out struct {
		SecretString *string
	}
	err := Call(ctx, s.Config, "secretsmanager", "secretsmanager.GetSecretValue", struct{ SecretId string }{id}, &out, s.Now)
	if err != nil {
		return "", fmt.Errorf("secretsmanager GetSecretValue %s: %w", id, err)
	}
	if out.SecretString == nil {
		return "", errors.New("secretsmanager GetSecretValue " + id + ": not a string secret")
	}
	return *out.SecretString, nil
}

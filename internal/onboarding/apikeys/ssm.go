package apikeys

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

// SSM reads parameters with SSM's GetParameters action: one POST in the
// awsJson1.1 protocol, signed with the SDK's SigV4 signer and the
// function's credentials (awsjson.Call). It is written by hand rather than
// with aws-sdk-go-v2/service/ssm because that client, used here for this
// one call, cost each of the four functions that manage keys ~1.5 MB of
// binary and the largest package initialisation of their cold start (its
// schemas package: 1.4 MB allocated in ~7,900 allocations before main,
// GODEBUG=inittrace=1; docs/performance.md).
type SSM struct {
	// Config gives the region, the credentials, the HTTP client and an
	// optional BaseEndpoint (tests); otherwise the regional endpoint
	// https://ssm.<region>.amazonaws.com (.com.cn in China).
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

// GetParameters returns the value of each of names that exists (String
// and StringList parameters; SecureString would need WithDecryption).
func (s SSM) GetParameters(ctx context.Context, names []string) (map[string]string, error) {
	var out struct {
		Parameters []struct{ Name, Value string }
	}
	if err := awsjson.Call(ctx, s.Config, "ssm", "AmazonSSM.GetParameters", struct{ Names []string }{names}, &out, s.Now); err != nil {
		return nil, fmt.Errorf("ssm GetParameters: %w", err)
	}
	values := map[string]string{}
	for _, p := range out.Parameters {
		values[p.Name] = p.Value
	}
	return values, nil
}

package core_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

var signedBy = regexp.MustCompile(`Credential=([^/]+)/`)

// fakeAWS answers STS AssumeRole (form posts) and any DynamoDB call (JSON,
// an empty answer), and records who signed each DynamoDB call and each
// AssumeRole's parameters.
type fakeAWS struct {
	mu      sync.Mutex
	assumes []url.Values
	dynamo  []string
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("X-Amz-Target") != "" {
		if m := signedBy.FindStringSubmatch(r.Header.Get("Authorization")); len(m) == 2 {
			f.dynamo = append(f.dynamo, m[1])
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprint(w, `{}`)
		return
	}
	_ = r.ParseForm()
	f.assumes = append(f.assumes, r.PostForm)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>AK-PLATFORM</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>
<Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/y</Arn><AssumedRoleId>AROA:y</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

func read(t *testing.T, db *dynamodb.Client) {
	t.Helper()
	_, err := db.DescribeLimits(context.Background(), &dynamodb.DescribeLimitsInput{})
	require.NoError(t, err)
}

// A consumer of a tenant stack in another account reads the platform's
// control table with the platform role's session (assumed once, an hour
// long); its own table keeps its function's credentials. In the
// platform's account (no role) the control client is its own.
func TestAConsumerInATenantAccountReachesThePlatformThroughItsRole(t *testing.T) {
	fake := &fakeAWS{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	e := core.Env{AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AK-FUNCTION", "s", "")}}
	own := dynamodb.NewFromConfig(e.AWS)

	t.Setenv(envvars.PlatformRoleARN, "")
	assert.Same(t, own, core.PlatformControl(e, own), "no role: the function's own client")

	const role = "arn:aws:iam::123456789012:role/issuetracker-cell-2-initech-consumers"
	t.Setenv(envvars.PlatformRoleARN, role)
	control := core.PlatformControl(e, own)
	read(t, control)
	read(t, control)
	read(t, own)
	assert.Equal(t, []string{"AK-PLATFORM", "AK-PLATFORM", "AK-FUNCTION"}, fake.dynamo)
	require.Len(t, fake.assumes, 1, "one AssumeRole, then cached")
	assert.Equal(t, role, fake.assumes[0].Get("RoleArn"))
	assert.Equal(t, "3600", fake.assumes[0].Get("DurationSeconds"))
	assert.Empty(t, fake.assumes[0].Get("Tags.member.1.Key"), "no tenant tag: the role is the tenant stack's own")

	// The webhook queue's client is built from the same configuration.
	creds, err := core.PlatformFromEnv(e).Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AK-PLATFORM", creds.AccessKeyID)
}

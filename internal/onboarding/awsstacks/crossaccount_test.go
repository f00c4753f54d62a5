package awsstacks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
)

// stsAndCFN answers STS AssumeRole with credentials of key "ASIA-<tenant>"
// and records, per DescribeStacks, the access key that signed it.
type stsAndCFN struct {
	mu       sync.Mutex
	assumed  []url.Values
	signedBy map[string]string // stack name -> access key id
}

var credential = regexp.MustCompile(`Credential=([^/]+)/`)

func (f *stsAndCFN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch form.Get("Action") {
	case "AssumeRole":
		f.assumed = append(f.assumed, form)
		_, _ = io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
			`<AccessKeyId>ASIA-`+form.Get("RoleSessionName")+`</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>`+
			`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>`+form.Get("RoleArn")+`</Arn><AssumedRoleId>id:s</AssumedRoleId></AssumedRoleUser>`+
			`</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case "DescribeStacks":
		m := credential.FindStringSubmatch(r.Header.Get("Authorization"))
		if len(m) == 2 {
			f.signedBy[form.Get("StackName")] = m[1]
		}
		_, _ = io.WriteString(w, `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>`+form.Get("StackName")+
			`</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>`+
			`<member><OutputKey>TableName</OutputKey><OutputValue>t</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult>`+
			`<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`)
	default:
		http.Error(w, "unexpected "+string(b), http.StatusBadRequest)
	}
}

func TestATenantInItsOwnAccountIsFollowedWithTheAssumedRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &stsAndCFN{signedBy: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	base := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA-PLATFORM", "s", "")}

	roles, err := awsstacks.ParseAccountRoles("initech=arn:aws:iam::210987654321:role/issuetracker-cell-2-provisioning")
	require.NoError(t, err)
	st := assumerole.New(base)
	st.Config.BaseEndpoint = aws.String(srv.URL)
	s := awsstacks.Stacks{
		CFN:          awsstacks.NewCFN(withEndpoint(base, srv.URL)),
		CrossAccount: awsstacks.AssumeRoleClients(withEndpoint(base, srv.URL), st, roles),
	}

	_, err = s.Deploy(ctx, "initech")
	require.NoError(t, err)
	_, err = s.Deploy(ctx, "initech") // the assumed credentials are cached
	require.NoError(t, err)
	_, err = s.Deploy(ctx, "acme")
	require.NoError(t, err)

	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, "ASIA-issuetracker-provisioning-initech", f.signedBy["IssueTracker-Tenant-initech"],
		"the tenant in its own account is described with the role's credentials")
	assert.Equal(t, "AKIA-PLATFORM", f.signedBy["IssueTracker-Tenant-acme"], "a tenant in the platform's account with the platform's")
	require.Len(t, f.assumed, 1, "one AssumeRole, cached for the second describe")
	assert.Equal(t, "arn:aws:iam::210987654321:role/issuetracker-cell-2-provisioning", f.assumed[0].Get("RoleArn"))
}

func TestAccountRolesAreValidated(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"initech", "initech=210987654321", "=arn:aws:iam::1:role/x"} {
		_, err := awsstacks.ParseAccountRoles(bad)
		assert.Error(t, err, bad)
	}
	got, err := awsstacks.ParseAccountRoles("")
	require.NoError(t, err)
	assert.Empty(t, got)
}

// withEndpoint is cfg sending its calls to endpoint (the fake).
func withEndpoint(cfg aws.Config, endpoint string) aws.Config {
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg
}

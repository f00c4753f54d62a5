package usermigration_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/cognito/usermigration"
)

// stsAndCognito stands in for STS (AssumeRole answers credentials whose key
// is "ASIA-<session name>") and for Cognito (AdminGetUser and
// AdminInitiateAuth of one user of acme in any pool), recording which
// access key signed each Cognito call. No local STS exists (cognito-local
// and DynamoDB Local accept any credentials), so this is the credential
// provider's wiring against a stub HTTP server, not AWS.
type stsAndCognito struct {
	mu       sync.Mutex
	assumed  []url.Values
	signedBy []string // "<operation> <pool> <access key>"
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/`)

func (f *stsAndCognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		op := strings.TrimPrefix(target, "AWSCognitoIdentityProviderService.")
		var in struct{ UserPoolId string }
		_ = json.Unmarshal(b, &in)
		key := ""
		if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); len(m) == 2 {
			key = m[1]
		}
		f.signedBy = append(f.signedBy, op+" "+in.UserPoolId+" "+key)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch op {
		case "AdminGetUser":
			_, _ = io.WriteString(w, `{"Username":"ann@acme.test","Enabled":true,"UserStatus":"CONFIRMED","UserAttributes":[`+
				`{"Name":"email","Value":"ann@acme.test"},{"Name":"custom:tenant_id","Value":"acme"},{"Name":"custom:role","Value":"admin"}]}`)
		case "AdminInitiateAuth":
			_, _ = io.WriteString(w, `{"AuthenticationResult":{"IdToken":"x"}}`)
		default:
			http.Error(w, "unexpected "+op, http.StatusBadRequest)
		}
		return
	}
	form, _ := url.ParseQuery(string(b))
	if form.Get("Action") != "AssumeRole" {
		http.Error(w, "unexpected "+string(b), http.StatusBadRequest)
		return
	}
	f.assumed = append(f.assumed, form)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
		`<AccessKeyId>ASIA-`+form.Get("RoleSessionName")+`</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>`+
		`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>`+form.Get("RoleArn")+`</Arn><AssumedRoleId>id:s</AssumedRoleId></AssumedRoleUser>`+
		`</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
}

func stubbed(t *testing.T) (*stsAndCognito, aws.Config, assumerole.Client) {
	f := &stsAndCognito{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA-FUNCTION", "s", ""),
		BaseEndpoint: aws.String(srv.URL)}
	return f, cfg, assumerole.New(cfg)
}

// The trigger a tenant stack deploys in the tenant's own account reads the
// shared pool (platform account) with the credentials of the platform role
// it assumes (envvars.PlatformRoleARN), once, cached.
func TestTheTriggerInATenantsOwnAccountReadsTheSharedPoolThroughThePlatformRole(t *testing.T) {
	t.Parallel()
	f, cfg, st := stubbed(t)
	const role = "arn:aws:iam::111111111111:role/it-user-migration"
	platform := usermigration.CrossAccount(cfg, st, role, "issuetracker-user-migration")
	_, tr := world()
	tr.C = cip.NewFromConfig(platform)
	for range 2 {
		out, err := tr.Handle(context.Background(), event("pool-acme", usermigration.SourceAuthentication, "ann@acme.test", "any", nil))
		require.NoError(t, err)
		assert.Equal(t, "acme", out.Response.UserAttributes["custom:tenant_id"])
	}
	require.Len(t, f.assumed, 1, "the role is assumed once; its credentials are cached")
	assert.Equal(t, role, f.assumed[0].Get("RoleArn"))
	assert.Equal(t, []string{
		"AdminGetUser shared ASIA-issuetracker-user-migration", "AdminInitiateAuth shared ASIA-issuetracker-user-migration",
		"AdminGetUser shared ASIA-issuetracker-user-migration", "AdminInitiateAuth shared ASIA-issuetracker-user-migration",
	}, f.signedBy, "every call to the shared pool is signed with the assumed role's key, none with the function's")
}

// The platform's trigger, moving a user of a tenant that downgraded from a
// pool in its own account, reads that pool through the role the tenant
// stack gives the platform (envvars.TenantPoolRoles); other pools with
// its own credentials.
func TestThePlatformTriggerReadsATenantAccountsPoolThroughItsRole(t *testing.T) {
	t.Parallel()
	f, cfg, st := stubbed(t)
	const role = "arn:aws:iam::222222222222:role/it-user-migration-source"
	_, tr := world()
	tr.C = cip.NewFromConfig(cfg)
	tr.TenantPools = map[string]usermigration.Cognito{
		"initech": cip.NewFromConfig(usermigration.CrossAccount(cfg, st, role, "issuetracker-user-migration-initech"))}
	// initech moved down from pool-initech (the stub answers an acme
	// user, so the trigger refuses after the read: the read is what
	// this test checks).
	_, err := tr.Handle(context.Background(), event("shared", usermigration.SourceAuthentication, "ida@initech.test", "any",
		map[string]string{usermigration.TenantKey: "initech"}))
	require.ErrorIs(t, err, usermigration.ErrRefused)
	// acme's users come from the shared pool: no role.
	_, err = tr.Handle(context.Background(), event("pool-acme", usermigration.SourceAuthentication, "ann@acme.test", "any", nil))
	require.NoError(t, err)
	require.Len(t, f.assumed, 1)
	assert.Equal(t, role, f.assumed[0].Get("RoleArn"))
	assert.Equal(t, []string{"AdminGetUser pool-initech ASIA-issuetracker-user-migration-initech",
		"AdminGetUser shared AKIA-FUNCTION", "AdminInitiateAuth shared AKIA-FUNCTION"}, f.signedBy)
}

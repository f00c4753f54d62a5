package tenantcreds_test

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
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDynamo records the access key id each request was signed with.
type fakeDynamo struct {
	mu   sync.Mutex
	keys []string
}

var credRE = regexp.MustCompile(`Credential=([^/]+)/`)

func (f *fakeDynamo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
	f.mu.Lock()
	if len(m) == 2 {
		f.keys = append(f.keys, m[1])
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	fmt.Fprint(w, `{}`)
}

// fakeSTS answers AssumeRole with credentials named after the session tag.
type fakeSTS struct {
	mu    sync.Mutex
	calls []url.Values
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	f.mu.Unlock()
	tenant := r.PostForm.Get("Tags.member.1.Value")
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>AK-%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
<Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/TenantAccess/tenant-%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		tenant, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), tenant)
}

func clients(t *testing.T) (*dynamodb.Client, *fakeDynamo, *sts.Client, *fakeSTS) {
	fd, fs := &fakeDynamo{}, &fakeSTS{}
	ds, ss := httptest.NewServer(fd), httptest.NewServer(fs)
	t.Cleanup(ds.Close)
	t.Cleanup(ss.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AK-FUNCTION", "s", "")}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ds.URL) })
	st := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(ss.URL) })
	return db, fd, st, fs
}

func get(ctx context.Context, db *dynamodb.Client) error {
	_, err := db.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{})
	return err
}

func TestCallsAreSignedWithTheCallersTenantCredentials(t *testing.T) {
	db, fd, st, fs := clients(t)
	scoped := tenantcreds.Scoped(db, &tenantcreds.Provider{STS: st, RoleARN: "arn:aws:iam::123456789012:role/TenantAccess", TagKey: "TenantId"})
	acme := tenancy.WithTenant(context.Background(), "acme")
	globex := tenancy.WithTenant(context.Background(), "globex")

	require.NoError(t, get(acme, scoped))
	require.NoError(t, get(globex, scoped))
	require.NoError(t, get(acme, scoped))
	assert.Equal(t, []string{"AK-acme", "AK-globex", "AK-acme"}, fd.keys, "each call carries its own tenant's session")

	require.Len(t, fs.calls, 2, "one AssumeRole per tenant, then cached")
	c := fs.calls[0]
	assert.Equal(t, "AssumeRole", c.Get("Action"))
	assert.Equal(t, "arn:aws:iam::123456789012:role/TenantAccess", c.Get("RoleArn"))
	assert.Equal(t, "tenant-acme", c.Get("RoleSessionName"))
	assert.Equal(t, "TenantId", c.Get("Tags.member.1.Key"))
	assert.Equal(t, "acme", c.Get("Tags.member.1.Value"))

	require.NoError(t, get(context.Background(), db), "the unscoped client keeps the function's credentials")
	assert.Equal(t, "AK-FUNCTION", fd.keys[len(fd.keys)-1])
}

func TestACallWithoutATenantIsRefusedBeforeItIsSent(t *testing.T) {
	db, fd, st, _ := clients(t)
	for name, scoped := range map[string]*dynamodb.Client{
		"in AWS":             tenantcreds.Scoped(db, &tenantcreds.Provider{STS: st, RoleARN: "arn:aws:iam::1:role/x"}),
		"in the local cloud": tenantcreds.RequireTenant(db),
	} {
		t.Run(name, func(t *testing.T) {
			before := len(fd.keys)
			err := get(context.Background(), scoped)
			assert.ErrorIs(t, err, tenantcreds.ErrNoTenant)
			assert.Len(t, fd.keys, before, "nothing reached DynamoDB")
		})
	}
	t.Run("the local cloud signs with its own credentials once a tenant is set", func(t *testing.T) {
		require.NoError(t, get(tenancy.WithTenant(context.Background(), "acme"), tenantcreds.RequireTenant(db)))
		assert.Equal(t, "AK-FUNCTION", fd.keys[len(fd.keys)-1])
	})
}

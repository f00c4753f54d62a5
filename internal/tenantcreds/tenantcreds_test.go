package tenantcreds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
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

// fakeSTS answers AssumeRole with credentials named after the role and
// the session tag ("AK-acme" for the tenant access role, "AK-data-acme"
// for a role whose name starts with "data"), valid for the duration asked
// (the SDK's default, 15 minutes, when none is), and records each call
// with the access key it was signed with.
type fakeSTS struct {
	mu      sync.Mutex
	calls   []url.Values
	signers []string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	if len(m) == 2 {
		f.signers = append(f.signers, m[1])
	}
	f.mu.Unlock()
	tenant := r.PostForm.Get("Tags.member.1.Value")
	key := "AK-" + tenant
	if strings.Contains(r.PostForm.Get("RoleArn"), ":role/data") {
		key = "AK-data-" + tenant
	}
	d := 900 * time.Second
	if s, err := strconv.Atoi(r.PostForm.Get("DurationSeconds")); err == nil {
		d = time.Duration(s) * time.Second
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
<Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/TenantAccess/tenant-%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		key, time.Now().Add(d).UTC().Format(time.RFC3339), tenant)
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
	assert.Equal(t, "3600", c.Get("DurationSeconds"), "an hour: the SDK's 15 minutes would be refreshed on every call")

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

// A tenant in an AWS account of its own: its calls are signed with a
// second session, of its account's data role, assumed with the first
// hop's credentials and tagged again; both hops an hour at most (role
// chaining), both cached per tenant.
func TestATenantInItsOwnAccountIsReachedThroughASecondHop(t *testing.T) {
	db, fd, st, fs := clients(t)
	const access = "arn:aws:iam::123456789012:role/TenantAccess"
	const data = "arn:aws:iam::210987654321:role/data-initech"
	scoped := tenantcreds.Scoped(db, &tenantcreds.Provider{STS: st, RoleARN: access, TagKey: "TenantId",
		AccountRoles: map[string]string{"initech": data}})
	initech := tenancy.WithTenant(context.Background(), "initech")
	acme := tenancy.WithTenant(context.Background(), "acme")

	require.NoError(t, get(initech, scoped))
	require.NoError(t, get(acme, scoped))
	require.NoError(t, get(initech, scoped))
	assert.Equal(t, []string{"AK-data-initech", "AK-acme", "AK-data-initech"}, fd.keys,
		"initech's calls carry its account's session, acme's the platform's")

	require.Len(t, fs.calls, 3, "two hops for initech, one for acme, then cached")
	first, second := fs.calls[0], fs.calls[1]
	assert.Equal(t, access, first.Get("RoleArn"))
	assert.Equal(t, "AK-FUNCTION", fs.signers[0], "the first hop is signed by the function")
	assert.Equal(t, data, second.Get("RoleArn"))
	assert.Equal(t, "AK-initech", fs.signers[1], "the second hop is signed with initech's first-hop session")
	for i, c := range []url.Values{first, second} {
		assert.Equal(t, "TenantId", c.Get("Tags.member.1.Key"), "hop %d", i+1)
		assert.Equal(t, "initech", c.Get("Tags.member.1.Value"), "hop %d", i+1)
		assert.Equal(t, "tenant-initech", c.Get("RoleSessionName"), "hop %d", i+1)
		d, err := strconv.Atoi(c.Get("DurationSeconds"))
		require.NoError(t, err, "hop %d names its duration", i+1)
		assert.LessOrEqual(t, d, 3600, "hop %d: role chaining allows an hour at most", i+1)
		assert.Greater(t, d, int(tenantcreds.PresignHeadroom/time.Second), "hop %d outlives the presign headroom", i+1)
	}
	assert.Equal(t, access, fs.calls[2].Get("RoleArn"), "acme: one hop")
}

func TestParseAccountRoles(t *testing.T) {
	got, err := tenantcreds.ParseAccountRoles(" initech=arn:aws:iam::210987654321:role/r ,")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"initech": "arn:aws:iam::210987654321:role/r"}, got)
	for _, bad := range []string{"initech", "=arn:aws:iam::1:role/r", "initech=role/r", "initech=arn:aws:iam::1:user/u"} {
		_, err := tenantcreds.ParseAccountRoles(bad)
		assert.Error(t, err, bad)
	}
}

// A function that reads tenants' tables with its own role (OwnAccountsOnly)
// keeps its own credentials for the tenants of the platform's account and
// takes the two hops for a tenant in its own account only.
func TestOwnAccountsOnlyTakesTheHopsForThoseTenantsOnly(t *testing.T) {
	db, fd, st, fs := clients(t)
	const access = "arn:aws:iam::123456789012:role/TenantAccess"
	const data = "arn:aws:iam::210987654321:role/data-initech"
	scoped := tenantcreds.Scoped(db, &tenantcreds.Provider{STS: st, RoleARN: access, TagKey: "TenantId",
		AccountRoles: map[string]string{"initech": data}, OwnAccountsOnly: true})
	require.NoError(t, get(tenancy.WithTenant(context.Background(), "acme"), scoped))
	require.NoError(t, get(tenancy.WithTenant(context.Background(), "initech"), scoped))
	assert.Equal(t, []string{"AK-FUNCTION", "AK-data-initech"}, fd.keys)
	require.Len(t, fs.calls, 2, "no session for acme")
	assert.Equal(t, access, fs.calls[0].Get("RoleArn"))
	assert.Equal(t, data, fs.calls[1].Get("RoleArn"))
	assert.ErrorIs(t, get(context.Background(), scoped), tenantcreds.ErrNoTenant, "still refused without a tenant")
}

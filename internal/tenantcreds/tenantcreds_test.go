package tenantcreds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/hoptest"
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

func clients(t *testing.T) (*dynamodb.Client, *fakeDynamo, assumerole.Client, *hoptest.Recorder) {
	fd := &fakeDynamo{}
	ds := httptest.NewServer(fd)
	t.Cleanup(ds.Close)
	db := dynamodb.NewFromConfig(hoptest.FunctionConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ds.URL) })
	st, fs := hoptest.STS(t)
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
	assert.Equal(t, []string{hoptest.FirstHopKey("acme"), hoptest.FirstHopKey("globex"), hoptest.FirstHopKey("acme")}, fd.keys, "each call carries its own tenant's session")

	require.Len(t, fs.Calls(), 2, "one AssumeRole per tenant, then cached")
	c := fs.Calls()[0]
	assert.Equal(t, "AssumeRole", c.Action)
	assert.Equal(t, "arn:aws:iam::123456789012:role/TenantAccess", c.Role)
	assert.Equal(t, "tenant-acme", c.Session)
	assert.Equal(t, "TenantId", c.TagKey)
	assert.Equal(t, "acme", c.Tag)
	assert.Equal(t, "3600", c.Duration, "an hour: the SDK's 15 minutes would be refreshed on every call")

	require.NoError(t, get(context.Background(), db), "the unscoped client keeps the function's credentials")
	assert.Equal(t, hoptest.FunctionKey, fd.keys[len(fd.keys)-1])
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
		assert.Equal(t, hoptest.FunctionKey, fd.keys[len(fd.keys)-1])
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
	assert.Equal(t, []string{hoptest.DataKey("initech"), hoptest.FirstHopKey("acme"), hoptest.DataKey("initech")}, fd.keys,
		"initech's calls carry its account's session, acme's the platform's")

	calls := fs.Calls()
	require.Len(t, calls, 3, "two hops for initech, one for acme, then cached")
	first, second := calls[0], calls[1]
	assert.Equal(t, access, first.Role)
	assert.Equal(t, hoptest.FunctionKey, first.Key, "the first hop is signed by the function")
	assert.Equal(t, data, second.Role)
	assert.Equal(t, hoptest.FirstHopKey("initech"), second.Key, "the second hop is signed with initech's first-hop session")
	for i, c := range []hoptest.Call{first, second} {
		assert.Equal(t, "TenantId", c.TagKey, "hop %d", i+1)
		assert.Equal(t, "initech", c.Tag, "hop %d", i+1)
		assert.Equal(t, "tenant-initech", c.Session, "hop %d", i+1)
		d, err := strconv.Atoi(c.Duration)
		require.NoError(t, err, "hop %d names its duration", i+1)
		assert.LessOrEqual(t, d, 3600, "hop %d: role chaining allows an hour at most", i+1)
		assert.Greater(t, d, int(tenantcreds.PresignHeadroom/time.Second), "hop %d outlives the presign headroom", i+1)
	}
	assert.Equal(t, access, calls[2].Role, "acme: one hop")
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
	assert.Equal(t, []string{hoptest.FunctionKey, hoptest.DataKey("initech")}, fd.keys)
	calls := fs.Calls()
	require.Len(t, calls, 2, "no session for acme")
	assert.Equal(t, access, calls[0].Role)
	assert.Equal(t, data, calls[1].Role)
	assert.ErrorIs(t, get(context.Background(), scoped), tenantcreds.ErrNoTenant, "still refused without a tenant")
}

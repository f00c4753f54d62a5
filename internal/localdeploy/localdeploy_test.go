package localdeploy_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureSynth stands in for stacks.SynthTenant so this test pays for no
// synth: testdata holds the template the real CDK app synthesized for tenant
// "acme" with prefix "issuetracker"; names are rewritten for the test.
func fixtureSynth(names schema.Names) localdeploy.SynthFunc {
	return func(outDir, tenantID string) (string, error) {
		b, err := os.ReadFile("testdata/IssueTracker-Tenant-acme.template.json")
		if err != nil {
			return "", err
		}
		s := strings.ReplaceAll(string(b), "issuetracker-tenant-acme", names.Silo(tenantID))
		s = strings.ReplaceAll(s, `"acme"`, `"`+tenantID+`"`)
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return "", err
		}
		p := filepath.Join(outDir, "IssueTracker-Tenant-"+tenantID+".template.json")
		return p, os.WriteFile(p, []byte(s), 0o644)
	}
}

func TestApplyCreatesTheTemplatesTablesAndPoolsIdempotently(t *testing.T) {
	ctx := context.Background()
	db, cog := testenv.DynamoDB(t), testenv.Cognito(t)
	names := schema.Names{Prefix: testenv.UniquePrefix(t)}
	path, err := fixtureSynth(names)(t.TempDir(), "apply")
	require.NoError(t, err)
	d := localdeploy.Deployer{DB: db, Cognito: cog}
	t.Cleanup(func() { _ = d.Destroy(ctx, path) })

	res, err := d.Apply(ctx, path)
	require.NoError(t, err)
	t.Run("the table has the template's keys, indexes and TTL", func(t *testing.T) {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(names.Silo("apply"))})
		require.NoError(t, err)
		assert.Len(t, out.Table.GlobalSecondaryIndexes, 3)
		assert.Equal(t, "pk", aws.ToString(out.Table.KeySchema[0].AttributeName))
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(names.Silo("apply"))})
		require.NoError(t, err)
		assert.Equal(t, "expires_at", aws.ToString(ttl.TimeToLiveDescription.AttributeName))
	})
	t.Run("the pool, its client and the three role groups exist", func(t *testing.T) {
		pool := res.Outputs["UserPoolId"]
		require.NotEmpty(t, pool)
		assert.NotEmpty(t, res.Outputs["UserPoolClientId"])
		assert.Equal(t, names.Silo("apply"), res.Outputs["TableName"])
		g, err := cog.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String(pool)})
		require.NoError(t, err)
		assert.Len(t, g.Groups, 3)
	})
	t.Run("the client's tokens live as long as the template says", func(t *testing.T) {
		pool, client := res.Outputs["UserPoolId"], res.Outputs["UserPoolClientId"]
		c, err := cog.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(client)})
		require.NoError(t, err)
		assert.Equal(t, int32(60), aws.ToInt32(c.UserPoolClient.IdTokenValidity))
		assert.Equal(t, "minutes", string(c.UserPoolClient.TokenValidityUnits.IdToken))
		assert.True(t, aws.ToBool(c.UserPoolClient.EnableTokenRevocation))
		assert.Equal(t, "ENABLED", string(c.UserPoolClient.PreventUserExistenceErrors))
		// a sign-in's ID token: one hour, as in AWS (cognito-local's own default is 24 hours)
		const email, password = "ttl@apply.test", "Ttl-Passw0rd!x"
		_, err = cog.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(email), MessageAction: "SUPPRESS"})
		require.NoError(t, err)
		_, err = cog.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(email), Password: aws.String(password), Permanent: true})
		require.NoError(t, err)
		tok, err := cognitotest.PasswordLogin(ctx, cog, client, email, password)
		require.NoError(t, err)
		var claims struct{ Iat, Exp int64 }
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.IDToken, ".")[1])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(payload, &claims))
		assert.Equal(t, int64(3600), claims.Exp-claims.Iat)
	})
	t.Run("the rest is listed as not emulated", func(t *testing.T) {
		var types []string
		for _, r := range res.NotEmulated {
			types = append(types, r.Type)
		}
		assert.Contains(t, types, "AWS::CloudWatch::Alarm")
		assert.Contains(t, types, "AWS::Cognito::UserPoolDomain")
		assert.Contains(t, types, "AWS::IAM::Role")
	})
	t.Run("applying again changes nothing", func(t *testing.T) {
		again, err := d.Apply(ctx, path)
		require.NoError(t, err)
		assert.Equal(t, res.Outputs, again.Outputs)
	})
}

func TestPlatinumOnboardingAndOffboardingThroughTheLocalDeployer(t *testing.T) {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	_, e := testenv.AWS(t)
	cog := testenv.Cognito(t)
	pools := cognito.Pools{C: cog}
	shared, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenants")
	require.NoError(t, err)
	stacks := localdeploy.Stacks{Deployer: localdeploy.Deployer{DB: db, Cognito: cog}, Synth: fixtureSynth(names), Dir: t.TempDir()}
	d := app.Deps{DB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: time.Now, TenantPoolID: shared, RegistrationsPerHour: 100, Mail: testenv.MailSender(t)}
	d.Lifecycle = app.NewLifecycle(d, app.LifecycleOptions{Archive: onboarding.DirArchive{Dir: t.TempDir()},
		Platinum: onboarding.Platinum{Stacks: stacks, IssuerBase: e.Cognito}})
	api := apitest.New(t, d)
	reg := tenantdb.New(db, names)
	t.Cleanup(func() { _ = stacks.Destroy(context.Background(), "bigco") })

	owner := "owner@" + names.Prefix + ".test"
	box := testenv.NewMailbox(t, owner)
	res := api.Anonymous().Do("POST", "/v1/registrations", map[string]string{"company_name": "Big Co", "slug": "bigco",
		"admin_email": owner, "tier": "platinum"})
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	token, _ := res.Map(t)["status_token"].(string)
	res = api.Anonymous().Do("POST", "/v1/registrations/bigco/verify?token="+token, map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, "pending_approval", res.Map(t)["status"], "no stack before Root approves")
	start := time.Now()
	res = api.As(tenancy.Principal{UserID: "root-1", Role: roles.Root}).Do("POST", "/v1/admin/tenants/bigco/approve", nil)
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	t.Logf("platinum approval to active (fixture synth + local deploy): %s", time.Since(start))
	tn, err := reg.Get(ctx, "bigco")
	require.NoError(t, err)

	t.Run("the tenant is active in its own table and pool", func(t *testing.T) {
		assert.Equal(t, tenant.StatusActive, tn.Status, tn.StatusReason)
		assert.Equal(t, names.Silo("bigco"), tn.Table)
		assert.NotEqual(t, shared, tn.UserPoolID)
		assert.Equal(t, e.Cognito+"/"+tn.UserPoolID, tn.Issuer)
	})
	var p tenancy.Principal
	t.Run("the Super Admin signs in through the dedicated pool with the mailed invitation and reads /v1/me", func(t *testing.T) {
		inv := box.Next("You're invited to Big Co on IssueTracker")
		tok, err := cognitotest.SignIn(ctx, pools.C, tn.ClientIDs[0], owner, inv.TemporaryPassword(), "Correct-Horse-9!", nil)
		require.NoError(t, err)
		az := authorizer.New(authorizer.Config{
			TenantPool:   authorizer.PoolFor(e.Cognito, shared, idtoken.PoolTenant),
			ProviderPool: authorizer.PoolFor(e.Cognito, "none", idtoken.PoolProvider),
			CacheTTL:     time.Nanosecond,
		}, reg, peopledb.UserDB{DB: db})
		p, _, err = az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		assert.Equal(t, roles.SuperAdmin, p.Role)
		me := api.As(p).Do("GET", "/v1/me", nil)
		require.Equal(t, http.StatusOK, me.Status, string(me.Body))
	})
	t.Run("its data is in its own table, never the pooled one", func(t *testing.T) {
		_, err := peopledb.UserDB{DB: db}.Get(ctx, tenancy.Scope{Table: names.Silo("bigco"), TenantID: "bigco"}, p.UserID)
		assert.NoError(t, err)
		_, err = peopledb.UserDB{DB: db}.Get(ctx, tenancy.Scope{Table: names.App(), TenantID: "bigco"}, p.UserID)
		assert.Error(t, err)
	})
	t.Run("offboarding destroys its table and pool", func(t *testing.T) {
		root := tenancy.Principal{UserID: "root-1", Role: roles.Root}
		res := api.As(root).Do("POST", "/v1/admin/tenants/bigco/offboard", map[string]string{"confirm": "bigco"})
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		assert.Equal(t, true, res.Map(t)["finished"], string(res.Body))
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(names.Silo("bigco"))})
		assert.Error(t, err, "the silo table is gone")
		id, err := pools.FindPool(ctx, names.Silo("bigco"))
		require.NoError(t, err)
		assert.Empty(t, id, "the dedicated pool is gone")
		_, err = reg.ByIssuer(ctx, tn.Issuer)
		assert.Error(t, err, "the issuer no longer names a tenant")
	})
}

func TestApplyToATableOlderThanTheTemplateSaysToReset(t *testing.T) {
	ctx := context.Background()
	db := testenv.DynamoDB(t)
	names := schema.Names{Prefix: testenv.UniquePrefix(t)}
	path, err := fixtureSynth(names)(t.TempDir(), "grow")
	require.NoError(t, err)
	d := localdeploy.Deployer{DB: db, Cognito: testenv.Cognito(t)}
	t.Cleanup(func() { _ = d.Destroy(ctx, path) })

	// The table as an older template made it: only the first index.
	older := schema.App
	older.Indexes = older.Indexes[:1]
	require.NoError(t, dynamo.EnsureTable(ctx, db, older, names.Silo("grow")))

	_, err = d.Apply(ctx, path)
	require.ErrorIs(t, err, localdeploy.ErrStaleTable)
	assert.Contains(t, err.Error(), "gsi2")
	assert.Contains(t, err.Error(), "make dev-reset")
}

func TestApplyTurnsOnTheStreamOfATableMadeBeforeTheTemplateHadOne(t *testing.T) {
	ctx := context.Background()
	db := testenv.DynamoDB(t)
	name := testenv.UniquePrefix(t) + "-app"
	old := schema.App
	old.Stream = ""
	require.NoError(t, dynamo.EnsureTable(ctx, db, old, name))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, name) })

	tmpl := map[string]any{"Resources": map[string]any{"Table": map[string]any{"Type": localdeploy.TypeTable, "Properties": map[string]any{
		"TableName":            name,
		"KeySchema":            []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}},
		"AttributeDefinitions": []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}, map[string]any{"AttributeName": "sk", "AttributeType": "S"}},
		"StreamSpecification":  map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
	}}}}
	path := filepath.Join(t.TempDir(), "t.json")
	b, _ := json.Marshal(tmpl)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	d := localdeploy.Deployer{DB: db, Cognito: testenv.Cognito(t)}
	for range 2 { // and again: nothing more to do
		_, err := d.Apply(ctx, path)
		require.NoError(t, err)
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		require.NoError(t, err)
		require.NotNil(t, out.Table.StreamSpecification)
		assert.True(t, aws.ToBool(out.Table.StreamSpecification.StreamEnabled))
		assert.Equal(t, "NEW_AND_OLD_IMAGES", string(out.Table.StreamSpecification.StreamViewType))
		assert.NotEmpty(t, aws.ToString(out.Table.LatestStreamArn))
	}
}

package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// In the template mode every pool's Lambda triggers are the ones its
// template declares, though cognito-local has one trigger configuration
// for all pools: a Platinum tenant stack whose pool declares its own
// user-migration function gets its users moved in from the shared pool by
// that function's process (usermigration@<tenant>, its REPORT line), a
// tenant pool without the trigger migrates no one (though the registry
// would let the platform's trigger move the user), and a trigger naming a
// function that does not exist fails the tenant's deploy naming the pool.
func TestEachPoolCallsTheTriggersItsTemplateDeclares(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, logs, _ := templateConfig(t, "")
	// A cognito-local of this platform, on a free port: it is configured
	// with the platform's Invoke API at start (the shared test one has no
	// triggers).
	cfg.CognitoPort = 0
	cfg.Endpoints.Cognito = ""
	s, err := devstack.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	awsCfg, _ := testenv.AWS(t)
	cog := cognito.NewClient(awsCfg, awsx.Endpoints{Cognito: s.Platform.CognitoEndpoint})
	db := testenv.DynamoDB(t)
	deployer := localdeploy.Deployer{DB: db, Cognito: cog}
	registry := tenantdb.New(db, schema.Names{Prefix: cfg.Prefix})
	initech, err := os.ReadFile(filepath.Join(cfg.Root, "infra", "templates", "IssueTracker-cell-2-Tenant-initech.json"))
	require.NoError(t, err)
	var initechTmpl struct {
		Resources map[string]any
	}
	require.NoError(t, json.Unmarshal(initech, &initechTmpl))

	// deploy applies tenant id's stack (the acme template changed by edit),
	// registers id as a Platinum tenant whose users were in the shared pool
	// (the registry's account of a tier migration), creates one such user
	// there and runs the stack.
	deploy := func(t *testing.T, id string, edit func(res map[string]any)) (pool, client, email string, err error) {
		path := tenantTemplate(t, cfg.Root, id, edit)
		res, err := deployer.Apply(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { s.StopTenantStack(ctx, id); _ = deployer.Destroy(ctx, path) })
		for _, r := range res.Applied {
			switch r.Type {
			case localdeploy.TypePool:
				pool = r.PhysicalID
			case localdeploy.TypeClient:
				client = r.PhysicalID
			}
		}
		require.NotEmpty(t, pool)
		require.NoError(t, registry.Create(ctx, tenant.Tenant{ID: id, Name: "Moved " + id, Tier: tiers.Platinum, Status: tenant.StatusActive,
			Table: "issuetracker-tenant-" + id, UserPoolID: pool, ClientIDs: []string{client},
			Issuer: strings.TrimSuffix(s.Platform.CognitoEndpoint, "/") + "/" + pool, FormerPool: &tenant.FormerPool{ID: s.Platform.TenantPoolID}}))
		email = "moved@" + id + ".test"
		_, err = cognito.Pools{C: cog}.EnsureUser(ctx, s.Platform.TenantPoolID, cognito.UserSpec{Email: email, Password: devstack.DemoPassword,
			TenantID: id, Role: string(roles.User), Tier: string(tiers.Platinum)})
		require.NoError(t, err)
		return pool, client, email, s.RunTenantStack(ctx, id, path, res)
	}
	inPool := func(pool, email string) bool {
		_, err := cog.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(email)})
		var nf *types.UserNotFoundException
		if errors.As(err, &nf) {
			return false
		}
		require.NoError(t, err)
		return true
	}

	t.Run("a tenant pool's own migration trigger moves a shared-pool user in, in the tenant's process", func(t *testing.T) {
		id := "mig" + cfg.Prefix
		pool, client, email, err := deploy(t, id, func(res map[string]any) {
			fn := initechTmpl.Resources["UserMigrationFunction27EC8F7A"].(map[string]any)
			fn["Properties"].(map[string]any)["Environment"] = map[string]any{"Variables": map[string]any{
				"ITR_TABLE_PREFIX": cfg.Prefix, "ITR_TENANT_POOL_ID": s.Platform.TenantPoolID, "ITR_TENANT_CLIENT_IDS": s.Platform.TenantClientID}}
			res["UserMigrationFunction27EC8F7A"] = fn
			props(res, "UserPool6D0DFADB")["LambdaConfig"] = map[string]any{"UserMigration": map[string]any{"Fn::GetAtt": []any{"UserMigrationFunction27EC8F7A", "Arn"}}}
		})
		require.NoError(t, err)
		assert.Contains(t, logs.String(), "cognito | pool UserPool6D0DFADB ("+pool+"): UserMigration -> usermigration@"+id)
		require.False(t, inPool(pool, email))

		_, err = cognitotest.PasswordLogin(ctx, cog, client, email, devstack.DemoPassword)
		require.NoError(t, err, "the user signs in to the tenant's pool with the shared pool's password")
		assert.True(t, inPool(pool, email), "the trigger created the user in the tenant's pool")
		assert.Contains(t, logs.String(), "usermigration@"+id+" | REPORT", "served by the tenant stack's own function")
		assert.NotContains(t, logs.String(), "\nusermigration | REPORT", "not by the platform's")
	})

	t.Run("a tenant pool without the trigger migrates no one", func(t *testing.T) {
		id := "nomig" + cfg.Prefix
		pool, client, email, err := deploy(t, id, func(res map[string]any) {
			delete(props(res, "UserPool6D0DFADB"), "LambdaConfig")
		})
		require.NoError(t, err)
		_, err = cognitotest.PasswordLogin(ctx, cog, client, email, devstack.DemoPassword)
		var na *types.NotAuthorizedException
		assert.True(t, errors.As(err, &na), "refused as an unknown user: %v", err)
		assert.False(t, inPool(pool, email), "no trigger, no migration")
	})

	t.Run("a trigger naming a function that does not exist fails the deploy naming the pool", func(t *testing.T) {
		for name, trigger := range map[string]any{
			"an ARN":              "arn:aws:lambda:us-east-1:123456789012:function:issuetracker-nosuchfunction",
			"a resource it lacks": map[string]any{"Fn::GetAtt": []any{"NoSuchFunction", "Arn"}},
		} {
			id := "bad" + cfg.Prefix + map[bool]string{true: "a", false: "b"}[name == "an ARN"]
			_, _, _, err := deploy(t, id, func(res map[string]any) {
				props(res, "UserPool6D0DFADB")["LambdaConfig"] = map[string]any{"UserMigration": trigger}
			})
			require.Error(t, err, name)
			assert.Contains(t, err.Error(), "stack IssueTracker-Tenant-"+id, name)
			assert.Contains(t, err.Error(), "pool UserPool6D0DFADB", name)
			assert.Contains(t, err.Error(), "UserMigration trigger", name)
			assert.Nil(t, s.Functions.Function("stream-activity@"+id), "nothing of the failed stack keeps running")
		}
	})
}

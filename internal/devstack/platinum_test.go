package devstack_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Platinum company registers through the gateway; onboarding synthesizes
// IssueTracker-Tenant-<id> with the real CDK app, the local deployer creates
// its table and pool, and the Super Admin's issue lands in the tenant's own
// table, never the pooled one. Offboarding then removes table and pool.
func TestPlatinumRegistrationGetsItsOwnTableAndPool(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("synthesizes with the CDK app")
	}
	platinumRegistration(t, startPlatform(t, sharedSynth), true, nil)
}

// The same in make dev's template mode: the registration and tenants
// processes run onboarding, the platform synthesizes and applies the tenant
// stack for them (localstacks), and the template's stream mappings feed the
// tenant table's changes to the stream-analytics process. In make test the
// tenant's template comes from the synth worker the test above started
// (sharedSynth: the sentinel's template with the id replaced, which
// test/infra proves equal to a synth); make template-test
// (ITR_OWN_SYNTH=1) has the platform start its own worker and synthesize,
// as make dev does.
func TestPlatinumRegistrationInTheTemplateMode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("synthesizes with the CDK app")
	}
	logs := &lockedBuffer{}
	w := startPlatform(t, sharedSynth, func(c *devstack.Config) {
		c.Mode, c.FunctionLog = devstack.FromTemplate, logs
		// Notification mail within the mailbox's wait: a short batching
		// window, the mail job's schedule often.
		c.NotifyWindow, c.ScheduleEvery = time.Second, 300*time.Millisecond
	})
	id := platinumRegistration(t, w, false, func(t *testing.T, id, owner string, ownerBox *testenv.Mailbox, issueID string) {
		// The tenant's stream-activity (its stack's, no mail settings)
		// fans the comment out; the platform's mail job sends the owner's
		// mail within the window make dev gives every stream-activity.
		member := "member@" + id + ".test"
		box := testenv.NewMailbox(t, member)
		code, body := w.call("POST", "/v1/users", owner, map[string]any{"email": member, "role": "user", "display_name": "Member"})
		require.Equal(t, 201, code, body)
		_, wsBody := w.call("GET", "/v1/workspaces/"+id, "", nil)
		tok, err := cognitotest.SignIn(w.ctx, testenv.Cognito(t), wsBody["client_id"].(string), member,
			box.Next("You're invited to Initech on IssueTracker").TemporaryPassword(), devstack.DemoPassword, nil)
		require.NoError(t, err)
		code, body = w.call("POST", "/v1/issues/"+issueID+"/comments", tok.IDToken, map[string]any{"body": "Seen it"})
		require.Equal(t, 201, code, body)
		require.NoError(t, w.s.DrainChanges(w.ctx))
		got := ownerBox.Next("[Initech] Member")
		assert.Contains(t, got.Text, "Seen it")
		assert.Contains(t, logs.String(), "stream-activity@"+id+" | REPORT", "fanned out by the tenant stack's function")
	})
	assert.Contains(t, logs.String(), "lambda | stack IssueTracker-Tenant-"+id+": 2 functions started", "the tenant stack's own functions run")
	assert.Contains(t, logs.String(), "stream-analytics@"+id+" | REPORT", "the tenant table's changes went through the tenant stack's function process")
	assert.Nil(t, w.s.Functions.Function("stream-analytics@"+id), "offboarding stopped them")
}

// platinumRegistration is a Platinum sign-up to offboarding on w; exports
// says offboarding's export lands in the local S3's exports bucket.
func platinumRegistration(t *testing.T, w *platform, exports bool,
	active func(t *testing.T, id, ownerToken string, ownerBox *testenv.Mailbox, issueID string)) (id string) {
	ctx, pl, call, prefix := w.ctx, w.pl, w.call, w.prefix
	db := testenv.DynamoDB(t)
	cog := testenv.Cognito(t)
	id = "p" + prefix // unique per run: the tenant stack names its table after the id
	owner := "owner@" + id + ".test"
	box := testenv.NewMailbox(t, owner)
	code, body := call("POST", "/v1/registrations", "", map[string]string{"company_name": "Initech", "slug": id,
		"admin_email": owner, "tier": "platinum"})
	require.Equal(t, 202, code, body)
	token, _ := body["status_token"].(string)
	code, body = call("POST", "/v1/registrations/"+id+"/verify?token="+token, "", map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, 200, code, body)
	require.Equal(t, "pending_approval", body["status"], "no AWS resources before Root approves")
	rootTok, err := cognitotest.PasswordLogin(ctx, cog, pl.ProviderClientID, devstack.Demo.Root.Email, devstack.DemoPassword)
	require.NoError(t, err)
	start := time.Now()
	code, body = call("POST", "/v1/admin/tenants/"+id+"/approve", rootTok.IDToken, nil)
	require.Equal(t, 202, code, body)
	var status string
	var reg map[string]any
	for time.Since(start) < 5*time.Minute {
		_, reg = call("GET", "/v1/registrations/"+id+"?token="+token, "", nil)
		if status, _ = reg["status"].(string); status == "active" || status == "failed" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "active", status, reg)
	t.Logf("Platinum approval to active (synth + local deploy): %s", time.Since(start))
	var steps []string
	for _, s := range reg["steps"].([]any) {
		steps = append(steps, s.(map[string]any)["step"].(string))
	}
	assert.Equal(t, []string{"place", "admin_user", "api_key", "invite_admin", "activate"}, steps, "the public status lists the stack steps")

	tn, err := tenantdb.New(db, schema.Names{Prefix: prefix}).Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, schema.Names{Prefix: prefix}.Silo(id), tn.Table, "the tenant's data lives in its own table, under the platform's prefix")
	assert.NotEqual(t, pl.TenantPoolID, tn.UserPoolID, "and its people in their own pool")
	require.NotEmpty(t, tn.ClientIDs)

	code, ws := call("GET", "/v1/workspaces/"+id, "", nil)
	require.Equal(t, 200, code, ws)
	assert.Equal(t, tn.UserPoolID, ws["user_pool_id"], "the workspace lookup names the dedicated pool")
	require.Equal(t, tn.ClientIDs[0], ws["client_id"])
	inv := box.Next("You're invited to Initech on IssueTracker")
	tok, err := cognitotest.SignIn(ctx, cog, ws["client_id"].(string), owner, inv.TemporaryPassword(), devstack.DemoPassword, nil)
	require.NoError(t, err)
	code, me := call("GET", "/v1/me", tok.IDToken, nil)
	require.Equal(t, 200, code, me)
	assert.Equal(t, "platinum", me["tenant"].(map[string]any)["tier"])
	code, iss := call("POST", "/v1/issues", tok.IDToken, map[string]string{"title": "Dedicated at last", "type": "feature"})
	require.Equal(t, 201, code, iss)

	countTenantItems := func(table string) int {
		out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table),
			FilterExpression:          aws.String("begins_with(pk, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: schema.TenantKeyPrefix(id)}}})
		require.NoError(t, err)
		return int(out.Count)
	}
	assert.Positive(t, countTenantItems(tn.Table), "the issue is in the tenant's own table")
	require.NoError(t, w.s.DrainChanges(ctx))
	code, rep := call("GET", "/v1/analytics/issues", tok.IDToken, nil)
	require.Equal(t, 200, code, rep)
	assert.Equal(t, 1.0, rep["totals"].(map[string]any)["created"], "the tenant table's stream reached the analytics consumer")
	assert.Zero(t, countTenantItems(schema.Names{Prefix: prefix}.App()), "and nothing of the tenant is in the pooled table")

	if active != nil {
		t.Run("while active", func(t *testing.T) { active(t, id, tok.IDToken, box, iss["id"].(string)) })
	}

	t.Run("a shared-pool token naming the Platinum tenant is refused", func(t *testing.T) {
		p := cognito.Pools{C: cog}
		_, err := p.EnsureUser(ctx, pl.TenantPoolID, cognito.UserSpec{Email: "mallory@initech.test", Password: devstack.DemoPassword,
			TenantID: id, Role: "super_admin"})
		require.NoError(t, err)
		forged, err := cognitotest.PasswordLogin(ctx, p.C, pl.TenantClientID, "mallory@initech.test", devstack.DemoPassword)
		require.NoError(t, err)
		code, body := call("GET", "/v1/me", forged.IDToken, nil)
		assert.Equal(t, 401, code, body)
	})

	t.Run("offboarding removes the tenant's table and pool", func(t *testing.T) {
		code, body := call("POST", "/v1/admin/tenants/"+id+"/offboard", rootTok.IDToken, map[string]string{"confirm": id})
		require.Equal(t, 202, code, body)
		// Offboarding runs in the background: wait for both, the table goes first.
		deadline := time.Now().Add(time.Minute)
		var tableGone, poolGone bool
		for time.Now().Before(deadline) && !(tableGone && poolGone) {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tn.Table)})
			tableGone = err != nil
			_, err = cog.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(tn.UserPoolID)})
			poolGone = err != nil
			time.Sleep(200 * time.Millisecond)
		}
		assert.True(t, tableGone, "the tenant's table is deleted")
		assert.True(t, poolGone, "the tenant's pool is deleted")
		if !exports {
			return
		}
		objs, err := testenv.S3(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(pl.ExportBucket), Prefix: aws.String(id + "/")})
		require.NoError(t, err)
		require.Len(t, objs.Contents, 1, "the export is in the local S3's exports bucket")
		assert.Positive(t, aws.ToInt64(objs.Contents[0].Size))
	})
	return id
}

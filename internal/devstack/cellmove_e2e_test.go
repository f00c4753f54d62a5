package devstack_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// TestATenantMovesToAnotherCellWhileItWrites moves umbrella from cell-1 to
// cell-2 with the migration run while its owner keeps creating issues at
// cell-1: every acknowledged write is in cell-2, cell-1 answers
// tenant_in_other_cell naming cell-2's API, the owner signs in at cell-2's
// pool with the same password (the user-migration trigger of cell-2's pool,
// called by the one cognito-local both cells share: make dev CELLS=2's
// setting) and sees the same issues under the same user id; after the
// grace period cell-1's copy is gone.
func TestATenantMovesToAnotherCellWhileItWrites(t *testing.T) {
	t.Parallel()
	const email = "owner@umbrella.test"
	one, two := cellsForMove(t, tiers.Standard)
	ctx := context.Background()

	owner := one.tenantLogin(email)
	status, me := one.call("GET", "/v1/me", owner, nil)
	require.Equal(t, 200, status, "%v", me)
	userID := me["user"].(map[string]any)["id"].(string)
	var (
		mu    sync.Mutex
		acked []string
	)
	acked = createIssues(t, one, owner, 5)
	// A file on the first issue, in cell-1's bucket: it moves with the tenant.
	fileBody := []byte("the umbrella corporation's plans\n")
	fileID := uploadFile(t, one, owner, acked[0], fileBody)
	objects := func(bucket string) map[string]int64 {
		got, err := filesOf(t, bucket, "umbrella/")
		require.NoError(t, err)
		return got
	}
	filesBefore := objects(one.pl.AttachmentsBucket)
	require.Len(t, filesBefore, 1)
	// A paying billing account in cell-1 (the demo seed has none): it
	// moves with the tenant.
	bills := func(p *platform) billingdb.Store {
		return billingdb.New(testenv.DynamoDB(t), schema.Names{Prefix: p.pl.Prefix})
	}
	_, err := bills(one).Put(ctx, billing.Account{TenantID: "umbrella", Tier: tiers.Standard, Status: billing.StatusActive,
		CustomerID: "cus_umbrella_" + one.pl.Prefix, SubscriptionID: "sub_umbrella", AmountCents: 4900, Currency: "usd", UpdatedAt: time.Now()})
	require.NoError(t, err)
	require.NotEqual(t, one.pl.AttachmentsBucket, two.pl.AttachmentsBucket, "each cell has its bucket")

	stopped := writeUntilMoved(one, owner, &mu, &acked)
	time.Sleep(300 * time.Millisecond) // some writes before the move starts

	// Root starts the move.
	root := one.login(one.pl.ProviderClientID, devstack.Demo.Root.Email)
	for cell, want := range map[string]string{"cell-1": "tenant_in_cell", "cell-9": "unknown_cell"} {
		status, refused := one.call("POST", "/v1/admin/tenants/umbrella/migration", root, map[string]string{"cell": cell})
		assert.Contains(t, []int{409, 422}, status, "%v", refused)
		assert.Equal(t, want, refused["code"], "a move to %s", cell)
	}
	status, started := one.call("POST", "/v1/admin/tenants/umbrella/migration", root, map[string]string{"cell": "cell-2"})
	require.Equal(t, 202, status, "%v", started)
	assert.Contains(t, jsonString(started), `"target_cell":"cell-2"`)
	defer watchMove(t, one)()

	end := <-stopped // the writer stops (moveStall bounds a move stuck)
	if end.status != 403 {
		logMove(t, one)
	}
	require.Equal(t, 403, end.status, "%v", end.body)
	assert.Equal(t, "tenant_in_other_cell", end.body["code"])
	assert.Contains(t, end.body["detail"], "cell-2")
	assert.Contains(t, end.body["detail"], two.pl.GatewayURL)
	st, written := switched(t, one, &mu, acked)
	t.Logf("acknowledged writes: %d (%d during the move); freeze %d ms; copied %d, catch-up %v, drained %d; consumers' waves before the freeze %v ms, freezes backed off %d",
		len(written), len(written)-5, st.Migration.FreezeMS, st.Migration.Copied, st.Migration.CatchUp, st.Migration.Drained,
		st.Migration.BarriersMS, st.Migration.FreezeBackoffs)
	logFreeze(t, st)
	require.Greater(t, len(written), 5, "the writer wrote during the move")

	// cell-2: the owner signs in to cell-2's pool with the same password
	// (naming the workspace, as the web does), is the same user, and finds
	// every acknowledged issue.
	in, err := two.pools.C.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(two.pl.TenantClientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": devstack.DemoPassword},
		ClientMetadata: map[string]string{"tenant_id": "umbrella"},
	})
	require.NoError(t, err, "sign-in at cell-2 with the password of cell-1")
	moved := aws.ToString(in.AuthenticationResult.IdToken)
	status, me2 := two.call("GET", "/v1/me", moved, nil)
	require.Equal(t, 200, status, "%v", me2)
	assert.Equal(t, userID, me2["user"].(map[string]any)["id"], "the same user id")
	for _, id := range written {
		status, iss := two.call("GET", "/v1/issues/"+id, moved, nil)
		if assert.Equal(t, 200, status, "acknowledged issue %s at cell-2: %v", id, iss) {
			assert.Equal(t, userID, iss["reporter_id"])
		}
	}
	// The file is in cell-2's bucket, and cell-2 serves it from there.
	// Compared with what cell-1 held before the move: after the grace
	// period (3 s, which a loaded machine spends on the checks above)
	// cell-1's copy is already gone.
	assert.Equal(t, filesBefore, objects(two.pl.AttachmentsBucket), "the objects copied and verified")
	status, dl := two.call("GET", "/v1/issues/"+acked[0]+"/attachments/"+fileID+"/download", moved, nil)
	require.Equal(t, 200, status, "%v", dl)
	assert.Contains(t, dl["url"], two.pl.AttachmentsBucket, "downloaded from cell-2's bucket")
	assert.NotContains(t, dl["url"], one.pl.AttachmentsBucket+"/")
	res, err := http.Get(dl["url"].(string))
	require.NoError(t, err)
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, string(fileBody), string(got))
	assert.Equal(t, 1, st.Migration.FilesCopied)

	status, iss := two.call("POST", "/v1/issues", moved, map[string]string{"title": "after the move", "type": "task"})
	assert.Equal(t, 201, status, "writes work at cell-2: %v", iss)

	// Billing: Stripe sends each event to every cell's webhook; cell-2
	// holds the account now and acts on it, cell-1 answers 200 and changes
	// nothing; cell-2's figures count its MRR, cell-1's do not.
	payload, sig := stripebilling.SignedEvent(one.pl.StripeWebhookSecret, "evt_move_"+one.pl.Prefix, billing.EventInvoicePaymentFailed,
		stripebilling.InvoiceObject("in_move", "cus_umbrella_"+one.pl.Prefix, "sub_umbrella", "umbrella", 4900, false, time.Now().AddDate(0, 1, 0)), time.Now())
	for _, p := range []*platform{one, two} {
		req, err := http.NewRequest(http.MethodPost, p.pl.GatewayURL+"/v1/billing/webhook", bytes.NewReader(payload))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, "%s's webhook: %s", p.pl.GatewayURL, body)
	}
	billed, err := bills(two).ByCustomer(ctx, "cus_umbrella_"+one.pl.Prefix)
	require.NoError(t, err, "cell-2 holds the account")
	assert.Equal(t, billing.StatusPastDue, billed.Status, "cell-2 acted on the event")
	if left, err := bills(one).Get(ctx, "umbrella"); err == nil { // unless the grace period already retired it
		assert.Equal(t, billing.StatusActive, left.Status, "cell-1 did not act on it")
		assert.Equal(t, "cell-2", left.MovedTo)
	}
	for i, p := range []*platform{one, two} {
		listed, err := bills(p).List(ctx)
		require.NoError(t, err)
		var mrr int64
		for _, a := range listed {
			if a.TenantID == "umbrella" {
				mrr += a.AmountCents
			}
		}
		assert.Equal(t, []int64{0, 4900}[i], mrr, "cell-%d's figures count umbrella's MRR %s", i+1, []string{"not", "once"}[i])
	}
	status, other := two.call("GET", "/v1/issues", moved, nil)
	require.Equal(t, 200, status)
	assert.NotContains(t, jsonString(other), "initech", "cell-2's other tenant stays apart")

	// cell-1: its authorizer sends the tenant to cell-2; its Root sees the
	// record tombstoned (deleted, the id never reused), naming cell-2.
	status, refused := one.call("GET", "/v1/issues", owner, nil)
	assert.Equal(t, 403, status)
	assert.Equal(t, "tenant_in_other_cell", refused["code"])
	status, gone := one.call("GET", "/v1/admin/tenants/umbrella", root, nil)
	assert.Equal(t, 200, status)
	assert.Contains(t, jsonString(gone), `"status":"deleted"`)
	assert.Contains(t, jsonString(gone), "moved to cell-2")
	status, there := two.call("GET", "/v1/admin/tenants/umbrella", two.login(two.pl.ProviderClientID, devstack.Demo.Root.Email), nil)
	assert.Equal(t, 200, status, "%v", there)
	assert.Contains(t, jsonString(there), `"status":"active"`)

	// After the grace period the lifecycle's maintenance deletes cell-1's
	// copy: a background job that waits for the stream consumers to pass
	// its deletes, at most RetireWait (on a machine at load average 27
	// they lagged a minute, and 30 s here was too short).
	endGrace(t, one, "umbrella")
	require.Eventually(t, func() bool {
		st, err := one.s.Lifecycle.States.Get(ctx, "umbrella")
		return err == nil && !st.FinishedAt.IsZero()
	}, onboarding.RetireWait, 200*time.Millisecond, "the old home retired")
	store := tenantdata.Store{DB: testenv.DynamoDB(t), Platform: testenv.DynamoDB(t)}
	left, err := store.Digest(ctx, "umbrella", onboarding.Home{Table: schema.Names{Prefix: one.pl.Prefix}.App()})
	require.NoError(t, err)
	assert.Empty(t, left, "cell-1 holds nothing of umbrella")
	assert.Empty(t, objects(one.pl.AttachmentsBucket), "cell-1's bucket holds no file of umbrella")
	_, err = bills(one).Get(ctx, "umbrella")
	assert.Equal(t, "account_not_found", errCode(err), "cell-1 holds no billing account of umbrella")
	_, err = bills(one).ByCustomer(ctx, "cus_umbrella_"+one.pl.Prefix)
	assert.Equal(t, "account_not_found", errCode(err), "nor its customer lookup")
	assert.Len(t, objects(two.pl.AttachmentsBucket), 1)
	now, err := store.Digest(ctx, "umbrella", onboarding.Home{Table: schema.Names{Prefix: two.pl.Prefix}.App()})
	require.NoError(t, err)
	assert.NotEmpty(t, now)
	assert.True(t, strings.HasPrefix(two.pl.Prefix, one.pl.Prefix), "cell-2 is named after the base prefix")
	// The users: the one who never signed in at cell-2 is invited into
	// its pool (before, only cell-1's pool knew them, and cell-2's record
	// names it only until the tenant's next migration there); cell-1's
	// pool keeps no account of umbrella (the owner's was stale).
	invitedInto(t, two, two.pl.TenantPoolID, straggler)
	notIn(t, one, one.pl.TenantPoolID, email, straggler)
}

// endGrace ends the grace period of p's migration of tenantID, once it
// waits in retire_old_home (however long the run takes to get there, as
// awaitMove): the maintenance then retires the old home.
func endGrace(t *testing.T, p *platform, tenantID string) {
	t.Helper()
	ctx := context.Background()
	awaitMove(t, p, tenantID+"'s migration waits for its grace period", func() bool {
		st, err := p.s.Lifecycle.States.Get(ctx, tenantID)
		if err != nil || st.Migration == nil || st.Waiting != onboarding.StepRetire {
			return false
		}
		st.Migration.RetireAfter = time.Now()
		_, err = p.s.Lifecycle.States.Put(ctx, st)
		return err == nil
	})
}

// invitedInto checks that email is invited into pool as umbrella's
// (a temporary password, a new one at first sign-in).
func invitedInto(t *testing.T, p *platform, pool, email string) {
	t.Helper()
	u, err := p.pools.C.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(email)})
	require.NoError(t, err, "%s is invited into %s", email, pool)
	assert.Equal(t, types.UserStatusTypeForceChangePassword, u.UserStatus, "%s: invited", email)
	tenant, found, err := p.pools.TenantOf(context.Background(), pool, email)
	require.NoError(t, err)
	assert.True(t, found && tenant == "umbrella", "%s is umbrella's (%s)", email, tenant)
}

// notIn checks that pool holds no account of the emails.
func notIn(t *testing.T, p *platform, pool string, emails ...string) {
	t.Helper()
	for _, e := range emails {
		_, found, err := p.pools.TenantOf(context.Background(), pool, e)
		require.NoError(t, err)
		assert.False(t, found, "%s keeps no account of %s", pool, e)
	}
}

// uploadFile attaches body to an issue through p's API (request, PUT,
// confirm) and returns the attachment's id.
func uploadFile(t *testing.T, p *platform, tok, issueID string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	code, up := p.call("POST", "/v1/issues/"+issueID+"/attachments", tok, map[string]any{"filename": "plans.txt",
		"content_type": "text/plain", "size": len(body), "sha256": base64.StdEncoding.EncodeToString(sum[:])})
	require.Equal(t, 201, code, up)
	req, err := http.NewRequest("PUT", up["url"].(string), bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	id := up["attachment"].(map[string]any)["id"].(string)
	code, a := p.call("POST", "/v1/issues/"+issueID+"/attachments/"+id+"/confirm", tok, nil)
	require.Equal(t, 200, code, a)
	return id
}

// filesOf lists the objects under prefix in bucket of the test S3: key -> size.
func filesOf(t *testing.T, bucket, prefix string) (map[string]int64, error) {
	out, err := testenv.S3(t).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	got := map[string]int64{}
	for _, c := range out.Contents {
		got[aws.ToString(c.Key)] = aws.ToInt64(c.Size)
	}
	return got, nil
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return errs.As(err).Code
}

// logFreeze logs where a move's freeze went: its steps (freeze_writes:
// the settle, the consumers' two waves and the freeze's rounds; drain;
// verify; switch), the waves' keys and the wait for the consumers after
// the settle, the freeze's back-offs and the catch-up rounds before it.
func logFreeze(t *testing.T, st onboarding.State) {
	t.Helper()
	parts := []string{}
	for _, d := range st.Done {
		switch d.Step {
		case onboarding.StepFreeze, onboarding.StepDrain, onboarding.StepVerify, onboarding.StepSwitch:
			parts = append(parts, fmt.Sprintf("%s %d ms", d.Step, d.Duration.Milliseconds()))
		}
	}
	mg := st.Migration
	t.Logf("the freeze's parts: %v; of freeze_writes, waiting for the consumers after the settle %d ms; waves' keys while settling %d, after %d; freeze rounds %v in %v ms; backed off %d; catch-up rounds %v in %v ms, waves before the freeze %v keys in %v ms",
		parts, mg.ConsumersMS, mg.SettleBarriers, mg.FreezeBarriers, mg.FreezeRounds, mg.FreezeRoundsMS, mg.FreezeBackoffs, mg.CatchUp, mg.CatchUpMS, mg.Barriers, mg.BarriersMS)
}

// tierLimitsForLoad are usage plans that never throttle a test's load
// (gateway.EnvTierLimits' syntax, scripts/load.sh's value).
func tierLimitsForLoad(t *testing.T) gateway.TierLimits {
	l, err := gateway.ParseTierLimits("*=100000:100000:1000000000")
	require.NoError(t, err)
	return l
}

// straggler is umbrella's user who never signs in during a move.
const straggler = "user@umbrella.test"

// cellsForMove starts cell-1, holding umbrella (tier, its owner
// owner@umbrella.test and straggler), and cell-2, holding initech, linked
// for moves on one directory and one cognito-local of the test (started by
// cell-1 with its triggers on cell-1's gateway: the shared test
// cognito-local calls no trigger); a grace period the test ends
// (endGrace), the authorizer's cache 1 s.
func cellsForMove(t *testing.T, tier tiers.Name, opts ...func(*devstack.Config)) (one, two *platform) {
	base := testenv.UniquePrefix(t)
	dir := schema.Names{Prefix: base}.Directory()
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), testenv.DynamoDB(t), dir) })
	// user@umbrella.test never signs in after a move: when its grace
	// period ends it is invited into the new cell's pool.
	umbrella := devstack.DemoTenant{ID: "umbrella", Name: "Umbrella", Tier: tier, Users: []devstack.DemoUser{
		{Email: "owner@umbrella.test", Role: roles.SuperAdmin, TenantID: "umbrella"},
		{Email: straggler, Role: roles.User, TenantID: "umbrella"}}}
	cell := func(id, cognitoEndpoint string, tenants ...devstack.DemoTenant) *platform {
		p := startPlatform(t, append([]func(*devstack.Config){func(c *devstack.Config) {
			c.Prefix, c.Cell, c.Directory, c.Tenants = base, id, dir, tenants
			// cell-1 starts a cognito-local of its own on a free port; cell-2 uses it.
			c.Endpoints.Cognito, c.CognitoPort = cognitoEndpoint, 0
			c.AuthorizerCacheTTL = time.Second
			// A grace period the test ends itself (endGrace) once its checks
			// of the new home are done: the owner's first sign-in at cell-2
			// must come before it, or they are invited there instead (the
			// users who never signed in are); a 3 s grace ran out before
			// it under load.
			c.Migration = onboarding.MigrationOptions{Settle: 200 * time.Millisecond, Grace: time.Hour}
			// The move's billing check sends a failed payment and then
			// expects the tenant active at cell-2: startPlatform's grace of
			// 1 s (billing_test.go's suspension) ran out before the check at
			// load average 20 and the tenant was suspended (payment_overdue).
			// Suspension is not what this test proves: the grace outlasts it.
			c.BillingGrace = time.Hour
			// The writer and the checks of every acknowledged issue are a
			// load, not a Standard tenant's traffic: on a quick machine they
			// spend the tier's burst (50) and get 429 (seen in a fresh
			// clone's make test). Raised by configuration, as make load does.
			c.TierLimits = tierLimitsForLoad(t)
		}}, opts...)...)
		cfg, _ := testenv.AWS(t)
		p.pools = cognito.Pools{C: cognito.NewClient(cfg, awsx.Endpoints{Cognito: p.pl.CognitoEndpoint})}
		return p
	}
	one = cell("cell-1", "", umbrella)
	two = cell("cell-2", one.pl.CognitoEndpoint, devstack.DemoTenant{ID: "initech", Name: "Initech", Tier: tiers.Standard})
	devstack.LinkCells(one.s, two.s)
	return one, two
}

// logMove logs where p's move of umbrella stood (a writer that never
// saw the 403 of the switch).
func logMove(t *testing.T, p *platform) {
	t.Helper()
	st, err := p.s.Lifecycle.States.Get(context.Background(), "umbrella")
	if err != nil {
		return
	}
	steps := []string{}
	for _, d := range st.Done {
		steps = append(steps, fmt.Sprintf("%s %s", d.Step, d.Duration.Round(time.Millisecond)))
	}
	t.Logf("the move: done %v; failed %q: %s; waiting %q", steps, st.FailedStep, st.Error, st.Waiting)
	if mg := st.Migration; mg != nil {
		t.Logf("copied %d, catch-up %v in %v ms, waves %v in %v ms, freeze backoffs %d", mg.Copied, mg.CatchUp, mg.CatchUpMS, mg.Barriers, mg.BarriersMS, mg.FreezeBackoffs)
	}
}

// watchMove logs, every 30 s until the returned stop is called, where p's
// move of umbrella stands: the steps done and the audit records since the
// last look; and, when a look finds no progress since the one before
// (moveProgress), the stacks of the migration's goroutines (what it waits
// on: how this test's failures under load were found).
func watchMove(t *testing.T, p *platform) (stop func()) {
	t.Helper()
	quit, done := make(chan struct{}), make(chan struct{})
	ctx := context.Background()
	start, seen, last := time.Now(), time.Time{}, ""
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(30 * time.Second):
			}
			st, err := p.s.Lifecycle.States.Get(ctx, "umbrella")
			if err != nil {
				continue
			}
			steps := []string{}
			for _, d := range st.Done {
				steps = append(steps, fmt.Sprintf("%s %s", d.Step, d.Duration.Round(time.Millisecond)))
			}
			var events []string
			if page, err := p.s.Lifecycle.Audit.List(ctx, "umbrella", list.Request{Limit: 50}); err == nil {
				newest := seen
				for _, r := range page.Items {
					if r.At.After(seen) {
						events = append([]string{fmt.Sprintf("%s %s %v", r.At.Format("15:04:05.000"), r.Action, r.Detail)}, events...)
						newest = maxTime(newest, r.At)
					}
				}
				seen = newest
			}
			load, _ := os.ReadFile("/proc/loadavg")
			t.Logf("watch +%s load %s: done %v; events %v", time.Since(start).Round(time.Second), strings.TrimSpace(string(load)), steps, events)
			mark, _ := moveProgress(p)
			if mark == last && st.FinishedAt.IsZero() {
				buf := make([]byte, 4<<20)
				buf = buf[:runtime.Stack(buf, true)]
				for _, g := range strings.Split(string(buf), "\n\n") {
					if strings.Contains(g, "onboarding.(*Machine)") {
						t.Logf("watch: no progress in 30 s; a migration goroutine (of any test of this process):\n%s", g)
					}
				}
			}
			last = mark
		}
	}()
	return func() { close(quit); <-done }
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// moveStop is how the writer of writeUntilMoved stopped: the first answer
// that was neither a 201 nor a frozen write's 503.
type moveStop struct {
	status int
	body   map[string]any
}

// writeUntilMoved creates issues at p as tok until p sends the tenant
// elsewhere, appending each acknowledged one (201) to acked; a frozen
// write (503 tenant_migrating) is retried. It writes as long as the move
// makes progress (moveProgress), not for a fixed time: under load (another
// test process's migrations on the same DynamoDB Local) a correct move took
// more than the 4 minutes the writer once had, every write of its
// catch-up waiting its turn in DynamoDB Local (docs/performance.md,
// "Cell moves under another process's load"). It stops when the move
// fails or shows no progress for moveStall.
//
// The writer ends with the test (before the platforms stop): a test that
// fails before the move ends must not leave it calling a stopped platform,
// which failed a finished test and panicked the package's binary.
func writeUntilMoved(p *platform, tok string, mu *sync.Mutex, acked *[]string) <-chan moveStop {
	stopped := make(chan moveStop, 1)
	quit, done := make(chan struct{}), make(chan struct{})
	p.t.Cleanup(func() { close(quit); <-done })
	go func() {
		defer close(done)
		mark, since, checked := "", time.Now(), time.Time{}
		for i := 0; ; {
			select {
			case <-quit:
				stopped <- moveStop{0, map[string]any{"code": "the test ended"}}
				return
			default:
			}
			if time.Since(checked) > 10*time.Second {
				checked = time.Now()
				now, failed := moveProgress(p)
				if failed != "" {
					stopped <- moveStop{0, map[string]any{"code": "the move failed", "detail": failed}}
					return
				}
				if now != mark {
					mark, since = now, time.Now()
				} else if time.Since(since) > moveStall {
					stopped <- moveStop{0, map[string]any{"code": "the move made no progress", "detail": fmt.Sprintf("for %s since %s", moveStall, mark)}}
					return
				}
			}
			status, body := p.call("POST", "/v1/issues", tok, map[string]string{"title": fmt.Sprintf("during the move %d", i), "type": "task"})
			switch {
			case status == 201:
				mu.Lock()
				*acked = append(*acked, body["id"].(string))
				mu.Unlock()
				i++
			case status == 503:
				// Not acknowledged, tried again as a client does: the
				// freeze (tenant_migrating), or a write that outlasted
				// keylog.Bound on a loaded machine while the tenant
				// migrates (service_unavailable).
				time.Sleep(100 * time.Millisecond)
			case status == 504:
				// Not acknowledged (the gateway's 29 s integration timeout, an
				// overloaded dependency: a request under load); tried again.
				// It may have landed: only acknowledged writes are checked.
				time.Sleep(time.Second)
			default:
				stopped <- moveStop{status, body}
				return
			}
		}
	}()
	return stopped
}

// awaitMove waits until cond holds, as long as p's move of umbrella makes
// progress (moveProgress): a run that fails, or shows no progress for
// moveStall, fails the test with where it stood.
func awaitMove(t *testing.T, p *platform, what string, cond func() bool) {
	t.Helper()
	mark, since := "", time.Now()
	for !cond() {
		now, failed := moveProgress(p)
		if failed != "" || time.Since(since) > moveStall {
			logMove(t, p)
			t.Fatalf("%s: the move failed (%s) or made no progress for %s since %s", what, failed, moveStall, mark)
		}
		if now != mark {
			mark, since = now, time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// moveStall is how long a move test's writer waits for a move that shows
// no progress: no step done and no audit record of the tenant (each
// catch-up round, wave and step retry has one). The longest silence seen
// under load: a wave of 90 barriers, 88 s (every attempt of its batch
// writes timed out at 10 s and was sent again).
const moveStall = 5 * time.Minute

// moveProgress is where p's move of umbrella stands, as a mark that
// changes whenever it progresses (the steps done, the newest audit record
// of the tenant), and why it failed (empty while it has not).
func moveProgress(p *platform) (mark, failed string) {
	ctx := context.Background()
	st, err := p.s.Lifecycle.States.Get(ctx, "umbrella")
	if err != nil {
		return "", ""
	}
	if st.FailedStep != "" {
		return "", fmt.Sprintf("%s: %s", st.FailedStep, st.Error)
	}
	mark = fmt.Sprintf("%d steps done", len(st.Done))
	if page, err := p.s.Lifecycle.Audit.List(ctx, "umbrella", list.Request{Limit: 1}); err == nil && len(page.Items) > 0 {
		r := page.Items[0]
		mark += fmt.Sprintf(", %s at %s", r.Action, r.At.Format("15:04:05.000"))
	}
	return mark, ""
}

// createIssues creates n issues at p as tok before a move and returns their ids.
func createIssues(t *testing.T, p *platform, tok string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		status, iss := p.call("POST", "/v1/issues", tok, map[string]string{"title": fmt.Sprintf("before the move %d", i), "type": "task"})
		require.Equal(t, 201, status, "%v", iss)
		ids = append(ids, iss["id"].(string))
	}
	return ids
}

// switched waits until p's move of umbrella has recorded its switch (the
// directory switch is inside the step, which then records itself) and
// returns its state and the writes acknowledged by then.
func switched(t *testing.T, p *platform, mu *sync.Mutex, acked []string) (onboarding.State, []string) {
	t.Helper()
	var st onboarding.State
	require.Eventually(t, func() bool {
		var err error
		st, err = p.s.Lifecycle.States.Get(context.Background(), "umbrella")
		return err == nil && st.IsDone(onboarding.StepSwitch)
	}, eventually.Deadline, 50*time.Millisecond, "the switch recorded")
	mu.Lock()
	defer mu.Unlock()
	return st, append([]string(nil), acked...)
}

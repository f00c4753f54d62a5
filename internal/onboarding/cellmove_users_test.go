package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cipt "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

const movePassword = "Moving-Pass-42!"

// cellUsers are real pools (cognito-local) for a twoCellWorld: cell-1's
// shared pool one and cell-2's two, wired as the machine's users, people
// directory, data and mail; domain makes this run's addresses unique.
type cellUsers struct {
	pools    cognito.Pools
	one, two string
	dir      peopledb.UserDB
	domain   string
}

func (w *cellWorld) withPools(t *testing.T) *cellUsers {
	t.Helper()
	ctx := context.Background()
	prefix := testenv.UniquePrefix(t)
	u := &cellUsers{pools: cognito.Pools{C: testenv.Cognito(t)}, dir: peopledb.UserDB{DB: w.store.DB}, domain: prefix + ".test"}
	var err error
	u.one, err = cognitotest.EnsurePool(ctx, u.pools.C, prefix+"-cell-1")
	require.NoError(t, err)
	u.two, err = cognitotest.EnsurePool(ctx, u.pools.C, prefix+"-cell-2")
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, p := range []string{u.one, u.two} {
			_ = u.pools.DeletePool(context.Background(), p)
		}
	})
	m := w.svc.Machine
	m.Users, m.Directory, m.Data = u.pools, u.dir, tenantdata.Store{DB: w.store.DB}
	m.Mail, m.WebBaseURL = testenv.MailSender(t), "http://web.test"
	m.Pooled = onboarding.Pooled{Table: w.from, UserPoolID: u.one}
	m.CellPool.ID = u.one
	two, ok := m.Cells.Get("cell-2")
	require.True(t, ok)
	two.Pooled, two.UserPoolID = onboarding.Pooled{Table: w.to, UserPoolID: u.two}, u.two
	m.Cells.Add(two)
	acme, err := w.here.Get(ctx, "acme")
	require.NoError(t, err)
	acme.UserPoolID = u.one
	_, err = w.here.Put(ctx, acme)
	require.NoError(t, err)
	// Each run waits in retire_old_home until the test moves the clock.
	m.Migration.Grace = time.Hour
	return u
}

// person puts name@domain in tenant's directory in table (status) and,
// for each pool given, an account of that tenant there.
func (u *cellUsers) person(t *testing.T, tenantID, table, name string, role roles.Role, status people.UserStatus, pools ...string) string {
	t.Helper()
	ctx := context.Background()
	email := name + "@" + u.domain
	now := time.Now().UTC()
	require.NoError(t, u.dir.Put(tenancy.WithTenant(ctx, tenantID), tenancy.Scope{Table: table, TenantID: tenantID}, people.User{ID: name + "-id",
		TenantID: tenantID, Username: email, Email: email, Role: role, Status: status, CreatedAt: now, UpdatedAt: now, Version: 1}))
	for _, p := range pools {
		u.account(t, p, tenantID, email, role)
	}
	return email
}

// account creates email's account of tenantID in pool, signed in once
// (confirmed, as the user-migration trigger leaves a moved user).
func (u *cellUsers) account(t *testing.T, pool, tenantID, email string, role roles.Role) {
	t.Helper()
	_, err := u.pools.EnsureUser(context.Background(), pool, cognito.UserSpec{Email: email, Password: movePassword, TenantID: tenantID, Role: string(role)})
	require.NoError(t, err)
}

// in is email's account in pool: its status and tenant; found false if none.
func (u *cellUsers) in(t *testing.T, pool, email string) (status cipt.UserStatusType, tenantID, role string, found bool) {
	t.Helper()
	out, err := u.pools.C.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(email)})
	var nf *cipt.UserNotFoundException
	if errors.As(err, &nf) {
		return "", "", "", false
	}
	require.NoError(t, err)
	for _, a := range out.UserAttributes {
		switch aws.ToString(a.Name) {
		case "custom:" + cognito.AttrTenant:
			tenantID = aws.ToString(a.Value)
		case "custom:" + cognito.AttrRole:
			role = aws.ToString(a.Value)
		}
	}
	return out.UserStatus, tenantID, role, true
}

// retireNow runs the lifecycle's maintenance as if the grace period were
// over and checks that tenantID's run finished.
func (w *cellWorld) retireNow(t *testing.T, tenantID string) onboarding.State {
	t.Helper()
	ctx := context.Background()
	w.svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	started, err := w.svc.RetireExpired(ctx)
	w.svc.Now = nil
	require.NoError(t, err)
	require.Contains(t, started, tenantID)
	st, err := w.svc.States.Get(ctx, tenantID)
	require.NoError(t, err)
	require.Empty(t, st.FailedStep, "%s", st.Error)
	require.False(t, st.FinishedAt.IsZero(), "retired: %+v", st)
	return st
}

// audited is the detail of tenantID's last audit record of action.
func (w *cellWorld) audited(t *testing.T, tenantID, action string) map[string]string {
	t.Helper()
	page, err := w.svc.Audit.List(context.Background(), tenantID, list.Request{Limit: 100})
	require.NoError(t, err)
	for _, r := range page.Items {
		if r.Action == action {
			return r.Detail
		}
	}
	return nil
}

// A pooled tenant's move between the cells' shared pools. During the grace
// period each user moves on first sign-in (here: owner, as the trigger
// would). When it ends, the users who never signed in at cell-2 are
// invited into cell-2's pool with their role (before the fix nothing
// brought them there: the trigger's source, cell-1's pool, is named by the
// target record only until its next tier change); a disabled user is not;
// an address cell-2's pool holds for another tenant is left alone; and
// cell-1's pool keeps no account of the tenant (before: every one, moved
// or not, stale for a move back and blocking its email for cell-1's other
// tenants), while another tenant's account there stays.
func TestAPooledMovesUnmovedUsersAreInvitedAndItsOldCellKeepsNoAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	u := w.withPools(t)
	owner := u.person(t, "acme", w.from, "owner", roles.SuperAdmin, people.UserActive, u.one)
	ursula := u.person(t, "acme", w.from, "ursula", roles.Admin, people.UserActive, u.one)
	dora := u.person(t, "acme", w.from, "dora", roles.User, people.UserDisabled, u.one)
	clash := u.person(t, "acme", w.from, "clash", roles.User, people.UserActive, u.one)
	u.account(t, u.two, "initech", clash, roles.User) // cell-2's initech holds that address
	gina := "gina@" + u.domain
	u.account(t, u.one, "globex", gina, roles.User) // cell-1's other tenant
	box := testenv.NewMailbox(t, ursula)

	_, err := w.svc.MoveCell(ctx, "acme", "cell-2", root)
	require.NoError(t, err)
	st, err := w.svc.States.Get(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepRetire, st.Waiting, "switched, the old home kept: %+v", st)
	dst, err := w.there.Get(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, u.two, dst.UserPoolID)
	require.Equal(t, u.one, dst.FormerPool.ID, "during the grace period the trigger moves users from cell-1's pool")
	_, _, _, found := u.in(t, u.two, ursula)
	require.False(t, found, "not invited during the grace period")
	u.account(t, u.two, "acme", owner, roles.SuperAdmin) // the owner signs in at cell-2: the trigger moves them

	w.retireNow(t, "acme")
	status, tenantID, role, found := u.in(t, u.two, ursula)
	require.True(t, found, "ursula, who never signed in at cell-2, is invited there")
	assert.Equal(t, cipt.UserStatusTypeForceChangePassword, status, "a temporary password, a new one at first sign-in")
	assert.Equal(t, "acme", tenantID)
	assert.Equal(t, string(roles.Admin), role)
	msg := box.Next(mail.InvitationSubject("Acme"))
	assert.NotEmpty(t, msg.TemporaryPassword(), "the invitation mail")
	status, _, _, _ = u.in(t, u.two, owner)
	assert.Equal(t, cipt.UserStatusTypeConfirmed, status, "the owner moved with their password and is not invited")
	_, _, _, found = u.in(t, u.two, dora)
	assert.False(t, found, "a disabled user is not invited")
	_, tenantID, _, _ = u.in(t, u.two, clash)
	assert.Equal(t, "initech", tenantID, "another tenant's address is left alone")
	for _, e := range []string{owner, ursula, dora, clash} {
		_, _, _, found := u.in(t, u.one, e)
		assert.False(t, found, "cell-1's pool keeps no account of acme: %s", e)
	}
	_, tenantID, _, found = u.in(t, u.one, gina)
	assert.True(t, found && tenantID == "globex", "cell-1's other tenant's account stays")
	assert.Equal(t, map[string]string{"pool": u.two, "invited": "1", "other_tenant": "1"}, w.audited(t, "acme", "migration.users_invited"))
	assert.Equal(t, map[string]string{"pool": u.one, "users": "4"}, w.audited(t, "acme", "migration.stale_users_deleted"))
	assert.Zero(t, w.items(t, w.from), "and the old home is retired")
}

// A Platinum tenant's move: its old stack, and with it its pool, is
// destroyed when the grace period ends. The users who never signed in at
// cell-2 (ivan, in the old stack's pool) are invited into the pool of the
// tenant's stack in cell-2 first; before the fix nothing did, and once the
// old pool was gone they could not sign in at all. una, who never signed
// in since the tenant's upgrade and is still in cell-1's shared pool, is
// out of the reach of cell-2's trigger (it reads the old stack's pool):
// she is invited at the switch and signs in at cell-2 during the grace
// period (before left9 she was invited only when it ended, and could not
// sign in until then). ida, who moved, is left as she is; cell-1's shared
// pool keeps no account of the tenant.
func TestAPlatinumMovesUnmovedUsersAreInvitedIntoItsNewStacksPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	u := w.withPools(t)
	_, src := testenv.Tables(t)
	_, dst := testenv.Tables(t)
	prefix := testenv.UniquePrefix(t)
	oldPool, err := cognitotest.EnsurePool(ctx, u.pools.C, prefix+"-initech-1")
	require.NoError(t, err)
	newPool, err := cognitotest.EnsurePool(ctx, u.pools.C, prefix+"-initech-2")
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, p := range []string{oldPool, newPool} {
			_ = u.pools.DeletePool(context.Background(), p)
		}
	})
	w.svc.Machine.Platinum = onboarding.Platinum{Stacks: &targetStack{deployed: true}, IssuerBase: "https://idp.test"}
	stack := &targetStack{deployed: true, outputs: map[string]string{"TableName": dst.App(), "UserPoolId": newPool, "UserPoolClientId": "initech-2"}}
	w.platinumInitech(t, src.App(), stack, nil)
	initech, err := w.here.Get(ctx, "initech")
	require.NoError(t, err)
	initech.UserPoolID, initech.Issuer = oldPool, "https://idp.test/"+oldPool
	_, err = w.here.Put(ctx, initech)
	require.NoError(t, err)
	ida := u.person(t, "initech", src.App(), "ida", roles.Admin, people.UserActive, oldPool)
	ivan := u.person(t, "initech", src.App(), "ivan", roles.User, people.UserActive, oldPool)
	una := u.person(t, "initech", src.App(), "una", roles.User, people.UserActive, u.one)
	box, unaBox := testenv.NewMailbox(t, ivan), testenv.NewMailbox(t, una)

	_, err = w.svc.MoveCell(ctx, "initech", "cell-2", root)
	require.NoError(t, err)
	st, err := w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepRetire, st.Waiting, "switched, the old stack kept: %+v", st)
	moved, err := w.there.Get(ctx, "initech")
	require.NoError(t, err)
	require.Equal(t, newPool, moved.UserPoolID)
	u.account(t, newPool, "initech", ida, roles.Admin) // ida signs in at cell-2: the trigger moves her
	// una, at the switch: invited into the new stack's pool, she signs in
	// there with the mailed password, the grace period not over.
	status, tenantID, role, found := u.in(t, newPool, una)
	require.True(t, found, "una, whom cell-2's trigger cannot reach, is invited at the switch")
	assert.Equal(t, cipt.UserStatusTypeForceChangePassword, status)
	assert.Equal(t, "initech", tenantID)
	assert.Equal(t, string(roles.User), role)
	client, err := cognitotest.EnsureClient(ctx, u.pools.C, newPool, "web")
	require.NoError(t, err)
	pw := unaBox.Next(mail.InvitationSubject("Initech")).TemporaryPassword()
	require.NotEmpty(t, pw)
	_, err = u.pools.Authenticate(ctx, client, una, pw, cognito.Answers{NewPassword: func() (string, error) { return movePassword, nil }})
	require.NoError(t, err, "una signs in at cell-2 before the grace period ends")
	_, _, _, found = u.in(t, newPool, ivan)
	assert.False(t, found, "ivan, whom the trigger moves from the old stack's pool, is not invited during the grace period")
	assert.Equal(t, map[string]string{"pool": newPool, "invited": "1", "other_tenant": "0"}, w.audited(t, "initech", "migration.users_invited"))
	st, err = w.svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepRetire, st.Waiting, "still in its grace period")

	w.retireNow(t, "initech")
	status, tenantID, role, found = u.in(t, newPool, ivan)
	require.True(t, found, "ivan, who never signed in at cell-2, is invited into its stack's pool")
	assert.Equal(t, cipt.UserStatusTypeForceChangePassword, status)
	assert.Equal(t, "initech", tenantID)
	assert.Equal(t, string(roles.User), role)
	assert.NotEmpty(t, box.Next(mail.InvitationSubject("Initech")).TemporaryPassword())
	status, _, _, _ = u.in(t, newPool, ida)
	assert.Equal(t, cipt.UserStatusTypeConfirmed, status, "ida moved with her password and is not invited")
	status, _, _, _ = u.in(t, newPool, una)
	assert.Equal(t, cipt.UserStatusTypeConfirmed, status, "una signed in and is not invited again")
	unaBox.None()
	_, _, _, found = u.in(t, u.one, una)
	assert.False(t, found, "cell-1's shared pool keeps no account of initech")
	assert.Equal(t, map[string]string{"pool": newPool, "invited": "1", "other_tenant": "0"}, w.audited(t, "initech", "migration.users_invited"))
}

// failMailTo fails the next failures mails to one address (the invitation
// whose account is created, its mail lost), then lets every mail through.
type failMailTo struct {
	mail.Sender
	to       string
	failures int
	sent     map[string]int // mails that went out, by recipient
}

func (s *failMailTo) Send(ctx context.Context, m mail.Message) error {
	if m.To == s.to && s.failures > 0 {
		s.failures--
		return errInjected
	}
	if err := s.Sender.Send(ctx, m); err != nil {
		return err
	}
	s.sent[m.To]++
	return nil
}

// An invitation whose account was created but whose mail was lost is sent
// again when the step is retried, exactly once, with a temporary password
// that signs the user in; a user whose invitation went out on the failed
// attempt gets no second one (a new temporary password would void the
// first). Before, the retry found victor's account, took him for moved
// or invited, and he never got an invitation at all.
func TestARetiredMovesLostInvitationIsResentOnRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	u := w.withPools(t)
	client, err := cognitotest.EnsureClient(ctx, u.pools.C, u.two, "web")
	require.NoError(t, err)
	ursula := u.person(t, "acme", w.from, "ursula", roles.Admin, people.UserActive, u.one)
	victor := u.person(t, "acme", w.from, "victor", roles.User, people.UserActive, u.one)
	lossy := &failMailTo{Sender: w.svc.Machine.Mail, to: victor, failures: 1, sent: map[string]int{}}
	w.svc.Machine.Mail = lossy
	ursulaBox, victorBox := testenv.NewMailbox(t, ursula), testenv.NewMailbox(t, victor)

	_, err = w.svc.MoveCell(ctx, "acme", "cell-2", root)
	require.NoError(t, err)
	w.svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // the grace period is over
	started, err := w.svc.RetireExpired(ctx)
	require.NoError(t, err)
	require.Contains(t, started, "acme")
	st, err := w.svc.States.Get(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepRetire, st.FailedStep, "victor's mail failed: %+v", st)
	status, _, _, found := u.in(t, u.two, victor)
	require.True(t, found, "victor's account was created before his mail failed")
	require.Equal(t, cipt.UserStatusTypeForceChangePassword, status)
	assert.Equal(t, []string{victor}, st.Migration.Unmailed, "recorded with the failed step")
	assert.NotEmpty(t, ursulaBox.Next(mail.InvitationSubject("Acme")).TemporaryPassword(), "ursula's invitation went out")

	st, err = w.svc.Retry(ctx, "acme", root)
	w.svc.Now = nil
	require.NoError(t, err)
	require.Empty(t, st.FailedStep, "%s", st.Error)
	require.False(t, st.FinishedAt.IsZero(), "retired: %+v", st)
	msg := victorBox.Next(mail.InvitationSubject("Acme"))
	pw := msg.TemporaryPassword()
	require.NotEmpty(t, pw, "victor's invitation is sent on the retry")
	_, err = u.pools.Authenticate(ctx, client, victor, pw, cognito.Answers{NewPassword: func() (string, error) { return movePassword, nil }})
	require.NoError(t, err, "the mailed temporary password is the account's")
	assert.Equal(t, map[string]int{ursula: 1, victor: 1}, lossy.sent, "one invitation each: victor's once, ursula's not again")
	ursulaBox.None()
	victorBox.None()
	assert.Equal(t, map[string]string{"pool": u.two, "invited": "1", "other_tenant": "0"}, w.audited(t, "acme", "migration.users_invited"),
		"the retry's audit: victor's invitation")
	st, err = w.svc.States.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Empty(t, st.Migration.Unmailed, "nothing left to mail")
}

package onboarding_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/list"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var public = audit.Actor{Kind: audit.ActorPublic}

func code(err error) string { return errs.As(err).Code }

// Issue 9 item 1: nothing is provisioned before the registrant proves they
// own the admin email, and the code resists guessing.
func TestNothingIsProvisionedBeforeTheAdminEmailIsVerified(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	email := "owner-unverified@" + f.domain
	right := f.register(t, "unverified", email, "basic")

	assertNothingProvisioned := func(t *testing.T) {
		t.Helper()
		tn, err := f.reg.Get(ctx, "unverified")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusPendingVerification, tn.Status)
		assert.Empty(t, tn.APIKey)
		_, found, err := f.pools.TenantOf(ctx, f.pool, email)
		require.NoError(t, err)
		assert.False(t, found, "no Cognito user exists for the admin email")
	}
	t.Run("the registration waits, with nothing created", assertNothingProvisioned)
	t.Run("running or retrying the machine is refused", func(t *testing.T) {
		_, err := f.svc.Run(ctx, "unverified")
		assert.Equal(t, "registration_not_admitted", code(err))
		_, err = f.svc.Retry(ctx, "unverified", audit.Actor{Kind: audit.ActorRoot})
		assert.Equal(t, "registration_not_admitted", code(err))
		assertNothingProvisioned(t)
	})
	wrong := "000000"
	if right == wrong {
		wrong = "000001"
	}
	t.Run("a wrong code is invalid_code, and malformed codes count too", func(t *testing.T) {
		for _, c := range []string{wrong, "12345", "abcdef"} {
			_, err := f.svc.Verify(ctx, "unverified", c, public)
			assert.Equal(t, "invalid_code", code(err), c)
		}
		assertNothingProvisioned(t)
	})
	t.Run("five entries lock the code, even the right one after that", func(t *testing.T) {
		for range 2 {
			_, err := f.svc.Verify(ctx, "unverified", wrong, public)
			assert.Equal(t, "invalid_code", code(err))
		}
		_, err := f.svc.Verify(ctx, "unverified", right, public)
		assert.Equal(t, "verification_locked", code(err))
		assert.Equal(t, errs.KindConflict, errs.As(err).Kind)
		assertNothingProvisioned(t)
	})
	box := testenv.NewMailbox(t, email)
	t.Run("a new code unlocks; the old one no longer works", func(t *testing.T) {
		_, v, err := f.svc.ResendVerification(ctx, "unverified", public)
		require.NoError(t, err)
		assert.Equal(t, 2, v.Sends)
		fresh := box.Next(mail.SubjectVerification).VerificationCode()
		if fresh != right {
			_, err = f.svc.Verify(ctx, "unverified", right, public)
			assert.Equal(t, "invalid_code", code(err))
		}
		right = fresh
	})
	t.Run("an expired code is code_expired", func(t *testing.T) {
		f.svc.Now = func() time.Time { return time.Now().Add(onboarding.CodeTTL + time.Second) }
		defer func() { f.svc.Now = nil }()
		_, err := f.svc.Verify(ctx, "unverified", right, public)
		assert.Equal(t, "code_expired", code(err))
	})
	t.Run("the right code provisions Basic at once and mails the invitation", func(t *testing.T) {
		invitations := testenv.NewMailbox(t, email)
		tn, err := f.svc.Verify(ctx, "unverified", right, public)
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, tn.Status)
		msg := invitations.Next("You're invited to Company unverified on IssueTracker")
		assert.Contains(t, msg.Text, "http://web.test/w/unverified/signin")
		tok, err := cognitotest.SignIn(ctx, f.pools.C, f.client, email, msg.TemporaryPassword(), "Chosen-Passw0rd!", nil)
		require.NoError(t, err, "the mailed temporary password signs in and is replaced")
		assert.NotEmpty(t, tok.IDToken)
	})
	t.Run("verifying again changes nothing and sends nothing; only the right code answers the registration", func(t *testing.T) {
		box := testenv.NewMailbox(t, email)
		wrong := "123456"
		if right == wrong {
			wrong = "123457"
		}
		tn, err := f.svc.Verify(ctx, "unverified", wrong, public)
		assert.Equal(t, "invalid_code", code(err), "a wrong code learns nothing of a verified registration")
		assert.Empty(t, tn.Status)
		tn, err = f.svc.Verify(ctx, "unverified", right, public)
		require.NoError(t, err, "a retry with the right code")
		assert.Equal(t, tenant.StatusActive, tn.Status)
		_, _, err = f.svc.ResendVerification(ctx, "unverified", public)
		assert.Equal(t, "registration_verified", code(err))
		box.None()
	})
}

// Paid tiers are not activated by an anonymous form: after verification
// they wait for Root's approval (billing adds payment later).
func TestPaidTiersWaitForRootApproval(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	email := "owner-paid@" + f.domain
	c := f.register(t, "paidco", email, "standard")
	invitations := testenv.NewMailbox(t, email)
	tn, err := f.svc.Verify(ctx, "paidco", c, public)
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusPendingApproval, tn.Status)
	_, found, err := f.pools.TenantOf(ctx, f.pool, email)
	require.NoError(t, err)
	assert.False(t, found, "nothing is provisioned before the approval")
	_, err = f.svc.Run(ctx, "paidco")
	assert.Equal(t, "registration_not_admitted", code(err))

	pending, err := f.reg.ListByStatus(ctx, tenant.StatusPendingApproval, list.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, pending.Items, 1)
	assert.Equal(t, "paidco", pending.Items[0].ID)

	root := audit.Actor{Kind: audit.ActorRoot, ID: "root-1"}
	tn, err = f.svc.Approve(ctx, "paidco", root)
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, tn.Status)
	st, err := f.svc.States.Get(ctx, "paidco")
	require.NoError(t, err)
	assert.Equal(t, "root-1", st.ApprovedBy)
	assert.False(t, st.VerifiedAt.IsZero())
	assert.NotEmpty(t, invitations.Next("You're invited to").TemporaryPassword())

	_, err = f.svc.Approve(ctx, "paidco", root)
	assert.Equal(t, "tenant_not_pending_approval", code(err))
}

func userAttrs(t *testing.T, f *fixture, email string) map[string]string {
	got, err := f.pools.C.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(email)})
	require.NoError(t, err)
	m := map[string]string{"status": string(got.UserStatus)}
	for _, a := range got.UserAttributes {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

// Issue 9 item 1, the defect itself: registering a company with the admin
// email of another tenant's user never reuses, changes or deletes that user,
// at verification, in onboarding (defence in depth) or in offboarding.
func TestARegistrationCannotTakeOverAnotherTenantsUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	victim := "victim@" + f.domain
	_, err := f.pools.EnsureUser(ctx, f.pool, cognito.UserSpec{Email: victim, Password: "Victim-Passw0rd!",
		TenantID: "victimco", Role: "super_admin", Tier: "basic"})
	require.NoError(t, err)
	before := userAttrs(t, f, victim)
	untouched := func(t *testing.T) {
		t.Helper()
		assert.Equal(t, before, userAttrs(t, f, victim), "the other tenant's user is unchanged")
		_, err := cognitotest.PasswordLogin(ctx, f.pools.C, f.client, victim, "Victim-Passw0rd!")
		assert.NoError(t, err, "and still signs in with their password")
	}

	t.Run("the verified owner learns the address is in use; the registration fails", func(t *testing.T) {
		c := f.register(t, "takeover", victim, "basic")
		invitations := testenv.NewMailbox(t, victim)
		_, err := f.svc.Verify(ctx, "takeover", c, public)
		assert.Equal(t, "admin_email_in_use", code(err))
		assert.Equal(t, errs.KindConflict, errs.As(err).Kind)
		tn, err := f.reg.Get(ctx, "takeover")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusFailed, tn.Status)
		assert.Contains(t, tn.StatusReason, "admin_email_in_use")
		untouched(t)
		invitations.None()
	})
	t.Run("onboarding refuses it too when verification is bypassed (Root's retry)", func(t *testing.T) {
		_, err := f.svc.Retry(ctx, "takeover", audit.Actor{Kind: audit.ActorRoot})
		require.NoError(t, err)
		tn, err := f.reg.Get(ctx, "takeover")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusFailed, tn.Status)
		st, err := f.svc.States.Get(ctx, "takeover")
		require.NoError(t, err)
		assert.Equal(t, onboarding.StepAdminUser, st.FailedStep)
		assert.Contains(t, st.Error, "another tenant")
		assert.Empty(t, tn.APIKey)
		untouched(t)
	})
	t.Run("offboarding the failed tenant deletes no identity it did not create", func(t *testing.T) {
		_, err := f.svc.Offboard(ctx, "takeover", "takeover", audit.Actor{Kind: audit.ActorRoot})
		require.NoError(t, err)
		tn, err := f.reg.Get(ctx, "takeover")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusDeleted, tn.Status)
		untouched(t)
	})
	t.Run("a pending registration with the victim's email offboarded by Root leaves the victim", func(t *testing.T) {
		f.register(t, "squatter", victim, "premium")
		_, err := f.svc.Offboard(ctx, "squatter", "squatter", audit.Actor{Kind: audit.ActorRoot})
		require.NoError(t, err)
		tn, err := f.reg.Get(ctx, "squatter")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusDeleted, tn.Status)
		untouched(t)
	})
	t.Run("the tenant's own users are deleted at offboarding", func(t *testing.T) {
		email := "own@" + f.domain
		c := f.register(t, "ownco", email, "basic")
		_, err := f.svc.Verify(ctx, "ownco", c, public)
		require.NoError(t, err)
		_, found, _ := f.pools.TenantOf(ctx, f.pool, email)
		require.True(t, found)
		_, err = f.svc.Offboard(ctx, "ownco", "ownco", audit.Actor{Kind: audit.ActorRoot})
		require.NoError(t, err)
		_, found, err = f.pools.TenantOf(ctx, f.pool, email)
		require.NoError(t, err)
		assert.False(t, found)
		untouched(t)
	})
}

func TestVerificationCodesAreStoredHashed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The expiry is the service's "now" plus 15 minutes: bracketed by the
	// clock read before and after the sign-up, not "within 5 s of the
	// test's now", which a loaded machine's sign-up (mail included) outlasts.
	before := time.Now()
	c := f.register(t, "hashed", "owner-hashed@"+f.domain, "basic")
	after := time.Now()
	v, err := f.svc.Verifications.Get(context.Background(), "hashed")
	require.NoError(t, err)
	assert.NotContains(t, v.CodeHash+v.Salt, c)
	assert.Len(t, v.CodeHash, 64)
	assert.WithinRange(t, v.ExpiresAt, before.Add(15*time.Minute).Truncate(time.Second), after.Add(15*time.Minute), "valid 15 minutes from the sign-up")
	assert.False(t, strings.Contains(v.CodeHash, c))
}

// An unverified registration holds its slug for UnverifiedTTL only; a
// verified one (or a tenant) holds it for good.
func TestAnUnverifiedRegistrationGivesItsSlugBackAfterADay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.register(t, "squat", "nobody-reads@"+f.domain, "basic")
	again := onboarding.Registration{CompanyName: "Real Co", Slug: "squat", AdminEmail: "real@" + f.domain, Tier: "basic"}
	_, _, err := f.svc.Register(ctx, again, public)
	assert.Equal(t, "slug_taken", code(err), "within the day the slug is held")

	f.svc.Now = func() time.Time { return time.Now().Add(onboarding.UnverifiedTTL + time.Minute) }
	defer func() { f.svc.Now = nil }()
	box := testenv.NewMailbox(t, "real@"+f.domain)
	tn, _, err := f.svc.Register(ctx, again, public)
	require.NoError(t, err, "a day later a new registration takes it over")
	assert.Equal(t, "Real Co", tn.Name)
	st, err := f.svc.States.Get(ctx, "squat")
	require.NoError(t, err)
	assert.Equal(t, "real@"+f.domain, st.AdminEmail)
	f.svc.Now = nil
	got, err := f.svc.Verify(ctx, "squat", box.Next(mail.SubjectVerification).VerificationCode(), public)
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, got.Status)

	c := f.register(t, "held", "owner-held@"+f.domain, "premium")
	_, err = f.svc.Verify(ctx, "held", c, public)
	require.NoError(t, err)
	f.svc.Now = func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
	_, _, err = f.svc.Register(ctx, onboarding.Registration{CompanyName: "Late", Slug: "held", AdminEmail: "late@" + f.domain, Tier: "basic"}, public)
	assert.Equal(t, "slug_taken", code(err), "a verified registration is never taken over")
}

// A verification mail that cannot be sent (the mail service is down) is a
// 503 the registrant may retry, not a 500.
func TestAResendWhenMailIsDownIsA503(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.register(t, "maildown", "owner-maildown@"+f.domain, "basic")
	f.tr["mail"].armed = true
	_, _, err := f.svc.ResendVerification(context.Background(), "maildown", audit.Actor{Kind: audit.ActorPublic})
	require.Error(t, err)
	e := httpapi.Classify(err)
	assert.Equal(t, errs.KindUnavailable, e.Kind)
	assert.Equal(t, "mail_unavailable", e.Code)
	assert.Equal(t, 503, httpapi.Status(e.Kind))
}

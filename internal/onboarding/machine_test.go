package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/onboardingdb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errInjected = errors.New("injected failure")

// trap fails the first call to arm'ed operations, then lets every call through.
type trap struct {
	armed bool
	calls map[string]int
}

func (tr *trap) hit(op string) error {
	tr.calls[op]++
	if tr.armed {
		tr.armed = false
		return errInjected
	}
	return nil
}

type provisioner struct {
	onboarding.Provisioner
	tr *trap
}

func (p provisioner) Provision(ctx context.Context, t tenant.Tenant) (onboarding.Placement, error) {
	if err := p.tr.hit("provision"); err != nil {
		return onboarding.Placement{}, err
	}
	return p.Provisioner.Provision(ctx, t)
}

type users struct {
	onboarding.Users
	tr *trap
}

func (u users) EnsureUser(ctx context.Context, pool string, s cognito.UserSpec) (string, error) {
	if err := u.tr.hit("ensure_user"); err != nil {
		return "", err
	}
	return u.Users.EnsureUser(ctx, pool, s)
}

type directory struct {
	people.Directory
	tr *trap
}

func (d directory) Put(ctx context.Context, sc tenancy.Scope, u people.User) error {
	if err := d.tr.hit("directory_put"); err != nil {
		return err
	}
	return d.Directory.Put(ctx, sc, u)
}

type keys struct {
	onboarding.APIKeys
	tr *trap
}

func (k keys) Create(ctx context.Context, id string, tier tiers.Name) (string, string, error) {
	if err := k.tr.hit("create_key"); err != nil {
		return "", "", err
	}
	return k.APIKeys.Create(ctx, id, tier)
}

// registry fails the tenant write that activates it.
type registry struct {
	tenant.Registry
	tr *trap
}

func (r registry) Put(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	if t.Status == tenant.StatusActive {
		if err := r.tr.hit("activate"); err != nil {
			return tenant.Tenant{}, err
		}
	}
	return r.Registry.Put(ctx, t)
}

// sender fails the armed mail (the invitation) once.
type sender struct {
	mail.Sender
	tr *trap
}

func (s sender) Send(ctx context.Context, m mail.Message) error {
	if err := s.tr.hit("send"); err != nil {
		return err
	}
	return s.Sender.Send(ctx, m)
}

type fixture struct {
	svc    *onboarding.Service
	reg    *tenantdb.Store
	dir    peopledb.UserDB
	pools  cognito.Pools
	pool   string
	client string
	table  string
	domain string // of this run's e-mail addresses
	tr     map[string]*trap
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	pools := cognito.Pools{C: testenv.Cognito(t)}
	pool, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, pools.C, pool, "web")
	require.NoError(t, err)
	f := &fixture{reg: tenantdb.New(db, names), dir: peopledb.UserDB{DB: db}, pools: pools, pool: pool, client: client,
		table: names.App(), domain: names.Prefix + ".test", tr: map[string]*trap{}}
	for _, k := range []string{"place", "user", "dir", "key", "mail", "activate"} {
		f.tr[k] = &trap{calls: map[string]int{}}
	}
	m := &onboarding.Machine{
		Tenants: registry{f.reg, f.tr["activate"]}, States: onboardingdb.New(db, names), Audit: auditdb.New(db, names),
		Pooled: provisioner{onboarding.Pooled{Table: names.App(), UserPoolID: pool}, f.tr["place"]},
		Users:  users{pools, f.tr["user"]}, Directory: directory{f.dir, f.tr["dir"]},
		Keys: keys{apikeys.Local{}, f.tr["key"]}, Data: tenantdata.Store{DB: db},
		Archive: onboarding.DirArchive{Dir: t.TempDir()},
		Mail:    sender{testenv.MailSender(t), f.tr["mail"]}, WebBaseURL: "http://web.test", SharedPoolID: pool,
	}
	f.svc = &onboarding.Service{Machine: m, Registrar: onboardingdb.New(db, names),
		Verifications: onboardingdb.NewVerifications(db, names), Driver: onboarding.Inline{M: m}}
	return f
}

// register signs a company up and returns the code mailed to its admin.
func (f *fixture) register(t *testing.T, slug, email, tier string) string {
	t.Helper()
	box := testenv.NewMailbox(t, email)
	tn, _, err := f.svc.Register(context.Background(), onboarding.Registration{CompanyName: "Company " + slug, Slug: slug,
		AdminEmail: email, Tier: tier}, audit.Actor{Kind: audit.ActorPublic})
	require.NoError(t, err)
	require.Equal(t, tenant.StatusPendingVerification, tn.Status)
	code := box.Next(mail.SubjectVerification).VerificationCode()
	require.Len(t, code, 6)
	return code
}

func TestOnboardingResumesAfterAFailureAtEachStep(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	root := audit.Actor{Kind: audit.ActorRoot, ID: "root-1"}
	for _, tc := range []struct {
		trap string
		step onboarding.Step
	}{
		{"place", onboarding.StepPlace},
		{"user", onboarding.StepAdminUser},
		{"dir", onboarding.StepAdminUser},
		{"key", onboarding.StepAPIKey},
		{"mail", onboarding.StepInvite},
		{"activate", onboarding.StepActivate},
	} {
		slug := "resume-" + tc.trap
		t.Run("a failure in "+string(tc.step)+" ("+tc.trap+") leaves a failed tenant with the reason, and a retry finishes it", func(t *testing.T) {
			for _, tr := range f.tr {
				tr.calls = map[string]int{}
			}
			email := "boss-" + slug + "@" + f.domain
			code := f.register(t, slug, email, "basic")
			f.tr[tc.trap].armed = true
			_, err := f.svc.Verify(ctx, slug, code, audit.Actor{Kind: audit.ActorPublic})
			require.NoError(t, err, "a failed run is recorded, not returned to the registrant")

			tn, err := f.reg.Get(ctx, slug)
			require.NoError(t, err)
			assert.Equal(t, tenant.StatusFailed, tn.Status)
			assert.Contains(t, tn.StatusReason, string(tc.step))
			assert.Contains(t, tn.StatusReason, "injected failure")
			st, err := f.svc.States.Get(ctx, slug)
			require.NoError(t, err)
			assert.Equal(t, tc.step, st.FailedStep)
			for _, d := range st.Done {
				assert.NotEqual(t, tc.step, d.Step)
			}
			doneBefore := len(st.Done)

			st, err = f.svc.Retry(ctx, slug, root)
			require.NoError(t, err)
			assert.Empty(t, st.FailedStep)
			assert.Len(t, st.Done, 5)
			assert.Equal(t, 2, st.Attempts)
			tn, err = f.reg.Get(ctx, slug)
			require.NoError(t, err)
			assert.Equal(t, tenant.StatusActive, tn.Status)
			assert.Empty(t, tn.StatusReason)
			assert.NotEmpty(t, tn.APIKey)
			u, err := f.dir.Get(ctx, tenancy.Scope{Table: f.table, TenantID: slug}, st.AdminSub)
			require.NoError(t, err)
			assert.Equal(t, email, u.Email)
			// Steps finished before the failure did not run again.
			if doneBefore > 0 {
				assert.Equal(t, 1, f.tr["place"].calls["provision"], "placement ran once")
			}
			if tc.trap == "activate" {
				assert.Equal(t, 1, f.tr["key"].calls["create_key"], "the key was created once")
			}
		})
	}
	t.Run("a retry of a tenant that never ran a lifecycle (the seed's) is a conflict, of no tenant a 404", func(t *testing.T) {
		now := time.Now().UTC()
		require.NoError(t, f.reg.Create(ctx, tenant.Tenant{ID: "seeded-norun", Name: "Seeded", Tier: tiers.Basic,
			Status: tenant.StatusActive, Table: f.table, CreatedAt: now, UpdatedAt: now}))
		_, err := f.svc.Retry(ctx, "seeded-norun", root)
		assert.Equal(t, "lifecycle_not_failed", errs.As(err).Code, "%v", err)
		_, err = f.svc.Retry(ctx, "no-such-tenant", root)
		assert.Equal(t, "tenant_not_found", errs.As(err).Code, "%v", err)
	})
	t.Run("a retry of a finished onboarding is a conflict", func(t *testing.T) {
		_, err := f.svc.Retry(ctx, "resume-place", root)
		assert.Equal(t, "lifecycle_not_failed", errs.As(err).Code)
	})
	t.Run("a second run while one holds the lease is a conflict", func(t *testing.T) {
		st, err := f.svc.States.Get(ctx, "resume-key")
		require.NoError(t, err)
		st.FinishedAt, st.LeaseUntil = time.Time{}, time.Now().Add(time.Minute)
		_, err = f.svc.States.Put(ctx, st)
		require.NoError(t, err)
		_, err = f.svc.Run(ctx, "resume-key")
		assert.Equal(t, "lifecycle_busy", errs.As(err).Code)
	})
}

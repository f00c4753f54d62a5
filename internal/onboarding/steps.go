package onboarding

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// stepFunc runs one step on t (st records what the step learns: the admin's
// sub, the archive). Each step checks what already exists, so running it
// twice is harmless.
type stepFunc func(m *Machine, ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error)

// stepFor is the lifecycle's step by name; Plan orders them per phase. A
// switch, not a package-level map: a map's initialiser would make every
// binary that imports the package link every step (and what the steps
// call, mail templates among them), even one that never runs the machine.
func stepFor(step Step) (stepFunc, bool) {
	switch step {
	case StepPlace:
		return (*Machine).place, true
	case StepAdminUser:
		return (*Machine).adminUser, true
	case StepInvite:
		return (*Machine).inviteAdmin, true
	case StepAPIKey:
		return (*Machine).createAPIKey, true
	case StepActivate:
		return (*Machine).activate, true
	case StepSuspend:
		return (*Machine).suspendForOffboarding, true
	case StepExport:
		return (*Machine).export, true
	case StepDeleteUsers:
		return (*Machine).deleteUsers, true
	case StepDeleteData:
		return (*Machine).deleteData, true
	case StepDeleteKey:
		return (*Machine).deleteKey, true
	case StepDestroy:
		return (*Machine).destroy, true
	case StepTombstone:
		return (*Machine).tombstone, true
	case StepProvisionTarget:
		return (*Machine).provisionTarget, true
	case StepCopy:
		return (*Machine).copyItems, true
	case StepCatchUp:
		return (*Machine).catchUp, true
	case StepFreeze:
		return (*Machine).freeze, true
	case StepDrain:
		return (*Machine).drain, true
	case StepVerify:
		return (*Machine).verify, true
	case StepSwitch:
		return (*Machine).switchHome, true
	case StepRetire:
		return (*Machine).retire, true
	case StepRollback:
		return (*Machine).rollBack, true
	}
	return nil, false
}

// do runs one step.
func (m *Machine) do(ctx context.Context, step Step, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	f, ok := stepFor(step)
	if !ok {
		return t, errorf("unknown step %q", step)
	}
	return f(m, ctx, t, st)
}

// save stores a change to the tenant record.
func (m *Machine) save(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	t.UpdatedAt = m.now()
	return m.Tenants.Put(ctx, t)
}

// place gives the tenant its table and user pool (pooled: the shared ones;
// Platinum: its own stack).
func (m *Machine) place(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	prov, err := m.provisioner(t.Tier)
	if err != nil {
		return t, err
	}
	pl, err := prov.Provision(ctx, t)
	if err != nil {
		return t, err
	}
	t.Table, t.UserPoolID, t.Issuer, t.ClientIDs, t.Downloads = pl.Table, pl.UserPoolID, pl.Issuer, pl.ClientIDs, pl.Downloads
	return m.save(ctx, t)
}

// adminUser creates the Super Admin's identity and directory record.
func (m *Machine) adminUser(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	sub, err := m.Users.EnsureUser(ctx, t.UserPoolID, m.adminSpec(t, st))
	if errors.Is(err, identity.ErrOtherTenant) {
		return t, errAdminEmailInUse()
	}
	if err != nil {
		return t, err
	}
	st.AdminSub = sub
	if _, err := m.Directory.Get(ctx, t.Scope(), sub); err == nil {
		return t, nil
	} else if !errs.Is(err, errs.KindNotFound) {
		return t, err
	}
	now := m.now()
	return t, m.Directory.Put(ctx, t.Scope(), people.User{ID: sub, TenantID: t.ID, Username: st.AdminEmail,
		Email: st.AdminEmail, Role: roles.SuperAdmin, Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1})
}

// inviteAdmin mails the Super Admin a fresh temporary password each time
// the step runs, until they sign in: a failed mail is simply sent again on
// retry.
func (m *Machine) inviteAdmin(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	inv, err := m.Users.Invite(ctx, t.UserPoolID, m.adminSpec(t, st))
	if errors.Is(err, identity.ErrOtherTenant) {
		return t, errAdminEmailInUse()
	}
	if err != nil {
		return t, err
	}
	if inv.TemporaryPassword == "" {
		return t, nil // signed in already
	}
	return t, people.SendInvitation(ctx, m.Mail, m.WebBaseURL, t, st.AdminEmail, string(roles.SuperAdmin), inv.TemporaryPassword)
}

// createAPIKey gives the tenant its own API key on its tier's usage plan.
func (m *Machine) createAPIKey(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	if t.APIKey != "" {
		return t, nil
	}
	id, value, err := m.Keys.Create(ctx, t.ID, t.Tier)
	if err != nil {
		return t, err
	}
	t.APIKeyID, t.APIKey = id, value
	return m.save(ctx, t)
}

// activate opens the tenant. A tenant with a pool of its own (Platinum)
// first has it named in its directory entry, so the workspace lookup
// signs its users in there; a tenant the directory does not hold (one
// cell, or registered before the directory) or places in another cell
// is left as it is.
func (m *Machine) activate(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	if t.UserPoolID != "" && t.UserPoolID != m.SharedPoolID {
		if err := m.nameDirectoryPool(ctx, t, t.UserPoolID); err != nil {
			return t, err
		}
	}
	t.Status, t.StatusReason = tenant.StatusActive, ""
	return m.save(ctx, t)
}

// nameDirectoryPool names t's tier and pool, with t's first app client, in
// t's directory entry (moving it between its cell's tier counts after a
// tier migration), when the platform has a directory (PoolDirectory): the
// workspace lookup then signs t's users in there. An entry that is missing
// (one cell, or a tenant registered before the directory) or places t in
// another cell is left as it is; any other failure fails the step, which a
// retry runs again (SetPool is idempotent).
func (m *Machine) nameDirectoryPool(ctx context.Context, t tenant.Tenant, pool string) error {
	if m.PoolDirectory == nil || pool == "" {
		return nil
	}
	client := ""
	if len(t.ClientIDs) > 0 {
		client = t.ClientIDs[0]
	}
	if pool == m.SharedPoolID {
		client = cmp.Or(m.SharedClientID, client) // the shared pool's client, as registration names it
	}
	err := m.PoolDirectory.SetHome(ctx, t.ID, m.Cell, t.Tier, pool, client)
	if err != nil && !errs.Is(err, errs.KindNotFound) && !errs.Is(err, errs.KindConflict) {
		return err
	}
	return nil
}

// closeDirectoryEntry stops t's directory entry from routing and frees its
// place in the cell's count (cells.Directory.Close), when the platform has
// a directory: the workspace lookup and the authorizer of every cell then
// answer as for a tenant that never existed, while the slug stays claimed.
// An entry that is missing (one cell, a tenant from before the directory)
// or places t in another cell is left alone; any other failure fails the
// step, which a retry runs again (Close is idempotent).
func (m *Machine) closeDirectoryEntry(ctx context.Context, t tenant.Tenant) error {
	if m.PoolDirectory == nil {
		return nil
	}
	err := m.PoolDirectory.Close(ctx, t.ID, m.Cell)
	if err != nil && !errs.Is(err, errs.KindNotFound) && !errs.Is(err, errs.KindConflict) {
		return err
	}
	return nil
}

// suspendForOffboarding stops the tenant's requests while it is taken apart.
func (m *Machine) suspendForOffboarding(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	if t.Status == tenant.StatusOffboarding {
		return t, nil
	}
	t.Status, t.StatusReason = tenant.StatusOffboarding, "offboarding"
	return m.save(ctx, t)
}

// export archives the tenant's data for the provider.
func (m *Machine) export(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	body, n, err := m.Data.Export(ctx, t)
	if err != nil {
		return t, err
	}
	loc, err := m.Archive.Store(ctx, fmt.Sprintf("%s/%s-%s.jsonl.gz", t.ID, t.ID, m.now().Format("20060102T150405Z")), body)
	if err != nil {
		return t, err
	}
	st.Archive = loc
	m.audit(ctx, t.ID, "offboarding.exported", map[string]string{"archive": loc, "items": fmt.Sprint(n)})
	return t, nil
}

// deleteUsers deletes only identities the tenant created: every delete is
// guarded by the user's custom:tenant_id (set at creation, immutable), so
// an admin email that belongs to another tenant's user is kept.
func (m *Machine) deleteUsers(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	if t.UserPoolID == "" {
		return t, nil // never placed (a registration turned down): no identity
	}
	names, err := m.Data.UserNames(ctx, t)
	if err != nil {
		return t, err
	}
	if st.AdminEmail != "" {
		names = append(names, st.AdminEmail)
	}
	for _, n := range names {
		err := m.Users.DeleteUser(ctx, t.UserPoolID, t.ID, n)
		if errors.Is(err, identity.ErrOtherTenant) {
			m.audit(ctx, t.ID, "offboarding.identity_kept", map[string]string{"reason": "belongs to another tenant"})
			continue
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

func (m *Machine) deleteData(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	_, err := m.Data.Delete(ctx, t)
	return t, err
}

func (m *Machine) deleteKey(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	if t.APIKeyID == "" && t.APIKey == "" {
		return t, nil
	}
	if t.APIKeyID != "" {
		if err := m.Keys.Delete(ctx, t.APIKeyID); err != nil {
			return t, err
		}
	}
	t.APIKeyID, t.APIKey = "", ""
	return m.save(ctx, t)
}

// destroy removes what place created (a Platinum tenant's stack).
func (m *Machine) destroy(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	prov, err := m.provisioner(t.Tier)
	if err != nil {
		return t, err
	}
	return t, prov.Destroy(ctx, t)
}

// tombstone keeps only the tenant's id (a slug is never reused), tier,
// creation time and when it was offboarded.
func (m *Machine) tombstone(ctx context.Context, t tenant.Tenant, _ *State) (tenant.Tenant, error) {
	if err := m.closeDirectoryEntry(ctx, t); err != nil {
		return t, err
	}
	if t.Issuer != "" && m.ForgetIssuer != nil {
		if err := m.ForgetIssuer(ctx, t.Issuer); err != nil {
			return t, err
		}
	}
	t = tenant.Tenant{ID: t.ID, Tier: t.Tier, Status: tenant.StatusDeleted, CreatedAt: t.CreatedAt,
		StatusReason: "offboarded " + m.now().Format(time.RFC3339), Version: t.Version}
	return m.save(ctx, t)
}

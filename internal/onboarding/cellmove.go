package onboarding

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// A move between cells (docs/scale.md, "Cells") is a migration run whose
// new home is in another cell: the same steps as a tier change (provision
// the target home, copy, catch up, freeze, drain, verify, switch, retire),
// with the other cell's registry, homes and API keys on the target side
// (destination). Its switch activates the tenant's record in the target
// cell, points the global directory there (the source cell's authorizer
// then answers tenant_in_other_cell) and tombstones the record here; the
// users follow on their first sign-in through the target pool's
// user-migration trigger, whose source is this cell's pool (the target
// record's FormerPool).

// Cell is a cell a tenant may move to, as this cell reaches it: its
// registry, its homes, its API keys and where its tenants call and sign in.
// Locally the other cell's tables and pools are on the same services; in
// AWS they are another deployment's (docs/scale.md: a role of the target
// cell the source's lifecycle assumes; not built).
type Cell struct {
	ID       string
	Tenants  tenant.Registry
	Pooled   Provisioner // its pooled table and shared pool
	Platinum Provisioner // its tenant stacks; nil: none
	Keys     APIKeys     // its usage plans
	// APIURL, Region, UserPoolID and ClientID are the cell's API and shared
	// pool, as the directory names them.
	APIURL, Region, UserPoolID, ClientID string
	// Files is the cell's pooled attachments bucket ("": a pooled
	// tenant's objects stay in the source cell's bucket), SiloFiles names
	// the bucket of a tenant stack there (schema.Names.SiloFiles; nil: a
	// Platinum tenant's objects stay in its old stack's bucket, which then
	// cannot be destroyed).
	Files     string
	SiloFiles func(tenantID string) string
	// Control is the cell's control table, where a moved tenant's billing
	// account goes (Machine.Billing).
	Control string
}

// BillingAccounts moves a tenant's billing account between the control
// tables of two cells (billingdb.Mover): live in exactly one at a time, so
// Stripe's events, which reach every cell's webhook, are acted on by the
// cell that holds the tenant (docs/scale.md, "The billing account moves").
type BillingAccounts interface {
	// Move marks the account here moved to cell and writes it into that
	// cell's control table, in one transaction; false: the tenant has no
	// account. Done already: nothing.
	Move(ctx context.Context, tenantID, cell, control string) (bool, error)
	// Drop deletes the moved account's items here (the retirement).
	Drop(ctx context.Context, tenantID string) error
}

// FileMover copies a tenant's attachment objects (the keys under its
// prefix, attachment.TenantPrefix) between buckets (s3objects.Objects).
type FileMover interface {
	// SyncFiles copies to bucket to the tenant's objects of from that it
	// lacks or holds with another size or ETag, and returns how many.
	SyncFiles(ctx context.Context, tenantID, from, to string) (int, error)
	// ListFiles is the tenant's objects in bucket: key -> size.
	ListFiles(ctx context.Context, tenantID, bucket string) (map[string]int64, error)
	// DropFiles deletes the tenant's objects in bucket.
	DropFiles(ctx context.Context, tenantID, bucket string) (int, error)
}

// CellEntry is what the directory says of a tenant in a cell.
type CellEntry struct {
	Cell, APIURL, Region, UserPoolID, ClientID string
	Tier                                       tiers.Name
}

// CellDirectory is the global tenant directory as a move writes it
// (internal/cells.Directory through an adapter).
type CellDirectory interface {
	// CellOf is the cell the directory places the tenant in (errs not_found if none).
	CellOf(ctx context.Context, tenantID string) (string, error)
	// Switch points the tenant at to while it is in from (conflict otherwise).
	Switch(ctx context.Context, tenantID, from string, to CellEntry) error
}

// PoolDirectory is the global directory as onboarding writes a tenant's
// home into its entry (internal/cells.Directory.SetHome).
type PoolDirectory interface {
	// SetHome names the tenant's tier, pool and app client while its entry
	// is in cell, moving it between the cell's tier counts when the tier
	// changed (errs not_found without an entry, conflict in another cell).
	SetHome(ctx context.Context, tenantID, cell string, tier tiers.Name, poolID, clientID string) error
	// Close stops the entry of an offboarded tenant in cell from routing
	// and uncounts it there; the slug stays claimed (errs not_found
	// without an entry, conflict in another cell; again, nothing changes).
	Close(ctx context.Context, tenantID, cell string) error
}

// Cells are the other cells a tenant may move to. Safe for concurrent
// use: cells started side by side learn of each other after they start.
type Cells struct {
	mu    sync.RWMutex
	m     map[string]Cell
	loads map[string]CellLoader
}

// CellLoader builds a cell on the first move there (AWS: from the SSM
// parameter the cell's platform stack publishes, so a cold start makes no
// network call for it).
type CellLoader func(ctx context.Context) (Cell, error)

// LoadTimeout bounds a CellLoader.
const LoadTimeout = 5 * time.Second

// AddLoader makes the cell id a target of moves, built by load when a
// move first needs it (and again after a failed load).
func (cs *Cells) AddLoader(id string, load CellLoader) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.loads == nil {
		cs.loads = map[string]CellLoader{}
	}
	cs.loads[id] = load
}

// Add makes c a target of moves.
func (cs *Cells) Add(c Cell) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string]Cell{}
	}
	cs.m[c.ID] = c
}

// Get is the cell of id.
func (cs *Cells) Get(id string) (Cell, bool) {
	if cs == nil {
		return Cell{}, false
	}
	cs.mu.RLock()
	c, ok := cs.m[id]
	load := cs.loads[id]
	cs.mu.RUnlock()
	if ok || load == nil {
		return c, ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), LoadTimeout)
	defer cancel()
	c, err := load(ctx)
	if err != nil {
		slog.Error("a cell to move to cannot be reached", "cell", id, "error", err)
		return Cell{}, false
	}
	c.ID = id
	cs.Add(c)
	return c, true
}

// destination is the side a migration moves a tenant to: this cell's
// registry, homes and keys (a tier change) or another cell's (a move
// between cells). The steps that only read and write homes (copy,
// catch-up, freeze, drain, verify) do not depend on it.
type destination struct {
	cell             string // "" for this cell
	tenants          tenant.Registry
	keys             APIKeys
	pooled, platinum Provisioner
	entry            CellEntry
	files            string              // the cell's pooled bucket
	siloFiles        func(string) string // its tenant stacks' buckets
	control          string              // its control table (billing accounts)
}

func (d destination) provisioner(t tiers.Name) (Provisioner, error) {
	if tiers.MustGet(t).Isolation == tiers.Silo {
		if d.platinum == nil {
			where := "here"
			if d.cell != "" {
				where = "in " + d.cell
			}
			return nil, errs.E(errs.KindUnprocessable, "tier_unavailable", "the %s tier cannot be provisioned %s", t, where)
		}
		return d.platinum, nil
	}
	return d.pooled, nil
}

// destination is where mg moves the tenant.
func (m *Machine) destination(mg *MigrationRecord) (destination, error) {
	if mg == nil || mg.TargetCell == "" {
		return destination{tenants: m.Tenants, keys: m.Keys, pooled: m.Pooled, platinum: m.Platinum, files: m.FilesBucket, siloFiles: m.SiloFiles}, nil
	}
	c, ok := m.Cells.Get(mg.TargetCell)
	if !ok || m.CellDirectory == nil {
		return destination{}, errs.E(errs.KindUnprocessable, "unknown_cell", "this cell cannot reach %s", mg.TargetCell).
			WithFields(errs.FieldError{Field: "cell", Reason: "not a cell this one can reach"})
	}
	return destination{cell: c.ID, tenants: c.Tenants, keys: c.Keys, pooled: c.Pooled, platinum: c.Platinum, files: c.Files, siloFiles: c.SiloFiles, control: c.Control,
		entry: CellEntry{Cell: c.ID, APIURL: c.APIURL, Region: c.Region, UserPoolID: c.UserPoolID, ClientID: c.ClientID}}, nil
}

// MoveCell starts moving a tenant, on its tier, to another cell and
// returns its state; the run goes on in the background (Driver). Errors,
// with nothing started: unknown_cell (422), tenant_in_cell (409: it is
// there already), tenant_not_active (409), migration_in_progress (409),
// lifecycle_busy (409), tier_unavailable (422: the cell cannot provision
// the tenant's tier).
func (s *Service) MoveCell(ctx context.Context, tenantID, cell string, by audit.Actor) (State, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return State{}, err
	}
	if t.Status == tenant.StatusDeleted {
		return State{}, errs.NotFound("tenant")
	}
	if cell == s.Cell {
		return State{}, errs.Conflict("tenant_in_cell", fmt.Sprintf("%s is in %s already", tenantID, cell))
	}
	rec := &MigrationRecord{FromTier: t.Tier, From: s.home(t), FromCell: s.Cell, TargetCell: cell}
	dest, err := s.destination(rec)
	if err != nil {
		return State{}, err
	}
	if s.CellDirectory != nil {
		if at, err := s.CellDirectory.CellOf(ctx, tenantID); err == nil && at != s.Cell {
			return State{}, errs.Conflict("tenant_in_cell", fmt.Sprintf("the directory places %s in %s", tenantID, at))
		} else if err != nil && !errs.Is(err, errs.KindNotFound) {
			return State{}, err
		}
	}
	st, err := s.States.Get(ctx, tenantID)
	if err == nil && st.Phase == PhaseMigration && st.FinishedAt.IsZero() {
		return st, errs.Conflict("migration_in_progress", fmt.Sprintf("a migration of %s has not finished (step %s); retry, roll back or wait for it", tenantID, st.current()))
	}
	if t.Status != tenant.StatusActive {
		return State{}, errs.Conflict("tenant_not_active", fmt.Sprintf("only an active tenant can be moved; %s is %s", t.ID, t.Status))
	}
	if _, err := dest.provisioner(t.Tier); err != nil {
		return State{}, err
	}
	return s.startMigration(ctx, t, st, err, t.Tier, rec, by, map[string]string{"from_cell": s.Cell, "to_cell": cell})
}

// placeInCell creates (or, on a retry, refreshes) the tenant's record in
// the target cell: provisioning, in its new home there, with an API key on
// that cell's usage plan. Its users are not copied: they follow on first
// sign-in (the switch records this cell's pool as the record's FormerPool).
func (m *Machine) placeInCell(ctx context.Context, t tenant.Tenant, st *State, dest destination, pl Placement) error {
	rec, err := dest.tenants.Get(ctx, t.ID)
	fresh := errs.Is(err, errs.KindNotFound)
	switch {
	case fresh:
		rec = tenant.Tenant{ID: t.ID, CreatedAt: t.CreatedAt}
	case err != nil:
		return err
	case rec.Status == tenant.StatusActive:
		return errs.Conflict("tenant_in_cell", fmt.Sprintf("%s is active in %s already", t.ID, dest.cell))
	}
	rec.Name, rec.Tier, rec.Branding, rec.Status, rec.StatusReason = t.Name, st.Tier, t.Branding, tenant.StatusProvisioning, "moving from "+m.Cell
	// No table until the switch: the target cell's stream consumers take
	// a tenant's changes from its record's table (changes.HomeOnly), and
	// the copy's writes are not the tenant's.
	rec.Table, rec.UserPoolID, rec.Issuer, rec.ClientIDs = "", pl.UserPoolID, pl.Issuer, pl.ClientIDs
	rec.WritesFrozen, rec.UpdatedAt = false, m.now()
	if rec.APIKeyID == "" {
		if rec.APIKeyID, rec.APIKey, err = dest.keys.Create(ctx, t.ID, st.Tier); err != nil {
			return err
		}
	}
	if fresh {
		return dest.tenants.Create(ctx, rec)
	}
	_, err = dest.tenants.Put(ctx, rec)
	return err
}

// pool is the user pool t's users live in here, as a FormerPool the
// target cell's trigger can authenticate them in: its dedicated pool, or
// this cell's shared pool (named with its issuer and app client, which
// the other cell's functions do not know from their environment).
func (m *Machine) pool(t tenant.Tenant) *tenant.FormerPool {
	if t.Issuer != "" {
		return &tenant.FormerPool{ID: t.UserPoolID, Issuer: t.Issuer, ClientIDs: t.ClientIDs}
	}
	p := m.CellPool
	return &p
}

// switchCell is the switch of a move between cells: the target record
// active in its new home (users to follow from this cell's pool), the
// directory pointing at the target cell, and the record here tombstoned,
// still frozen (a request that reaches this cell within the authorizer's
// cache writes nothing; then it answers tenant_in_other_cell). Each part
// checks whether it is done, so a retry after a crash finishes the rest.
func (m *Machine) switchCell(ctx context.Context, t tenant.Tenant, st *State, mg *MigrationRecord, dest destination) (tenant.Tenant, error) {
	if t.Status == tenant.StatusDeleted {
		return t, nil // switched before a crash
	}
	if !t.WritesFrozen {
		return t, errorf("switch of %s: writes are not frozen", t.ID)
	}
	since := m.homeSince(mg)
	now := m.now()
	at, err := m.CellDirectory.CellOf(ctx, t.ID)
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return t, err
	}
	if at != dest.cell {
		// Until the directory switches, nothing reaches the target record:
		// (re)written whole on every attempt, with this attempt's HomeSince.
		rec, err := dest.tenants.Get(ctx, t.ID)
		if err != nil {
			return t, err
		}
		rec.Status, rec.StatusReason, rec.Table, rec.Tier, rec.HomeSince = tenant.StatusActive, "", mg.To.Table, st.Tier, since
		rec.Name, rec.Branding, rec.WritesFrozen, rec.UpdatedAt = t.Name, t.Branding, false, now
		rec.UserPoolID, rec.Issuer, rec.ClientIDs = mg.TargetPool, mg.TargetIssuer, mg.TargetClients
		rec.FormerPool = m.pool(t)
		if _, err := dest.tenants.Put(ctx, rec); err != nil {
			return t, err
		}
		e := dest.entry
		e.Tier = st.Tier
		if mg.TargetIssuer != "" { // a tenant stack there: its own pool
			e.UserPoolID = mg.TargetPool
			if len(mg.TargetClients) > 0 {
				e.ClientID = mg.TargetClients[0]
			}
		}
		if err := m.CellDirectory.Switch(ctx, t.ID, m.Cell, e); err != nil {
			return t, err
		}
	}
	// The billing account follows the directory, before the tombstone (a
	// retry after a crash between them finds the tenant here and moves
	// it): from this transaction on its Stripe events are the target
	// cell's and this cell ignores them. Not before the directory: a
	// switch that fails there leaves the tenant working here, and its
	// account must stay live here with it.
	if err := m.moveBilling(ctx, t.ID, mg, dest); err != nil {
		return t, err
	}
	t.Status, t.StatusReason = tenant.StatusDeleted, "moved to "+dest.cell
	if t, err = m.save(ctx, t); err != nil {
		return t, err
	}
	mg.SwitchAt, mg.FreezeMS, mg.RetireAfter = now, now.Sub(mg.FrozenAt).Milliseconds(), now.Add(m.grace())
	m.audit(ctx, t.ID, "migration.switched", map[string]string{"from": mg.From.Table, "to": mg.To.Table,
		"from_cell": m.Cell, "to_cell": dest.cell, "freeze_ms": fmt.Sprint(mg.FreezeMS)})
	return t, nil
}

// retireCell deletes what a move left here after its grace period: the
// tenant's accounts in this cell's pools once its unmoved users are
// invited into the target cell's (moveUnmoved), its items (or its stack)
// and its API key on this cell's usage plan. The record stays, tombstoned
// (the id is never reused).
func (m *Machine) retireCell(ctx context.Context, t tenant.Tenant, mg *MigrationRecord) (tenant.Tenant, error) {
	// The users first: the invitations read the target's directory and the
	// deletions this home's, which goes below.
	if err := m.moveUnmoved(ctx, t, mg, false); err != nil {
		return t, err
	}
	if mg.From.Silo {
		old := t
		old.Tier = mg.FromTier
		prov, err := m.provisioner(mg.FromTier)
		if err != nil {
			return t, err
		}
		// The objects first: the stack's bucket is not deleted while it
		// holds any (infra/stacks tenant.go), so its destruction would fail.
		if err := m.dropFiles(ctx, t.ID, mg, mg.From.Files, "migration.old_files_deleted"); err != nil {
			return t, err
		}
		if err := prov.Destroy(ctx, old); err != nil {
			return t, err
		}
	} else {
		// The objects first: the items name them.
		if err := m.dropFiles(ctx, t.ID, mg, mg.From.Files, "migration.old_files_deleted"); err != nil {
			return t, err
		}
		n, err := m.dropHome(ctx, t.ID, mg.From)
		if err != nil {
			return t, err
		}
		m.audit(ctx, t.ID, "migration.old_home_deleted", map[string]string{"table": mg.From.Table, "items": fmt.Sprint(n)})
	}
	if t.APIKeyID != "" {
		if err := m.Keys.Delete(ctx, t.APIKeyID); err != nil {
			return t, err
		}
	}
	if m.Billing != nil && mg.BillingMoved {
		if err := m.Billing.Drop(ctx, t.ID); err != nil {
			return t, err
		}
		m.audit(ctx, t.ID, "migration.old_billing_deleted", map[string]string{"to_cell": mg.TargetCell})
	}
	return t, nil
}

// moveUnmoved ends a move's users' stay in this cell. During the grace
// period each one moves on first sign-in through the target pool's
// user-migration trigger, with their password, from this cell's pool (the
// target record's FormerPool). When it ends:
//   - every active user of the tenant's directory (the target cell's: the
//     people added, removed or disabled there since count) who is not in
//     the target pool yet is invited there (inviteUnmoved, as a
//     downgrade's stragglers are): a Platinum tenant's old pool goes with
//     its stack below, and the trigger cannot move anyone from a pool that
//     is gone; a pooled tenant's would stay, but the target record's
//     FormerPool names it only until the tenant's next migration there
//     (a tier change in the target cell names the pool it leaves), and
//     then nothing could move them;
//   - then every account of the tenant (its directory here) in this
//     cell's shared pool is deleted: the accounts the moved users left
//     behind (stale: a later move back would sign them in with them, as a
//     downgrade would, and each blocks its email for this cell's other
//     tenants) and those of the users just invited. A Platinum tenant's
//     users who never signed in since its upgrade are still there too.
//
// A target record that is not active or suspended (offboarded there, or
// moved on) gets no invitations; the accounts here go all the same.
//
// atSwitch: right after a Platinum tenant's move switched, only the users
// the target pool's trigger cannot move are invited, and nothing is
// deleted. The trigger authenticates users in the old stack's pool (the
// target record's FormerPool) only, and a user who never signed in since
// the tenant's upgrade is still in this cell's shared pool; before, they
// could not sign in until the grace period ended. A pooled tenant's move
// needs none of it: its FormerPool, this cell's shared pool, holds them
// all.
func (m *Machine) moveUnmoved(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, atSwitch bool) error {
	if m.Users == nil || m.Data == nil {
		return nil
	}
	dest, err := m.destination(mg)
	if err != nil {
		return err
	}
	rec, err := dest.tenants.Get(ctx, t.ID)
	if err != nil {
		return err
	}
	from := "" // at the end of the grace period, every user the target pool lacks
	if atSwitch {
		if rec.FormerPool == nil {
			return nil
		}
		from = rec.FormerPool.ID
	}
	// (At the switch the target record is active: the switch made it so.)
	if atSwitch || rec.Status == tenant.StatusActive || rec.Status == tenant.StatusSuspended {
		if err := m.inviteUnmoved(ctx, rec, mg, from); err != nil || atSwitch {
			return err
		}
	}
	shared := cmp.Or(m.CellPool.ID, m.SharedPoolID)
	if !mg.From.Silo && mg.FromPool != "" && mg.FromPool != shared {
		if err := m.deleteAccounts(ctx, t, mg.FromPool, nil); err != nil {
			return err
		}
	}
	if shared == "" || shared == rec.UserPoolID {
		return nil
	}
	return m.deleteAccounts(ctx, t, shared, nil)
}

// moveBilling moves the tenant's billing account to the target cell
// (Machine.Billing); a tenant without one moves without.
func (m *Machine) moveBilling(ctx context.Context, tenantID string, mg *MigrationRecord, dest destination) error {
	if m.Billing == nil {
		return nil
	}
	if dest.control == "" {
		return errorf("move of %s: %s names no control table for its billing account", tenantID, dest.cell)
	}
	moved, err := m.Billing.Move(ctx, tenantID, dest.cell, dest.control)
	if err != nil {
		return err
	}
	if moved && !mg.BillingMoved {
		mg.BillingMoved = true
		m.audit(ctx, tenantID, "migration.billing_moved", map[string]string{"to_cell": dest.cell})
	}
	return nil
}

// rollbackCell undoes the target cell's part of a move that has not
// switched: its copy deleted (or its stack destroyed), its API key deleted
// and its record tombstoned (a later move there reuses it).
func (m *Machine) rollbackCell(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, dest destination) error {
	if at, err := m.CellDirectory.CellOf(ctx, t.ID); err == nil && at == dest.cell {
		return errs.Conflict("migration_switched", fmt.Sprintf("the directory places %s in %s already", t.ID, dest.cell))
	} else if err != nil && !errs.Is(err, errs.KindNotFound) {
		return err
	}
	rec, err := dest.tenants.Get(ctx, t.ID)
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if mg.To.Table != "" {
		// The copied objects first (a stack's bucket holding any is not deleted).
		if err := m.dropFiles(ctx, t.ID, mg, mg.To.Files, ""); err != nil {
			return err
		}
		if mg.To.Silo {
			prov, err := dest.provisioner(rec.Tier)
			if err != nil {
				return err
			}
			if err := prov.Destroy(ctx, rec); err != nil {
				return err
			}
		} else {
			if _, err := m.Move.Drop(ctx, t.ID, mg.To); err != nil {
				return err
			}
		}
	}
	if rec.APIKeyID != "" {
		if err := dest.keys.Delete(ctx, rec.APIKeyID); err != nil {
			return err
		}
		rec.APIKeyID, rec.APIKey = "", ""
	}
	rec.Status, rec.StatusReason, rec.UpdatedAt = tenant.StatusDeleted, "move rolled back", m.now()
	_, err = dest.tenants.Put(ctx, rec)
	return err
}

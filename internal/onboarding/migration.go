package onboarding

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// A tier migration moves a tenant between isolation models (pooled <->
// Platinum) while it keeps working: the new home is provisioned, every item
// copied, the changes made meanwhile applied in catch-up rounds, then a
// short write freeze drains the last ones, both sides are verified (count
// and checksum per key family), the registry switches to the new home and
// the freeze lifts. The old home stays, unreachable, for a grace period as
// the rollback, then the run's last step deletes it.
//
// Catch-up reads both homes and writes the difference (Mover.Sync), rather
// than replaying the change stream: it is exact whatever the stream's
// delivery order or lag, and it needs no third reader of a stream that
// already has its two. From the copy on, the tenant's writes log their keys
// (internal/keylog), so the freeze's drain reads only the keys written
// since the last catch-up round (docs/migration.md).
const PhaseMigration Phase = "migration"

// Migration steps, in order.
const (
	StepProvisionTarget Step = "provision_target" // the new home: the tenant stack (Platinum) or the pooled table
	StepCopy            Step = "copy"             // every item into the new home, the tenant working meanwhile
	StepCatchUp         Step = "catch_up"         // the changes made during the copy, in rounds until few are left
	StepFreeze          Step = "freeze_writes"    // writes answer 503 + Retry-After; in-flight writes settle
	StepDrain           Step = "drain"            // the last changes, with nothing writing
	StepVerify          Step = "verify"           // item count and checksum per key family, equal on both sides
	StepSwitch          Step = "switch"           // the registry names the new home and tier; the freeze lifts
	StepRetire          Step = "retire_old_home"  // after the grace period: the old copy deleted
	// StepRollback is a run's only step once Root asked to roll it back
	// (RollbackMigration): the freeze lifted, the new home's copy deleted.
	StepRollback Step = "roll_back"
)

// frozenSteps are redone together after a failure: the freeze is lifted
// when a run fails, so a retry freezes, drains and verifies again.
var frozenSteps = []Step{StepFreeze, StepDrain, StepVerify}

func migrationPlan() []Step {
	return []Step{StepProvisionTarget, StepCopy, StepCatchUp, StepFreeze, StepDrain, StepVerify, StepSwitch, StepRetire}
}

// Home is where a tenant's items live: a table, whole (Silo) or shared.
type Home struct {
	Table string `json:"table"`
	Silo  bool   `json:"silo,omitempty"`
	// Files is the bucket of the home's attachment objects, set on both
	// homes of a move between cells (the objects move with the items, and
	// the Mover writes the records into the new home naming its bucket).
	Files string `json:"files,omitempty"`
}

// FamilyDigest is one key family's item count and order-free checksum.
type FamilyDigest struct {
	Items    int    `json:"items"`
	Checksum string `json:"checksum"`
}

// Mover reads and writes a tenant's items in a home (package tenantdata).
type Mover interface {
	// Sync makes to hold exactly the tenant's items of from: it reads both
	// homes, writes what differs and deletes what from lacks. It returns
	// the writes made and from's digest as read.
	Sync(ctx context.Context, tenantID string, from, to Home) (writes int, digest map[string]FamilyDigest, err error)
	// Digest reads the tenant's items in h: per key family, count and checksum.
	Digest(ctx context.Context, tenantID string, h Home) (map[string]FamilyDigest, error)
	// Drop deletes every item of the tenant in h.
	Drop(ctx context.Context, tenantID string, h Home) (int, error)
}

// Drainer is a Mover that keeps the write freeze short: CheckTarget,
// before the freeze, verifies the new home whole against what the
// catch-up's last Sync left there; Drain, in the freeze, reads only the
// old home, writes the difference and reads back what it wrote, and
// returns both homes' digests (the new one from the checked state and the
// read-back items), so verify reads nothing (tenantdata.Store).
//
// CatchUp is one catch-up round: with the key log covering the previous
// round's read, it reads only the keys logged since (O(changes)), so the
// rounds shrink to the writes made meanwhile and the last one before the
// freeze is short; otherwise it is a whole Sync.
type Drainer interface {
	CatchUp(ctx context.Context, tenantID string, from, to Home, log KeyLog) (Round, error)
	CheckTarget(ctx context.Context, tenantID string, to Home) error
	// CheckSource reads the old home whole against what the rounds know
	// of it, less the keys logged since; a difference is a write that
	// bypassed the log: it is copied (before the freeze) and counted.
	CheckSource(ctx context.Context, tenantID string, from, to Home, log KeyLog) (int, error)
	Drain(ctx context.Context, tenantID string, from, to Home, log KeyLog) (Drained, error)
}

// LoggedRounder is a Drainer that can run a catch-up round only when it
// would read the key log alone (O(changes)): the freeze runs one while it
// waits for the stream consumers, and never a whole read of a home (ok
// false: nothing done, the drain does it all). Such a round copies what
// differs but leaves the point from which the next round and the drain
// read the log where catch_up's last round put it: a write in flight when
// it reads (admitted before the freeze, landing late under load) stays
// the drain's (tenantdata.Store.CatchUpLogged).
type LoggedRounder interface {
	CatchUpLogged(ctx context.Context, tenantID string, from, to Home, log KeyLog) (r Round, ok bool, err error)
}

// KeyLog says since when the tenant's writes are logged by key
// (internal/keylog; zero: not logged) and how long a write may land after
// its key was logged (the settle time and the guard's home cache, plus a
// second for clocks).
type KeyLog struct {
	Since time.Time
	Slack time.Duration
}

// Covers reports whether every write not seen by a read of the old home
// that began at read was logged: the log began at least Slack before it
// (a request admitted before the log began has finished by then).
func (l KeyLog) Covers(read time.Time) bool {
	return !l.Since.IsZero() && !read.Before(l.Since.Add(l.Slack))
}

// How a drain read the old home.
const (
	DrainKeyLog   = "key_log"   // the keys logged since the last catch-up
	DrainReadOld  = "read_old"  // the old home whole (no usable log)
	DrainReadBoth = "read_both" // both homes whole (no memo: another process)
)

// Round is what a catch-up round did: writes made, logged keys read, and
// how it read the old home (DrainKeyLog or DrainReadBoth).
type Round struct {
	Writes, Keys int
	By           string
}

// Drained is what a drain did: writes made, both homes' digests, the
// logged keys it read and how it read the old home.
type Drained struct {
	Writes         int
	Source, Target map[string]FamilyDigest
	Keys           int
	By             string
}

// MigrationOptions tune a migration; the zero value is production's.
type MigrationOptions struct {
	// Grace is how long the old home is kept after the switch (default 24 h).
	Grace time.Duration
	// Settle is how long the freeze waits, after the guards' cache time,
	// for writes that passed the guard before it to finish: keylog.Bound
	// (2 s), past which a write logged under the guard has landed or failed,
	// when zero or shorter; a longer one is kept (make web-e2e's 12 s).
	Settle time.Duration
	// NoWriteInFlight keeps a Settle shorter than keylog.Bound as given
	// (the freeze's wait and the key log's slack as before the bound), for
	// tests whose every write of the tenant is answered before a run's
	// freeze or after its switch, or whose runs never switch: with no write
	// in flight across the freeze, the bound has nothing to wait for, and
	// each run spends 4 s less waiting (docs/testing.md, "What make test
	// runs"). A write in flight could land after the drain read its key:
	// never set where the tenant or its stream consumers may write during a
	// run (production, make dev, the tests of concurrent writers).
	NoWriteInFlight bool
	// CatchUpRounds and CatchUpBelow bound catch-up: rounds stop when one
	// writes fewer than CatchUpBelow items (defaults 5 and 100).
	CatchUpRounds, CatchUpBelow int
	// StreamConsumers names the consumers of the tenant tables' change
	// streams (changes.HomeOnly's names: changes.StreamConsumers where they
	// run) that the migration waits for: a wave of barriers, one in each
	// partition key the tenant changed (StreamBarrier), at the end of
	// catch_up for the keys logged since the copy began, and in the freeze
	// for the keys logged since that wave, each waited for until every
	// consumer has acknowledged every barrier, i.e. handled every change
	// made before it, its writes logged, before the drain reads the key
	// log. Empty: no consumers run (tests), nothing to wait for.
	StreamConsumers []string
	// ConsumerWait bounds each wait in the write freeze (default 30 s):
	// the tenant cannot write meanwhile. Consumers lagging more do not fail
	// the run: the freeze is lifted, the consumers are waited for while
	// the tenant writes (CatchUpConsumerWait), and the freeze is tried
	// again, at most FreezeAttempts times in all.
	ConsumerWait time.Duration
	// CatchUpConsumerWait bounds each wait before the freeze (catch_up's
	// waves, and a freeze's back-off; default 10 min, at least
	// ConsumerWait). The tenant writes as usual meanwhile, so a consumer
	// that lags under load slows the move down instead of failing it.
	CatchUpConsumerWait time.Duration
	// FreezeAttempts is how many times the freeze is tried before
	// consumers lagging in it fail the step (default 3).
	FreezeAttempts int
	// StepRetries is how many times a copy or catch-up failed by an
	// overloaded dependency (Machine.Transient) is tried again in the run
	// (default 4), after StepBackoff (default 5 s), doubled each time.
	StepRetries int
	StepBackoff time.Duration
}

func (o MigrationOptions) stepRetries() int {
	if o.StepRetries > 0 {
		return o.StepRetries
	}
	return 4
}

func (o MigrationOptions) stepBackoff() time.Duration {
	if o.StepBackoff > 0 {
		return o.StepBackoff
	}
	return 5 * time.Second
}

// DefaultCatchUpConsumerWait is MigrationOptions.CatchUpConsumerWait's
// default: what a move waits, unfrozen, for lagging stream consumers.
const DefaultCatchUpConsumerWait = 10 * time.Minute

func (o MigrationOptions) consumerWait() time.Duration {
	if o.ConsumerWait > 0 {
		return o.ConsumerWait
	}
	return 30 * time.Second
}

func (o MigrationOptions) catchUpConsumerWait() time.Duration {
	w := o.CatchUpConsumerWait
	if w <= 0 {
		w = DefaultCatchUpConsumerWait
	}
	return max(w, o.consumerWait())
}

func (o MigrationOptions) freezeAttempts() int {
	if o.FreezeAttempts > 0 {
		return o.FreezeAttempts
	}
	return 3
}

// StreamBarrier is a Mover that can wait for the change stream's consumers
// to have handled every change of the tenant made before now in the
// partition keys its key log names since since (tenantdata.Store,
// keylog.PutBarriers): their writes for those changes are then in the
// key log. DynamoDB Streams orders records per shard only, so it puts a
// barrier into each such partition key (same shard as its changes) and
// waits for all of them.
type StreamBarrier interface {
	AwaitConsumers(ctx context.Context, tenantID string, from Home, since time.Time, consumers []string, timeout time.Duration) (Barriers, error)
}

// Retirer is a Mover that deletes a home whole with one write per item
// (Drop first marks each item for deletion: two) and then waits until the
// change stream's consumers have handled every one of those deletes (a
// wave of barriers in each partition key it deleted in), so none of them
// is handled after the table became the tenant's home again
// (tenantdata.Store.Retire). The retirement of an old home and a
// rollback's deletion of the copy use it when there are StreamConsumers.
type Retirer interface {
	Retire(ctx context.Context, tenantID string, h Home, consumers []string, timeout time.Duration) (int, Barriers, error)
}

// RetireWait bounds a retirement's wait for the consumers (at least
// ConsumerWait): they have every delete to read first, and it is a
// background job.
const RetireWait = 10 * time.Minute

// Barriers is what a wave of barriers covered: when it was put (every
// change made before it in those keys is handled) and how many partition
// keys it went into.
type Barriers struct {
	At   time.Time
	Keys int
}

// RetryAfterFreeze is what a frozen write's Retry-After says, in seconds.
const RetryAfterFreeze = tenant.RetryAfterFreeze

// HomeCacheTTL is how long the API's route guard may keep a tenant's home
// (table, write freeze) in memory (tenant.HomeCacheTTL). The freeze always
// waits at least this long, on top of Settle, so no write admitted under a
// cached, unfrozen home lands after the drain.
const HomeCacheTTL = tenant.HomeCacheTTL

// MigrationRecord is a migration's own progress inside State.
type MigrationRecord struct {
	FromTier tiers.Name `json:"from_tier"`
	From     Home       `json:"from"`
	To       Home       `json:"to"`
	// TargetPool, TargetIssuer and TargetClients are the new home's user
	// pool: the tenant stack's own (upgrade) or the shared one (downgrade,
	// no issuer). When it is another pool than the tenant's, the switch
	// moves the tenant to it and records the old one as the tenant's
	// FormerPool: the new pool's user-migration trigger then moves each
	// user on their first sign-in, with their password
	// (internal/cognito/usermigration).
	TargetPool    string   `json:"target_pool,omitempty"`
	TargetIssuer  string   `json:"target_issuer,omitempty"`
	TargetClients []string `json:"target_clients,omitempty"`
	// TargetDownloads is the new home's download distribution (nil: the
	// platform's); the switch records it on the tenant.
	TargetDownloads *tenant.Downloads `json:"target_downloads,omitempty"`
	// FromPool is the tenant's pool when the run started.
	FromPool string `json:"from_pool,omitempty"`
	// TargetCell is set for a move to another cell (MoveCell): the new
	// home, the record that names it and the API key are that cell's;
	// FromCell is the cell the run started in.
	TargetCell string `json:"target_cell,omitempty"`
	FromCell   string `json:"from_cell,omitempty"`
	// BillingMoved: the switch moved the tenant's billing account to the
	// target cell (Machine.Billing); the retirement deletes what is left here.
	BillingMoved bool `json:"billing_moved,omitempty"`
	// FilesCopied counts the attachment objects copied (a move between
	// cells), by the copy and by the drain.
	FilesCopied int `json:"files_copied,omitempty"`
	// Copied counts the items the copy wrote; CatchUp the writes of each round.
	Copied  int   `json:"copied"`
	CatchUp []int `json:"catch_up,omitempty"`
	// CatchUpMS is each catch-up round's duration, BarriersMS each of
	// catch_up's waves' (put and waited for).
	CatchUpMS  []int64 `json:"catch_up_ms,omitempty"`
	BarriersMS []int64 `json:"barriers_ms,omitempty"`
	Drained    int     `json:"drained"`
	// ConsumersMS is how long the freeze waited for the change stream's
	// consumers to handle the changes made before it.
	ConsumersMS int64 `json:"consumers_ms,omitempty"`
	// BarrierAt is when catch_up's last wave of barriers was put (all its
	// waves covered was handled before the freeze); Barriers counts the
	// partition keys of each of those waves, FreezeBarriers the freeze's.
	BarrierAt      time.Time `json:"barrier_at,omitzero"`
	Barriers       []int     `json:"barriers,omitempty"`
	FreezeBarriers int       `json:"freeze_barriers,omitempty"`
	// SettleBarriers counts the partition keys of the freeze's first wave,
	// put while the settle runs (the keys changed since catch_up's last
	// wave); FreezeBarriers those of the one after it.
	SettleBarriers int `json:"settle_barriers,omitempty"`
	// FreezeRounds and FreezeRoundsMS are the writes and durations of the
	// catch-up rounds the freeze runs from the key log (one during the
	// settle, one beside the consumers' wait after it; none without a
	// memo: the drain then does it all).
	FreezeRounds   []int   `json:"freeze_rounds,omitempty"`
	FreezeRoundsMS []int64 `json:"freeze_rounds_ms,omitempty"`
	// FreezeBackoffs counts the freezes lifted because the stream
	// consumers lagged in them (MigrationOptions.FreezeAttempts).
	FreezeBackoffs int `json:"freeze_backoffs,omitempty"`
	// Source is the old home's digest read by the drain; Target the new
	// home's, read by verify.
	Source map[string]FamilyDigest `json:"source,omitempty"`
	Target map[string]FamilyDigest `json:"target,omitempty"`
	// FrozenAt and FreezeMS: when writes stopped and for how long.
	FrozenAt  time.Time `json:"frozen_at,omitzero"`
	LastWrite time.Time `json:"last_write,omitzero"`
	FreezeMS  int64     `json:"freeze_ms,omitempty"`
	SwitchAt  time.Time `json:"switched_at,omitzero"`
	// RetireAfter is when the old home may be deleted.
	RetireAfter time.Time `json:"retire_after,omitzero"`
	RolledBack  bool      `json:"rolled_back,omitempty"`
	// Unmailed are the users (emails) whose invitation mail failed after
	// their account was created (inviteUnmoved): recorded with the failed
	// step, so its retry sends the mail again, with a new temporary
	// password, instead of taking the account for a user who moved.
	Unmailed []string `json:"unmailed,omitempty"`
	// RollbackRequested: Root asked to roll the run back; its run (the
	// onboarding function's in AWS, as the forward steps) does StepRollback
	// only.
	RollbackRequested bool `json:"rollback_requested,omitempty"`
}

func (m *Machine) grace() time.Duration {
	if m.Migration.Grace > 0 {
		return m.Migration.Grace
	}
	return 24 * time.Hour
}

func (m *Machine) home(t tenant.Tenant) Home {
	return Home{Table: t.Table, Silo: tiers.MustGet(t.Tier).Isolation == tiers.Silo}
}

// Migrate starts moving a tenant to a tier of the other isolation model
// (pooled <-> Platinum) and returns its state; the run goes on in the
// background (Driver). Errors, with nothing started: tier unknown_tier
// (422), tenant_not_active (409: suspended, offboarding, ...),
// tier_unchanged (409), migration_not_needed (422: a pooled tier to
// another, PUT .../tier), migration_in_progress (409: one is running or
// keeps its old home), lifecycle_busy (409), tier_unavailable (422: no
// Platinum provisioning here).
func (s *Service) Migrate(ctx context.Context, tenantID, to string, by audit.Actor) (State, error) {
	name, err := tiers.Parse(to)
	if err != nil {
		return State{}, errs.E(errs.KindUnprocessable, "unknown_tier", "%s", err.Error()).
			WithFields(errs.FieldError{Field: "tier", Reason: err.Error()})
	}
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return State{}, err
	}
	st, err := s.States.Get(ctx, tenantID)
	if err == nil && st.Phase == PhaseMigration && st.FinishedAt.IsZero() {
		return st, errs.Conflict("migration_in_progress", fmt.Sprintf("a migration of %s to %s has not finished (step %s); retry, roll back or wait for it", tenantID, st.Tier, st.current()))
	}
	if err := s.migratable(t, name); err != nil {
		return State{}, err
	}
	if _, err := s.provisioner(name); err != nil {
		return State{}, err
	}
	rec := &MigrationRecord{FromTier: t.Tier, From: s.home(t)}
	return s.startMigration(ctx, t, st, err, name, rec, by, map[string]string{"from": string(t.Tier), "to": string(name)})
}

// startMigration records a migration run of t to tier (rec its first
// record) and starts it: a tier change (Migrate) and a move to another
// cell (MoveCell) are its two callers. st and stErr are the tenant's
// lifecycle state as read.
func (s *Service) startMigration(ctx context.Context, t tenant.Tenant, st State, stErr error, tier tiers.Name, rec *MigrationRecord,
	by audit.Actor, detail map[string]string) (State, error) {
	tenantID, err := t.ID, stErr
	switch {
	case errs.Is(err, errs.KindNotFound): // a tenant created before lifecycle state existed (seed)
		st = State{TenantID: tenantID, Tier: t.Tier}
		if st, err = s.States.Put(ctx, st); err != nil {
			return st, err
		}
	case err != nil:
		return st, err
	case st.FinishedAt.IsZero() && s.now().Before(st.LeaseUntil):
		return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the %s of %s is running", st.Phase, tenantID))
	}
	st.Phase, st.Tier, st.Done, st.FailedStep, st.Error, st.Attempts = PhaseMigration, tier, nil, "", "", 0
	st.Waiting, st.WaitingSince, st.Archive = "", time.Time{}, ""
	st.StartedAt, st.FinishedAt = s.now(), time.Time{}
	st.Migration = rec
	if st, err = s.States.Put(ctx, st); err != nil {
		if errs.Is(err, errs.KindPreconditionFailed) {
			return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the lifecycle of %s changed meanwhile", tenantID))
		}
		return st, err
	}
	s.auditAs(ctx, tenantID, by, "migration.requested", detail)
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return st, err
	}
	return s.States.Get(ctx, tenantID)
}

// migratable says why t cannot move to tier to, or nil.
func (s *Service) migratable(t tenant.Tenant, to tiers.Name) error {
	if t.Status != tenant.StatusActive {
		if t.Status == tenant.StatusDeleted {
			return errs.NotFound("tenant")
		}
		return errs.Conflict("tenant_not_active", fmt.Sprintf("only an active tenant can be migrated; %s is %s", t.ID, t.Status))
	}
	if t.Tier == to {
		return errs.Conflict("tier_unchanged", fmt.Sprintf("%s is already on %s", t.ID, to))
	}
	from, dest := tiers.MustGet(t.Tier).Isolation, tiers.MustGet(to).Isolation
	if from == dest {
		return errs.E(errs.KindUnprocessable, "migration_not_needed",
			"%s and %s share an isolation model: change the tier in place (PUT /v1/admin/tenants/%s/tier)", t.Tier, to, t.ID)
	}
	return nil
}

// current is the step a run is at (failed, waiting, or the first not done).
func (s State) current() Step {
	if s.FailedStep != "" {
		return s.FailedStep
	}
	if s.Waiting != "" {
		return s.Waiting
	}
	if s.RollingBack() {
		return StepRollback
	}
	for _, st := range Plan(s.Phase, tiers.Pooled) {
		if !s.IsDone(st) {
			return st
		}
	}
	return ""
}

// RollbackMigration asks to put a migration that has not switched back
// where it started, and starts its run (Driver: in AWS an event the
// onboarding function runs, as the forward steps; it can destroy the
// tenant stack, the API's function cannot), whose only step is then
// StepRollback (rollBack). The tenant never left its old home, so nothing
// is lost. Conflict migration_not_running if there is none,
// migration_switched after the switch (migrate back instead),
// lifecycle_busy while a run holds it.
func (s *Service) RollbackMigration(ctx context.Context, tenantID string, by audit.Actor) (State, error) {
	st, err := s.States.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		return st, errs.Conflict("migration_not_running", fmt.Sprintf("%s has no migration to roll back", tenantID))
	}
	if err != nil {
		return st, err
	}
	switch {
	case st.Phase != PhaseMigration || !st.FinishedAt.IsZero() || st.Migration == nil:
		return st, errs.Conflict("migration_not_running", fmt.Sprintf("%s has no unfinished migration to roll back", tenantID))
	case st.IsDone(StepSwitch):
		return st, errs.Conflict("migration_switched", fmt.Sprintf("%s runs in its new home already; migrate it back to %s instead", tenantID, st.Migration.FromTier))
	case s.now().Before(st.LeaseUntil):
		return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the migration of %s is running; roll back once it failed", tenantID))
	}
	if !st.Migration.RollbackRequested {
		st.Migration.RollbackRequested = true
		if st, err = s.States.Put(ctx, st); err != nil {
			if errs.Is(err, errs.KindPreconditionFailed) {
				return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the lifecycle of %s changed meanwhile", tenantID))
			}
			return st, err
		}
		s.auditAs(ctx, tenantID, by, "migration.rollback_requested", map[string]string{"to": string(st.Migration.FromTier), "table": st.Migration.From.Table})
	}
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return st, err
	}
	return s.States.Get(ctx, tenantID)
}

// rollBack is StepRollback: the freeze lifted and the key log ended first
// (the tenant works in its old home at once), then the new home's copy
// deleted (the tenant stack destroyed for an upgrade: ErrWaiting until
// its destroy is over, in AWS the pipeline's outcome resumes the run),
// and the run's tier back to where it started. Each part is idempotent, so
// a retry or a resumed run does it again.
func (m *Machine) rollBack(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg := st.Migration
	if mg == nil {
		return t, errorf("no migration to roll back for %s", st.TenantID)
	}
	if err := m.thaw(ctx, t.ID); err != nil {
		return t, err
	}
	if err := m.stopKeyLog(ctx, t.ID); err != nil {
		return t, err
	}
	t, err := m.Tenants.Get(ctx, t.ID)
	if err != nil {
		return t, err
	}
	if mg.TargetCell != "" {
		dest, err := m.destination(mg)
		if err != nil {
			return t, err
		}
		if err := m.rollbackCell(ctx, t, mg, dest); err != nil {
			return t, err
		}
	} else if mg.To.Table != "" && mg.To.Table != mg.From.Table {
		// The copied objects first (a stack's bucket holding any is not deleted).
		if err := m.dropFiles(ctx, t.ID, mg, mg.To.Files, ""); err != nil {
			return t, err
		}
		if mg.To.Silo {
			prov, err := m.provisioner(st.Tier)
			if err != nil {
				return t, err
			}
			if err := prov.Destroy(ctx, t); err != nil {
				return t, err
			}
		} else if _, err := m.dropHome(ctx, t.ID, mg.To); err != nil {
			return t, err
		}
	}
	mg.RolledBack = true
	st.Tier = mg.FromTier
	return t, nil
}

// thaw lifts a write freeze, if any.
func (m *Machine) thaw(ctx context.Context, tenantID string) error {
	t, err := m.Tenants.Get(ctx, tenantID)
	if err != nil || !t.WritesFrozen {
		return err
	}
	t.WritesFrozen = false
	_, err = m.save(ctx, t)
	return err
}

// stopKeyLog ends the logging of the tenant's writes by key (a rolled-back
// run; the switch ends it in its own write).
func (m *Machine) stopKeyLog(ctx context.Context, tenantID string) error {
	t, err := m.Tenants.Get(ctx, tenantID)
	if err != nil || t.KeyLogSince.IsZero() {
		return err
	}
	t.KeyLogSince = time.Time{}
	_, err = m.save(ctx, t)
	return err
}

// failMigration keeps a failed migration's tenant working in its old home:
// the freeze lifts, and the frozen steps are redone on retry.
func (m *Machine) failMigration(ctx context.Context, st *State) {
	if st.Phase != PhaseMigration || st.IsDone(StepSwitch) {
		return
	}
	if err := m.thaw(ctx, st.TenantID); err == nil {
		st.Done = slices.DeleteFunc(st.Done, func(r StepResult) bool { return slices.Contains(frozenSteps, r.Step) })
	}
}

// RetireExpired starts the runs whose old home's grace period is over, so
// their last step deletes it. Maintain calls it.
func (s *Service) RetireExpired(ctx context.Context) ([]string, error) {
	all, err := tenant.All(ctx, s.Tenants)
	if err != nil {
		return nil, fmt.Errorf("retire old homes: %w", err)
	}
	var started []string
	for _, t := range all {
		// A tenant moved to another cell is tombstoned here, its old home
		// waiting for the same retirement.
		if t.Status != tenant.StatusActive && t.Status != tenant.StatusDeleted {
			continue
		}
		st, err := s.States.Get(ctx, t.ID)
		if errs.Is(err, errs.KindNotFound) {
			continue
		}
		if err != nil {
			return started, err
		}
		if st.Phase != PhaseMigration || st.Waiting != StepRetire || st.Migration == nil || s.now().Before(st.Migration.RetireAfter) ||
			(t.Status == tenant.StatusDeleted && st.Migration.TargetCell == "") {
			continue
		}
		if err := s.Driver.Start(ctx, t.ID); err != nil && !errs.Is(err, errs.KindConflict) {
			return started, err
		}
		started = append(started, t.ID)
	}
	return started, nil
}

// The migration's steps.

func (m *Machine) migration(st *State) (*MigrationRecord, error) {
	if st.Migration == nil {
		return nil, errorf("migration of %s: no migration record", st.TenantID)
	}
	return st.Migration, nil
}

// provisionTarget places the tenant in its new tier's home. The users stay
// in their pool (the tenant stack's pool is recorded for their migration).
func (m *Machine) provisionTarget(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	dest, err := m.destination(mg)
	if err != nil {
		return t, err
	}
	prov, err := dest.provisioner(st.Tier)
	if err != nil {
		return t, err
	}
	target := t
	target.Tier = st.Tier
	pl, err := prov.Provision(ctx, target)
	if err != nil {
		return t, err
	}
	mg.To = Home{Table: pl.Table, Silo: tiers.MustGet(st.Tier).Isolation == tiers.Silo}
	if m.Files != nil {
		// The buckets of both homes' kind, in this cell or the other:
		// pooled (the tenant's prefix) or the tenant stacks' own. A tier
		// migration moves them between this cell's pooled bucket and the
		// tenant stack's; before, it left them behind.
		from := filesBucket(t.ID, mg.From.Silo, m.FilesBucket, m.SiloFiles)
		to := filesBucket(t.ID, mg.To.Silo, dest.files, dest.siloFiles)
		if from != "" && to != "" {
			mg.From.Files, mg.To.Files = from, to
		}
	}
	mg.TargetPool, mg.TargetIssuer, mg.TargetClients, mg.TargetDownloads = pl.UserPoolID, pl.Issuer, pl.ClientIDs, pl.Downloads
	mg.FromPool = t.UserPoolID
	if mg.FromPool == "" && t.Issuer == "" && m.Pooled != nil {
		// A pooled tenant registered before pools were recorded: the shared pool.
		if from, err := m.Pooled.Provision(ctx, t); err == nil {
			mg.FromPool = from.UserPoolID
		}
	}
	if mg.To.Table == mg.From.Table {
		return t, errorf("migration of %s: the new home is the old one (%s)", t.ID, pl.Table)
	}
	if err := m.pruneBeforeDowngrade(ctx, t, mg); err != nil {
		return t, err
	}
	if dest.cell != "" {
		return t, m.placeInCell(ctx, t, st, dest, pl)
	}
	return t, nil
}

// Stale accounts in the shared pool. A user who moved into a tenant's own
// pool (upgrade) leaves their shared-pool account behind, with the
// password and attributes of that day. Cognito calls the user-migration
// trigger only for users a pool does not know, so a later downgrade would
// sign such a user in with the stale account instead of moving the
// current one. Two clean-ups, both deleting only the shared-pool account
// of a user of this tenant who also exists in the tenant's own pool (a
// user who never moved keeps their shared account: it is their only, and
// current, one, and the own pool's trigger still moves them from it):
//   - when the upgrade's grace period ends (retire_old_home, the
//     background job that deletes the pooled copy);
//   - when a downgrade starts (provision_target) and again at the end of
//     catch_up, just before the freeze, for accounts the first clean-up
//     did not reach (a user who moved after it, tenants upgraded before
//     it existed). A user moving in the few seconds between catch_up and
//     the switch is moved from the shared account with the password just
//     checked, so their two accounts are the same.
//
// Deleting the shared account (rather than having the trigger prefer the
// tenant's pool) is the only design that works: the trigger never runs
// for a user the shared pool knows.

// pruneBeforeDowngrade deletes, for a downgrade into the shared pool, the
// shared-pool accounts of the tenant's users who live in its own pool.
func (m *Machine) pruneBeforeDowngrade(ctx context.Context, t tenant.Tenant, mg *MigrationRecord) error {
	if mg.TargetIssuer != "" || t.Issuer == "" || mg.TargetPool == "" || mg.TargetPool == t.UserPoolID {
		return nil // not a move into the shared pool
	}
	return m.pruneStale(ctx, t, mg.TargetPool, t.UserPoolID)
}

// pruneStale deletes from stalePool the accounts of t's users (its
// directory) that also exist in currentPool, both of tenant t.
func (m *Machine) pruneStale(ctx context.Context, t tenant.Tenant, stalePool, currentPool string) error {
	if m.Users == nil || m.Data == nil || stalePool == "" || currentPool == "" || stalePool == currentPool {
		return nil
	}
	return m.deleteAccounts(ctx, t, stalePool, func(name string) (bool, error) {
		cur, inCurrent, err := m.Users.TenantOf(ctx, currentPool, name)
		// Never moved (not in currentPool): the stale pool's account is
		// their current one.
		return inCurrent && cur == t.ID, err
	})
}

// deleteAccounts deletes from pool the accounts of tenant t's users (the
// names of its directory in t's home) that are t's there and, with moved
// set, that moved says have another, current account. Audited
// migration.stale_users_deleted.
func (m *Machine) deleteAccounts(ctx context.Context, t tenant.Tenant, pool string, moved func(name string) (bool, error)) error {
	names, err := m.Data.UserNames(ctx, t)
	if err != nil {
		return err
	}
	deleted := 0
	for _, name := range names {
		if moved != nil {
			ok, err := moved(name)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		old, inPool, err := m.Users.TenantOf(ctx, pool, name)
		if err != nil {
			return err
		}
		if !inPool || old != t.ID {
			continue
		}
		if err := m.Users.DeleteUser(ctx, pool, t.ID, name); err != nil {
			return err
		}
		deleted++
	}
	if deleted > 0 {
		m.audit(ctx, t.ID, "migration.stale_users_deleted", map[string]string{"pool": pool, "users": fmt.Sprint(deleted)})
	}
	return nil
}

func (m *Machine) copyItems(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	if t, err = m.startKeyLog(ctx, t); err != nil {
		return t, err
	}
	// The copy's read begins once the log covers every write (a request
	// admitted before the log began has landed Slack after it), so the
	// catch-up rounds after it read only logged keys.
	if log := m.keyLog(t); !log.Covers(time.Now()) {
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(time.Until(log.Since.Add(log.Slack))):
		}
	}
	n, _, err := m.Move.Sync(ctx, t.ID, mg.From, mg.To)
	if err != nil {
		return t, err
	}
	mg.Copied = n
	m.audit(ctx, t.ID, "migration.copied", map[string]string{"items": fmt.Sprint(n), "to": mg.To.Table})
	return t, m.syncFiles(ctx, t, mg)
}

// filesBucket is the bucket of a tenant's attachment objects in a home of
// a cell whose pooled bucket is pooled and whose tenant stacks' buckets
// silo names ("" when the cell's wiring names none).
func filesBucket(tenantID string, isSilo bool, pooled string, silo func(string) string) string {
	if !isSilo {
		return pooled
	}
	if silo == nil {
		return ""
	}
	return silo(tenantID)
}

// dropFiles deletes the tenant's objects in bucket, one of mg's homes,
// when mg moves them, and audits it as event ("": not audited).
func (m *Machine) dropFiles(ctx context.Context, tenantID string, mg *MigrationRecord, bucket, event string) error {
	if !m.movesFiles(mg) || bucket == "" {
		return nil
	}
	n, err := m.Files.DropFiles(ctx, tenantID, bucket)
	if err != nil {
		return err
	}
	if event != "" {
		m.audit(ctx, tenantID, event, map[string]string{"bucket": bucket, "objects": fmt.Sprint(n)})
	}
	return nil
}

// movesFiles says whether mg moves the tenant's attachment objects too.
func (m *Machine) movesFiles(mg *MigrationRecord) bool {
	return m.Files != nil && mg.From.Files != "" && mg.To.Files != "" && mg.From.Files != mg.To.Files
}

// syncFiles copies the tenant's objects the new home's bucket lacks (or
// holds another version of): in the copy, and again in the freeze for
// the uploads confirmed meanwhile.
func (m *Machine) syncFiles(ctx context.Context, t tenant.Tenant, mg *MigrationRecord) error {
	if !m.movesFiles(mg) {
		return nil
	}
	n, err := m.Files.SyncFiles(ctx, t.ID, mg.From.Files, mg.To.Files)
	if err != nil {
		return err
	}
	mg.FilesCopied += n
	m.audit(ctx, t.ID, "migration.files_copied", map[string]string{"objects": fmt.Sprint(n), "from": mg.From.Files, "to": mg.To.Files})
	return nil
}

// verifyFiles checks that both buckets hold the same objects of the
// tenant (key and size).
func (m *Machine) verifyFiles(ctx context.Context, t tenant.Tenant, mg *MigrationRecord) error {
	if !m.movesFiles(mg) {
		return nil
	}
	src, err := m.Files.ListFiles(ctx, t.ID, mg.From.Files)
	if err != nil {
		return err
	}
	dst, err := m.Files.ListFiles(ctx, t.ID, mg.To.Files)
	if err != nil {
		return err
	}
	if !maps.Equal(src, dst) {
		return errs.E(errs.KindUnprocessable, "verification_failed", "the buckets differ: %d objects of %s in %s, %d in %s",
			len(src), t.ID, mg.From.Files, len(dst), mg.To.Files)
	}
	return nil
}

func (m *Machine) catchUp(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	rounds, below := m.Migration.CatchUpRounds, m.Migration.CatchUpBelow
	if rounds <= 0 {
		rounds = 5
	}
	if below <= 0 {
		below = 100
	}
	mg.CatchUp, mg.CatchUpMS, mg.BarriersMS = nil, nil, nil
	d, drainer := m.Move.(Drainer)
	log := m.keyLog(t)
	var began time.Time // when the last round began reading
	var by []string     // how each round read the old home
	keys := 0
	round := func() (int, error) {
		began = time.Now()
		var n int
		var err error
		if drainer {
			var r Round
			r, err = d.CatchUp(ctx, t.ID, mg.From, mg.To, log)
			n, keys, by = r.Writes, keys+r.Keys, append(by, r.By)
		} else {
			n, _, err = m.Move.Sync(ctx, t.ID, mg.From, mg.To)
		}
		if err == nil {
			mg.CatchUp = append(mg.CatchUp, n)
			mg.CatchUpMS = append(mg.CatchUpMS, time.Since(began).Milliseconds())
			// Each round audited: the step records its rounds only when it
			// ends, and under load it lasts minutes (a round's writes, the
			// waves' barriers); Root and the move tests see it progress.
			detail := map[string]string{"round": fmt.Sprint(len(mg.CatchUp)), "writes": fmt.Sprint(n),
				"ms": fmt.Sprint(mg.CatchUpMS[len(mg.CatchUpMS)-1])}
			if drainer {
				detail["by"] = by[len(by)-1]
			}
			m.audit(ctx, t.ID, "migration.catch_up_round", detail)
		}
		return n, err
	}
	// Rounds until one writes fewer than below (at most rounds): each
	// reads the writes made during the one before, so they shrink.
	settle := func() error {
		for range rounds {
			n, err := round()
			if err != nil {
				return err
			}
			if n < below {
				break
			}
		}
		return nil
	}
	if err := settle(); err != nil {
		return t, err
	}
	// The drain reads only the keys logged since the last round began if
	// the log covers that round (it began Slack before: a write admitted
	// before the log began has landed by then). A tenant that copies in
	// less than the slack waits for it and catches up once more.
	if !log.Since.IsZero() && !log.Covers(began) {
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(time.Until(log.Since.Add(log.Slack))):
		}
		if _, err := round(); err != nil {
			return t, err
		}
	}
	if err := m.pruneBeforeDowngrade(ctx, t, mg); err != nil {
		return t, err
	}
	if !drainer {
		return t, nil
	}
	// The new home read whole now, not in the freeze; then one more round
	// (from the log: short), so the freeze drains only the writes made
	// since it rather than since before the check.
	if err := d.CheckTarget(ctx, t.ID, mg.To); err != nil {
		return t, err
	}
	// And the old home whole, against what the rounds know of it: the
	// log-driven rounds and drain trust the log only after this.
	unlogged, err := d.CheckSource(ctx, t.ID, mg.From, mg.To, log)
	if err != nil {
		return t, err
	}
	// The consumers, while the tenant still writes: a wave of barriers in
	// every partition key changed since the log began, then in those
	// changed since that wave, until a wave is small (at most 3), so the
	// freeze waits only for the keys changed after the last one.
	mg.BarrierAt, mg.Barriers, mg.FreezeBarriers, mg.SettleBarriers = time.Time{}, nil, 0, 0
	since := log.Since.Add(-log.Slack)
	wave := func() (*Barriers, error) {
		began := time.Now()
		b, err := m.awaitConsumers(ctx, t, mg, since, m.Migration.catchUpConsumerWait(), "migration.consumers_caught_up_before_freeze")
		if b != nil {
			mg.BarrierAt, mg.Barriers = b.At, append(mg.Barriers, b.Keys)
			mg.BarriersMS = append(mg.BarriersMS, time.Since(began).Milliseconds())
		}
		return b, err
	}
	for range 3 {
		b, err := wave()
		if err != nil {
			return t, err
		}
		if b == nil {
			break
		}
		since = b.At.Add(-log.Slack)
		if b.Keys < below {
			break
		}
	}
	// Then rounds again until one is small: the writes made during the
	// checks and waves (a minute of them under load, thousands of items:
	// one round of those left the drain seconds of writes to read again).
	// Then, if there are consumers, one more wave for the keys changed
	// during those rounds, so the freeze's wave covers only the last
	// seconds, and one last round (short: the writes made during that
	// wave), so the drain reads only the keys logged since it began.
	if err := settle(); err != nil {
		return t, err
	}
	if len(mg.Barriers) > 0 {
		b, err := wave()
		if err != nil {
			return t, err
		}
		if b != nil {
			if _, err := round(); err != nil {
				return t, err
			}
		}
	}
	m.audit(ctx, t.ID, "migration.caught_up", map[string]string{"rounds": fmt.Sprint(mg.CatchUp),
		"by": strings.Join(by, ","), "keys": fmt.Sprint(keys), "unlogged": fmt.Sprint(unlogged)})
	return t, nil
}

// startKeyLog has the tenant's writes logged by key from now on (the
// guard reads KeyLogSince; internal/keylog), if they are not already.
func (m *Machine) startKeyLog(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	if !t.KeyLogSince.IsZero() {
		return t, nil
	}
	t.KeyLogSince = time.Now() // the wall clock: the log's times are the API's
	return m.save(ctx, t)
}

// keyLog is the tenant's key log for the drain: since when, and how late a
// logged write may land (a request admitted by a guard whose cached home
// predates the log: the settle time and the cache's TTL, plus a second
// for the clocks of other processes).
func (m *Machine) keyLog(t tenant.Tenant) KeyLog {
	return KeyLog{Since: t.KeyLogSince, Slack: m.Migration.keyLogSlack()}
}

// KeyLogSlack is the key log's slack for a migration whose Settle option
// is settle: how long after the time its key was logged a write may land
// (keylog.Bound, through the settle, which is never shorter), plus the
// guard's cache time (a request admitted on a cached home that predates
// the log) and a second for the clocks of the processes that log (the
// API's) and read the log (the lifecycle's).
func KeyLogSlack(settle time.Duration) time.Duration {
	return MigrationOptions{Settle: settle}.keyLogSlack()
}

func (o MigrationOptions) keyLogSlack() time.Duration {
	return o.settleTime() + HomeCacheTTL + time.Second
}

func (m *Machine) settle() time.Duration { return m.Migration.settleTime() }

// settleTime is the freeze's wait, after the guards' cache time, for the
// writes admitted before it: at least keylog.Bound, past which a logged
// write has landed or failed (the key log's middleware gives it that
// deadline, and the guard admits each write anew: keylog.Target.Admit).
// A longer Settle (make web-e2e's, so the browser meets the freeze) is
// kept; a shorter one (tests) is not, since it would let the drain read
// before a write admitted just before the freeze lands, unless
// NoWriteInFlight says no write can be.
func (o MigrationOptions) settleTime() time.Duration {
	if o.NoWriteInFlight {
		return o.Settle
	}
	return max(o.Settle, keylog.Bound)
}

// freeze stops the tenant's writes, then waits for writes that passed the
// guard before to finish and for the stream consumers. Consumers that lag
// more than ConsumerWait in the freeze (a loaded machine, a burst of the
// tenant's writes just before) back the move off instead of failing it:
// the freeze is lifted, the consumers are waited for while the tenant
// writes (at most CatchUpConsumerWait, a wave from the last one passed),
// one catch-up round copies what was written meanwhile, and the freeze is
// tried again; the last of FreezeAttempts fails the step as before.
func (m *Machine) freeze(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	mg.FreezeBackoffs = 0
	for attempt := 1; ; attempt++ {
		t, err = m.freezeOnce(ctx, t, mg)
		if err == nil || attempt >= m.Migration.freezeAttempts() || errs.As(err).Code != CodeConsumersLagging {
			return t, err
		}
		if t, err = m.backOff(ctx, t, mg, attempt, err); err != nil {
			return t, err
		}
	}
}

// CodeConsumersLagging is the code of a wait for the stream consumers that
// ran out of time (StreamBarrier).
const CodeConsumersLagging = "stream_consumers_lagging"

// backOff lifts a freeze whose consumers lag, waits for them with the
// tenant writing, and catches up once more: what freeze does before its
// next attempt.
func (m *Machine) backOff(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, attempt int, lag error) (tenant.Tenant, error) {
	mg.FreezeBackoffs++
	m.audit(ctx, t.ID, "migration.freeze_backed_off", map[string]string{"attempt": fmt.Sprint(attempt), "error": lag.Error()})
	if err := m.thaw(ctx, t.ID); err != nil {
		return t, err
	}
	t, err := m.Tenants.Get(ctx, t.ID)
	if err != nil {
		return t, err
	}
	log := m.keyLog(t)
	since := log.Since
	if !mg.BarrierAt.IsZero() {
		since = mg.BarrierAt
	}
	b, err := m.awaitConsumers(ctx, t, mg, since.Add(-log.Slack), m.Migration.catchUpConsumerWait(), "migration.consumers_caught_up_after_backing_off")
	if err != nil {
		return t, err
	}
	if b != nil {
		mg.BarrierAt = b.At
	}
	// The writes made meanwhile, so the drain reads only those made
	// since this round began.
	if d, ok := m.Move.(Drainer); ok {
		began := time.Now()
		r, err := d.CatchUp(ctx, t.ID, mg.From, mg.To, log)
		if err != nil {
			return t, err
		}
		mg.CatchUp, mg.CatchUpMS = append(mg.CatchUp, r.Writes), append(mg.CatchUpMS, time.Since(began).Milliseconds())
	}
	return t, nil
}

// freezeOnce is one attempt of freeze.
func (m *Machine) freezeOnce(ctx context.Context, t tenant.Tenant, mg *MigrationRecord) (tenant.Tenant, error) {
	var err error
	if !t.WritesFrozen {
		t.WritesFrozen = true
		if t, err = m.save(ctx, t); err != nil {
			return t, err
		}
	}
	mg.FrozenAt = m.now()
	m.audit(ctx, t.ID, "migration.writes_frozen", nil)
	settle := m.settle() + HomeCacheTTL // guards that read the home just before the freeze
	// The keys changed since catch_up's wave (less the slack: a write
	// logged before it may land after it), or, without one, since the log
	// began: a first wave for them while the settle runs. Catch_up's last
	// wave may have waited long for lagging consumers (57 s in a bench
	// run), so these can be a minute of the tenant's writes; the wave
	// after the settle then covers only the keys changed since this one's
	// (the last seconds before the freeze and the writes in flight), and
	// the consumers are past the rest by then.
	log := m.keyLog(t)
	since := log.Since
	if !mg.BarrierAt.IsZero() {
		since = mg.BarrierAt
	}
	type waved struct {
		b   *Barriers
		err error
	}
	early := make(chan waved, 1)
	firstPut := time.Now() // the first wave is put after this
	go func() {
		b, err := m.awaitConsumers(ctx, t, mg, since.Add(-log.Slack), m.Migration.consumerWait(), "migration.consumers_caught_up_while_settling")
		early <- waved{b, err}
	}()
	// The freeze's rounds (since mig8): catch-up rounds from the key log
	// inside the freeze, each beside a wait, so the drain after them
	// writes only what changed since the last one read it. The first runs
	// during the settle (the writes since catch_up's last round began:
	// under load that round may have begun 10 s before the freeze); the
	// second once the settle is over, beside the second wave (the last
	// seconds before the freeze and the consumers' writes). Before, the
	// drain wrote everything logged since catch_up's last round began,
	// after the consumers' wait (1.45 s of a 4.94 s freeze at 1,000
	// issues, docs/performance.md). They do not shorten what the drain
	// reads (since mig9): every key logged since catch_up's last round
	// began, less the slack, as before the rounds. mig8's drain read only
	// the keys logged since the second round began, so a write that landed
	// after that round read it, later than the slack after its key was
	// logged (a loaded machine), was in no round and lost.
	mg.FreezeRounds, mg.FreezeRoundsMS = nil, nil
	rounded := make(chan error, 1)
	go func() { rounded <- m.freezeRound(ctx, t, mg, log) }()
	select {
	case <-ctx.Done():
		<-rounded // never leave a round running: the drain moves the same memo
		return t, ctx.Err()
	case <-time.After(settle):
	}
	// The second wave as soon as the settle is over (every write admitted
	// before the freeze has landed), without waiting for the first to be
	// acknowledged: it covers the keys logged since just before the first
	// was put, less the slack (a superset of "since the first was put"),
	// and both are waited for. Before (until mig7) it was put only once
	// the first was acknowledged, so a first wave that outlasted the
	// settle added the second's put and round trip to the freeze.
	// A first wave that has already run out fails this attempt without
	// putting the second (freeze backs off, then tries again).
	var first waved
	answered := false
	select {
	case first = <-early:
		answered = true
		if first.err != nil {
			<-rounded
			return t, first.err
		}
	default:
	}
	// The second round after the first (a first that outlasts the settle
	// does not hold the second wave up: it is put now).
	second := make(chan error, 1)
	go func() {
		if err := <-rounded; err != nil {
			second <- err
			return
		}
		second <- m.freezeRound(ctx, t, mg, log)
	}()
	began := time.Now()
	b, err := m.awaitConsumers(ctx, t, mg, firstPut.Add(-log.Slack), m.Migration.consumerWait(), "migration.consumers_caught_up")
	if !answered && err == nil {
		select {
		case <-ctx.Done():
		case first = <-early:
		}
	}
	consumers := time.Since(began)
	roundErr := <-second // never leave a round running: the drain moves the same memo
	if err == nil {
		err = cmp.Or(ctx.Err(), first.err, roundErr)
	}
	if err != nil || b == nil || first.b == nil {
		return t, err
	}
	mg.SettleBarriers = first.b.Keys
	mg.ConsumersMS = consumers.Milliseconds()
	mg.FreezeBarriers = b.Keys
	return t, nil
}

// freezeRound is one of the freeze's catch-up rounds (LoggedRounder):
// never a whole read of a home (without a memo or a covering log it does
// nothing, and the drain reads whole).
func (m *Machine) freezeRound(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, log KeyLog) error {
	lr, ok := m.Move.(LoggedRounder)
	if !ok {
		return nil
	}
	began := time.Now()
	r, done, err := lr.CatchUpLogged(ctx, t.ID, mg.From, mg.To, log)
	if err != nil || !done {
		return err
	}
	mg.FreezeRounds, mg.FreezeRoundsMS = append(mg.FreezeRounds, r.Writes), append(mg.FreezeRoundsMS, time.Since(began).Milliseconds())
	return nil
}

// awaitConsumers waits until the change stream's consumers have handled
// every change the tenant made before now in the partition keys logged
// since since: their writes for those changes (analytics, notifications,
// webhook deliveries, attachment records) land in the old home, logged,
// so the drain must start after them. A consumer lagging more than
// wait fails the step (the run fails, a freeze lifts; freeze backs off
// first: FreezeAttempts). Nil when
// there are no consumers to wait for.
func (m *Machine) awaitConsumers(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, since time.Time, wait time.Duration, action string) (*Barriers, error) {
	sb, ok := m.Move.(StreamBarrier)
	if !ok || len(m.Migration.StreamConsumers) == 0 {
		return nil, nil
	}
	began := time.Now()
	b, err := sb.AwaitConsumers(ctx, t.ID, mg.From, since, m.Migration.StreamConsumers, wait)
	if err != nil {
		return nil, err
	}
	m.audit(ctx, t.ID, action, map[string]string{"consumers": strings.Join(m.Migration.StreamConsumers, ","),
		"keys": fmt.Sprint(b.Keys), "ms": fmt.Sprint(time.Since(began).Milliseconds())})
	return &b, nil
}

func (m *Machine) drain(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	if !t.WritesFrozen {
		return t, errorf("drain of %s: writes are not frozen", t.ID)
	}
	mg.Target = nil
	if d, ok := m.Move.(Drainer); ok {
		res, err := d.Drain(ctx, t.ID, mg.From, mg.To, m.keyLog(t))
		if err != nil {
			return t, err
		}
		mg.Drained, mg.Source, mg.Target, mg.LastWrite = res.Writes, res.Source, res.Target, m.now()
		m.audit(ctx, t.ID, "migration.drained", map[string]string{"by": res.By, "keys": fmt.Sprint(res.Keys), "writes": fmt.Sprint(res.Writes)})
		return t, m.syncFiles(ctx, t, mg)
	}
	n, digest, err := m.Move.Sync(ctx, t.ID, mg.From, mg.To)
	if err != nil {
		return t, err
	}
	mg.Drained, mg.Source, mg.LastWrite = n, digest, m.now()
	return t, m.syncFiles(ctx, t, mg)
}

// verify compares the new home, family by family, with what the drain
// read of the old one (which nothing has written since): the new home as
// the drain knew it (a Drainer: checked whole before the freeze, plus the
// items the drain wrote, read back), or else read whole now.
func (m *Machine) verify(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	got := mg.Target
	if got == nil {
		if got, err = m.Move.Digest(ctx, t.ID, mg.To); err != nil {
			return t, err
		}
	}
	mg.Target = got
	if !maps.Equal(mg.Source, got) {
		var diff []string
		for _, f := range slices.Sorted(maps.Keys(union(mg.Source, got))) {
			if mg.Source[f] != got[f] {
				diff = append(diff, fmt.Sprintf("%s: %d items in %s, %d in %s", f, mg.Source[f].Items, mg.From.Table, got[f].Items, mg.To.Table))
			}
		}
		return t, errs.E(errs.KindUnprocessable, "verification_failed", "the homes differ: %v", diff)
	}
	if err := m.verifyFiles(ctx, t, mg); err != nil {
		return t, err
	}
	items := 0
	for _, d := range got {
		items += d.Items
	}
	m.audit(ctx, t.ID, "migration.verified", map[string]string{"items": fmt.Sprint(items), "families": fmt.Sprint(len(got))})
	return t, nil
}

func union(a, b map[string]FamilyDigest) map[string]FamilyDigest {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// switchHome names the new home and tier in the registry and lifts the
// freeze, in one write; the API key moves to the new tier's usage plan
// first (moving it again is harmless).
func (m *Machine) switchHome(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	if mg.TargetCell != "" {
		dest, err := m.destination(mg)
		if err != nil {
			return t, err
		}
		return m.switchCell(ctx, t, st, mg, dest)
	}
	if t.Table == mg.To.Table && t.Tier == st.Tier {
		// Switched before a crash, or before the directory write failed.
		return t, m.nameDirectoryPool(ctx, t, cmp.Or(t.UserPoolID, mg.TargetPool))
	}
	if t.APIKeyID != "" {
		if err := m.Keys.Move(ctx, t.APIKeyID, t.Tier, st.Tier); err != nil {
			return t, err
		}
	}
	since := m.homeSince(mg)
	now := m.now()
	t.Table, t.Tier, t.WritesFrozen, t.HomeSince, t.Downloads, t.KeyLogSince = mg.To.Table, st.Tier, false, since, mg.TargetDownloads, time.Time{}
	switchPool(&t, mg)
	if t, err = m.save(ctx, t); err != nil {
		return t, err
	}
	mg.SwitchAt, mg.FreezeMS, mg.RetireAfter = now, now.Sub(mg.FrozenAt).Milliseconds(), now.Add(m.grace())
	m.audit(ctx, t.ID, "migration.switched", map[string]string{"from": mg.From.Table, "to": mg.To.Table,
		"tier": string(st.Tier), "freeze_ms": fmt.Sprint(mg.FreezeMS)})
	// The directory entry names the new home's pool: the tenant's own
	// (into Platinum) or the shared one again (a downgrade), so the
	// workspace lookup sends its users to the pool that now serves them.
	// After the registry's switch: an entry naming a pool whose trigger
	// does not know the tenant yet would refuse their sign-ins. A failure
	// fails the step; its retry finds the registry switched and writes
	// the entry again (above).
	return t, m.nameDirectoryPool(ctx, t, cmp.Or(t.UserPoolID, mg.TargetPool))
}

// homeSince is when the new home becomes the tenant's: now. No wait: the
// change-stream consumers tell the migration's writes from the tenant's by
// their mark (keylog.ByMigration), not by the records' time.
func (m *Machine) homeSince(*MigrationRecord) time.Time { return m.now() }

// switchPool moves t to the migration's target pool when it is another
// one (a dedicated pool's issuer differs from the tenant's; the shared
// pool has none), remembering the pool it leaves. Its users follow one by
// one on their first sign-in through the target pool's user-migration
// trigger, which authenticates them in FormerPool; tokens of FormerPool
// get 403 session_moved from then on (internal/authorizer).
func switchPool(t *tenant.Tenant, mg *MigrationRecord) {
	if mg.TargetIssuer == t.Issuer {
		return // the same pool (tests that keep users in the shared pool)
	}
	t.FormerPool = &tenant.FormerPool{ID: cmp.Or(t.UserPoolID, mg.FromPool), Issuer: t.Issuer, ClientIDs: t.ClientIDs}
	t.UserPoolID, t.Issuer, t.ClientIDs = mg.TargetPool, mg.TargetIssuer, mg.TargetClients
}

// outliveCachedHomes waits, when the grace period was shorter, until no
// route guard can still hold the old home: one may keep a tenant's home
// for HomeCacheTTL after the switch, and a request that read it there may
// still be on its way to the table (the same second of slack the freeze
// keeps). Deleting the old home earlier answered such a read with a 500
// (its table gone) or a 404 (its items gone): the grace period is 24 h by
// default, but the tests' is a millisecond. The wait is bounded by
// HomeCacheTTL plus the slack whatever the clock says.
func (m *Machine) outliveCachedHomes(ctx context.Context, mg *MigrationRecord) error {
	const most = HomeCacheTTL + time.Second
	wait := min(mg.SwitchAt.Add(most).Sub(m.now()), most)
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retire deletes the old home once the grace period is over (ErrWaiting
// until then: RetireExpired starts the run again).
func (m *Machine) retire(ctx context.Context, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	mg, err := m.migration(st)
	if err != nil {
		return t, err
	}
	if m.now().Before(mg.RetireAfter) {
		// Right after a Platinum tenant's move switched (the run goes on
		// to this step; nothing else runs it before the grace period
		// ends but Root's retry of it), the users the target's trigger
		// cannot move are invited now, not when the grace period ends.
		if mg.TargetCell != "" && mg.From.Silo {
			if err := m.moveUnmoved(ctx, t, mg, true); err != nil {
				return t, err
			}
		}
		return t, ErrWaiting
	}
	if err := m.outliveCachedHomes(ctx, mg); err != nil {
		return t, err
	}
	if mg.TargetCell != "" {
		return m.retireCell(ctx, t, mg)
	}
	if t.Table == mg.From.Table {
		return t, errorf("retire of %s: the old home %s is its home again", t.ID, mg.From.Table)
	}
	if mg.From.Silo {
		// A downgrade: the tenant's own pool goes with its stack, so its
		// users who never signed in since are invited into the shared one
		// (inviteUnmoved), when it is a move into the shared pool.
		if t.Issuer == "" && t.UserPoolID != "" && t.UserPoolID != mg.FromPool {
			if err := m.inviteUnmoved(ctx, t, mg, ""); err != nil {
				return t, err
			}
		}
		old := t
		old.Tier = mg.FromTier
		prov, err := m.provisioner(mg.FromTier)
		if err != nil {
			return t, err
		}
		// The objects first: the stack's bucket is not deleted while it
		// holds any, so its destruction would fail.
		if err := m.dropFiles(ctx, t.ID, mg, mg.From.Files, "migration.old_files_deleted"); err != nil {
			return t, err
		}
		return t, prov.Destroy(ctx, old)
	}
	// An upgrade: the accounts its users left in the shared pool go too.
	if t.Issuer != "" && mg.FromPool != t.UserPoolID {
		if err := m.pruneStale(ctx, t, mg.FromPool, t.UserPoolID); err != nil {
			return t, err
		}
	}
	// The objects first: the items name them.
	if err := m.dropFiles(ctx, t.ID, mg, mg.From.Files, "migration.old_files_deleted"); err != nil {
		return t, err
	}
	n, err := m.dropHome(ctx, t.ID, mg.From)
	if err == nil {
		m.audit(ctx, t.ID, "migration.old_home_deleted", map[string]string{"table": mg.From.Table, "items": fmt.Sprint(n)})
	}
	return t, err
}

// dropHome deletes every item of the tenant in h, a home that is not its
// home (a retired old home, a rolled-back copy): without marking each item
// for deletion when the consumers can be waited for (Retirer), else with
// the mark (Drop).
func (m *Machine) dropHome(ctx context.Context, tenantID string, h Home) (int, error) {
	r, ok := m.Move.(Retirer)
	if !ok || len(m.Migration.StreamConsumers) == 0 {
		return m.Move.Drop(ctx, tenantID, h)
	}
	began := time.Now()
	n, b, err := r.Retire(ctx, tenantID, h, m.Migration.StreamConsumers, max(m.Migration.consumerWait(), RetireWait))
	if err == nil {
		m.audit(ctx, tenantID, "migration.consumers_passed_deletes", map[string]string{"table": h.Table,
			"consumers": strings.Join(m.Migration.StreamConsumers, ","), "keys": fmt.Sprint(b.Keys), "ms": fmt.Sprint(time.Since(began).Milliseconds())})
	}
	return n, err
}

// inviteUnmoved invites into t's pool every active user of t's directory
// (in t's home) who is not there: someone who did not sign in during a
// grace period, so the user-migration trigger never moved them, before
// the pool that holds their account is destroyed (a downgrade's or a
// Platinum tenant's move's old stack) or emptied (a move's old cell).
// Their password cannot move (Cognito never reveals one), so they get the
// platform's invitation mail with a temporary password and choose a new
// one on their first sign-in, as a new member would; their directory
// record, id and everything naming them stay (the authorizer finds a
// moved user by email). Disabled or leaving users are not invited; a user
// of another tenant in the pool under the same email is left alone and
// audited. A user who is the tenant's in from (a pool the trigger reads;
// "": none) is left to the trigger.
//
// A mail that fails after its account was created leaves the user in
// mg.Unmailed, recorded with the failed step: the account alone would
// pass for a user who moved. The retry invites them again (Invite sets a
// new temporary password on an account never signed in), once, counted
// in the audit's invited; a user whose mail went out is not mailed again
// (unless the retry itself fails after mailing them: its record is the
// one the failure leaves). Not covered: a run that dies between an
// account and its mail (the failure is never recorded). The code is
// small on purpose: the tenants function links it, with 28 bytes left
// before its next 64 KiB step (cmd/lambdafigures.Ceilings).
func (m *Machine) inviteUnmoved(ctx context.Context, t tenant.Tenant, mg *MigrationRecord, from string) error {
	finder, ok := m.Directory.(people.EmailFinder)
	if m.Users == nil || m.Data == nil || !ok || t.UserPoolID == "" {
		return nil
	}
	names, err := m.Data.UserNames(ctx, t)
	if err != nil {
		return err
	}
	invited, clashes := 0, 0
	for _, name := range names {
		owner, found, err := m.Users.TenantOf(ctx, t.UserPoolID, name)
		if err != nil {
			return err
		}
		if found && owner != t.ID {
			// Another tenant's user under that address: counted (before,
			// only a clash Invite met was; TenantOf found this one first).
			clashes++
			continue
		}
		lost := slices.Contains(mg.Unmailed, name)
		if found && !lost {
			continue // moved (or invited by a previous attempt)
		}
		if from != "" {
			if owner, found, err = m.Users.TenantOf(ctx, from, name); err != nil {
				return err
			} else if found && owner == t.ID {
				continue // the trigger moves them
			}
		}
		u, err := finder.ByEmail(tenancy.WithTenant(ctx, t.ID), t.Scope(), name)
		if errs.Is(err, errs.KindNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if u.Status != people.UserActive {
			continue
		}
		inv, err := m.Users.Invite(ctx, t.UserPoolID, identity.UserSpec{Email: name, TenantID: t.ID, Role: string(u.Role), Tier: string(t.Tier)})
		if errors.Is(err, identity.ErrOtherTenant) {
			clashes++
			continue
		}
		if err != nil {
			return err
		}
		if inv.TemporaryPassword != "" {
			if err := people.SendInvitation(ctx, m.Mail, m.WebBaseURL, t, name, string(u.Role), inv.TemporaryPassword); err != nil {
				if !lost {
					mg.Unmailed = append(mg.Unmailed, name)
				}
				return err
			}
			invited++
		}
	}
	mg.Unmailed = nil // every one handled
	if invited > 0 || clashes > 0 {
		m.audit(ctx, t.ID, "migration.users_invited", map[string]string{"pool": t.UserPoolID, "invited": fmt.Sprint(invited),
			"other_tenant": fmt.Sprint(clashes)})
	}
	return nil
}

package onboarding

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

type putOnly struct {
	tenant.Registry
	puts []tenant.Tenant
}

func (r *putOnly) Put(_ context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	r.puts = append(r.puts, t)
	return t, nil
}

type pools struct {
	calls []string
	err   error
}

func (p *pools) SetHome(_ context.Context, tenantID, cell string, tier tiers.Name, poolID, clientID string) error {
	p.calls = append(p.calls, tenantID+" "+cell+" "+string(tier)+" "+poolID+" "+clientID)
	return p.err
}

func (p *pools) Close(_ context.Context, tenantID, cell string) error {
	p.calls = append(p.calls, "close "+tenantID+" "+cell)
	return p.err
}

// Activating a tenant with a pool of its own names that pool in its
// directory entry first; a pooled tenant's entry keeps the shared pool; an
// entry that is missing or in another cell does not stop the activation,
// and any other failure does (the step is retried).
func TestActivationNamesAPlatinumTenantsOwnPoolInItsEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	platinum := tenant.Tenant{ID: "initech", Tier: tiers.Platinum, UserPoolID: "us-east-1_Initech", ClientIDs: []string{"initech-web"}}
	pooled := tenant.Tenant{ID: "acme", Tier: tiers.Basic, UserPoolID: "us-east-1_Shared", ClientIDs: []string{"shared-web"}}
	for _, tc := range []struct {
		name   string
		t      tenant.Tenant
		err    error
		calls  []string
		active bool
	}{
		{"platinum", platinum, nil, []string{"initech cell-2 platinum us-east-1_Initech initech-web"}, true},
		{"pooled", pooled, nil, nil, true},
		{"no entry", platinum, errs.NotFound("workspace"), []string{"initech cell-2 platinum us-east-1_Initech initech-web"}, true},
		{"entry in another cell", platinum, errs.Conflict("tenant_not_in_cell", "x"), []string{"initech cell-2 platinum us-east-1_Initech initech-web"}, true},
		{"directory unavailable", platinum, errors.New("throttled"), []string{"initech cell-2 platinum us-east-1_Initech initech-web"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, dir := &putOnly{}, &pools{err: tc.err}
			m := &Machine{Tenants: reg, PoolDirectory: dir, Cell: "cell-2", SharedPoolID: "us-east-1_Shared"}
			got, err := m.activate(ctx, tc.t, &State{})
			if (err == nil) != tc.active {
				t.Fatalf("activate: %v, want active %v", err, tc.active)
			}
			if len(dir.calls) != len(tc.calls) || (len(tc.calls) > 0 && dir.calls[0] != tc.calls[0]) {
				t.Errorf("directory calls %q, want %q", dir.calls, tc.calls)
			}
			if tc.active && (got.Status != tenant.StatusActive || len(reg.puts) != 1) {
				t.Errorf("status %s, %d saves", got.Status, len(reg.puts))
			}
			if !tc.active && len(reg.puts) != 0 {
				t.Error("saved active although the directory write failed")
			}
		})
	}
	t.Run("without a directory nothing is asked", func(t *testing.T) {
		m := &Machine{Tenants: &putOnly{}, SharedPoolID: "us-east-1_Shared"}
		if _, err := m.activate(ctx, platinum, &State{}); err != nil {
			t.Fatal(err)
		}
	})
}

// A tier migration's switch names the new home's pool in the tenant's
// directory entry, after the registry names it: into Platinum the tenant
// stack's own pool, back to a pooled tier the shared pool again. A failed
// directory write fails the step with the registry switched; the retry
// writes the entry without switching again. A missing entry, or one in
// another cell, does not stop the switch.
func TestATierMigrationsSwitchNamesTheNewPoolInTheDirectoryEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	pooled := tenant.Tenant{ID: "globex", Tier: tiers.Basic, Table: "app", UserPoolID: "us-east-1_Shared", ClientIDs: []string{"shared-web"}}
	platinum := tenant.Tenant{ID: "globex", Tier: tiers.Platinum, Table: "app-globex", UserPoolID: "us-east-1_Globex",
		Issuer: "https://cognito/us-east-1_Globex", ClientIDs: []string{"globex-web"}}
	up := func() *State {
		return &State{TenantID: "globex", Tier: tiers.Platinum, Migration: &MigrationRecord{FromTier: tiers.Basic, From: Home{Table: "app"},
			To: Home{Table: "app-globex", Silo: true}, TargetPool: platinum.UserPoolID, TargetIssuer: platinum.Issuer,
			TargetClients: platinum.ClientIDs, FromPool: pooled.UserPoolID, FrozenAt: past, LastWrite: past}}
	}
	down := func() *State {
		return &State{TenantID: "globex", Tier: tiers.Basic, Migration: &MigrationRecord{FromTier: tiers.Platinum, From: Home{Table: "app-globex", Silo: true},
			// The pooled provisioner names no client: the shared pool's is the machine's.
			To: Home{Table: "app"}, TargetPool: pooled.UserPoolID, FromPool: platinum.UserPoolID,
			FrozenAt: past, LastWrite: past}}
	}
	for _, tc := range []struct {
		name  string
		from  tenant.Tenant
		st    func() *State
		err   error
		calls []string
		ok    bool
	}{
		{"into Platinum", pooled, up, nil, []string{"globex cell-1 platinum us-east-1_Globex globex-web"}, true},
		{"back to a pooled tier", platinum, down, nil, []string{"globex cell-1 basic us-east-1_Shared shared-web"}, true},
		{"no entry", pooled, up, errs.NotFound("workspace"), []string{"globex cell-1 platinum us-east-1_Globex globex-web"}, true},
		{"entry in another cell", pooled, up, errs.Conflict("tenant_not_in_cell", "x"), []string{"globex cell-1 platinum us-east-1_Globex globex-web"}, true},
		{"directory unavailable", pooled, up, errors.New("throttled"), []string{"globex cell-1 platinum us-east-1_Globex globex-web"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, dir := &putOnly{}, &pools{err: tc.err}
			m := &Machine{Tenants: reg, PoolDirectory: dir, Cell: "cell-1", SharedPoolID: "us-east-1_Shared", SharedClientID: "shared-web"}
			st := tc.st()
			got, err := m.switchHome(ctx, tc.from, st)
			if (err == nil) != tc.ok {
				t.Fatalf("switch: %v, want ok %v", err, tc.ok)
			}
			if len(reg.puts) != 1 || reg.puts[0].Table != st.Migration.To.Table || reg.puts[0].Tier != st.Tier {
				t.Fatalf("registry writes %+v: want one, naming the new home", reg.puts)
			}
			if fmt.Sprint(dir.calls) != fmt.Sprint(tc.calls) {
				t.Errorf("directory calls %q, want %q", dir.calls, tc.calls)
			}
			if tc.ok {
				return
			}
			// The retry: the registry already names the new home.
			dir.err = nil
			if _, err := m.switchHome(ctx, reg.puts[0], st); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if len(reg.puts) != 1 {
				t.Errorf("the retry switched the registry again: %d writes", len(reg.puts))
			}
			if want := append(tc.calls, tc.calls...); fmt.Sprint(dir.calls) != fmt.Sprint(want) {
				t.Errorf("retry's directory calls %q, want %q", dir.calls, want)
			}
			_ = got
		})
	}
	t.Run("without a directory nothing is asked", func(t *testing.T) {
		m := &Machine{Tenants: &putOnly{}, SharedPoolID: "us-east-1_Shared"}
		if _, err := m.switchHome(ctx, pooled, up()); err != nil {
			t.Fatal(err)
		}
	})
}

// Offboarding's last step closes the tenant's directory entry before it
// writes the tombstone: a missing entry or one in another cell does not
// stop it, any other failure does (the step is retried, before the
// tombstone is written).
func TestTheTombstoneClosesTheTenantsDirectoryEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	acme := tenant.Tenant{ID: "acme", Tier: tiers.Premium, Status: tenant.StatusOffboarding, Table: "app"}
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"closed", nil, true},
		{"no entry", errs.NotFound("workspace"), true},
		{"entry in another cell", errs.Conflict("tenant_not_in_cell", "x"), true},
		{"directory unavailable", errors.New("throttled"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, dir := &putOnly{}, &pools{err: tc.err}
			m := &Machine{Tenants: reg, PoolDirectory: dir, Cell: "cell-2"}
			got, err := m.tombstone(ctx, acme, &State{})
			if (err == nil) != tc.ok {
				t.Fatalf("tombstone: %v, want ok %v", err, tc.ok)
			}
			if want := []string{"close acme cell-2"}; fmt.Sprint(dir.calls) != fmt.Sprint(want) {
				t.Errorf("directory calls %q, want %q", dir.calls, want)
			}
			if tc.ok && (got.Status != tenant.StatusDeleted || len(reg.puts) != 1) {
				t.Errorf("status %s, %d saves", got.Status, len(reg.puts))
			}
			if !tc.ok && len(reg.puts) != 0 {
				t.Error("tombstoned although the directory write failed")
			}
		})
	}
	t.Run("without a directory nothing is asked", func(t *testing.T) {
		if _, err := (&Machine{Tenants: &putOnly{}}).tombstone(ctx, acme, &State{}); err != nil {
			t.Fatal(err)
		}
	})
}

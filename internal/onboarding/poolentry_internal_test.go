package onboarding

import (
	"context"
	"errors"
	"testing"

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

func (p *pools) SetPool(_ context.Context, tenantID, cell, poolID, clientID string) error {
	p.calls = append(p.calls, tenantID+" "+cell+" "+poolID+" "+clientID)
	return p.err
}

// Activating a tenant with a pool of its own names that pool in its
// directory entry first; a pooled tenant's entry keeps the shared pool; an
// entry that is missing or in another cell does not stop the activation,
// and any other failure does (the step is retried).
func TestActivationNamesAPlatinumTenantsOwnPoolInItsEntry(t *testing.T) {
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
		{"platinum", platinum, nil, []string{"initech cell-2 us-east-1_Initech initech-web"}, true},
		{"pooled", pooled, nil, nil, true},
		{"no entry", platinum, errs.NotFound("workspace"), []string{"initech cell-2 us-east-1_Initech initech-web"}, true},
		{"entry in another cell", platinum, errs.Conflict("tenant_not_in_cell", "x"), []string{"initech cell-2 us-east-1_Initech initech-web"}, true},
		{"directory unavailable", platinum, errors.New("throttled"), []string{"initech cell-2 us-east-1_Initech initech-web"}, false},
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

package tenantdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTenant(id string) tenant.Tenant {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return tenant.Tenant{ID: id, Name: "Acme " + id, Tier: tiers.Standard, Status: tenant.StatusActive,
		Table: "x-app", APIKey: "key-" + id, CreatedAt: now, UpdatedAt: now}
}

func TestRegistry(t *testing.T) {
	db, names := testenv.Tables(t)
	s := tenantdb.New(db, names)
	ctx := context.Background()

	t.Run("a created tenant reads back whole", func(t *testing.T) {
		want := newTenant("acme")
		want.Branding = tenant.Branding{DisplayName: "ACME", PrimaryColor: "#ff0000"}
		require.NoError(t, s.Create(ctx, want))
		got, err := s.Get(ctx, "acme")
		require.NoError(t, err)
		want.Version = 1
		assert.Equal(t, want, got)
	})
	t.Run("a second tenant with the same id is a conflict", func(t *testing.T) {
		err := s.Create(ctx, newTenant("acme"))
		assert.True(t, errs.Is(err, errs.KindConflict), "got %v", err)
	})
	t.Run("an unknown tenant is not found", func(t *testing.T) {
		_, err := s.Get(ctx, "nobody")
		assert.True(t, errs.Is(err, errs.KindNotFound), "got %v", err)
	})
	t.Run("put with a stale version fails and changes nothing", func(t *testing.T) {
		cur, err := s.Get(ctx, "acme")
		require.NoError(t, err)
		cur.Status = tenant.StatusSuspended
		updated, err := s.Put(ctx, cur)
		require.NoError(t, err)
		assert.Equal(t, int64(2), updated.Version)
		cur.Status = tenant.StatusDeleted // cur still has version 1
		_, err = s.Put(ctx, cur)
		assert.True(t, errs.Is(err, errs.KindPreconditionFailed), "got %v", err)
		got, _ := s.Get(ctx, "acme")
		assert.Equal(t, tenant.StatusSuspended, got.Status)
	})
	t.Run("a dedicated pool's issuer finds its tenant and belongs to one tenant only", func(t *testing.T) {
		p := newTenant("plat")
		p.Tier, p.Issuer, p.ClientIDs = tiers.Platinum, "http://localhost:9229/pool_plat", []string{"c1"}
		require.NoError(t, s.Create(ctx, p))
		got, err := s.ByIssuer(ctx, p.Issuer)
		require.NoError(t, err)
		assert.Equal(t, "plat", got.ID)
		q := newTenant("thief")
		q.Issuer = p.Issuer
		assert.True(t, errs.Is(s.Create(ctx, q), errs.KindConflict))
		_, err = s.ByIssuer(ctx, "http://localhost:9229/other")
		assert.True(t, errs.Is(err, errs.KindNotFound))
	})
	t.Run("list pages through every tenant once", func(t *testing.T) {
		for i := range 5 {
			require.NoError(t, s.Create(ctx, newTenant(fmt.Sprintf("page%02d", i))))
		}
		seen := map[string]int{}
		cursor := ""
		for {
			pg, err := s.List(ctx, list.Request{Limit: 2, Cursor: cursor})
			require.NoError(t, err)
			ts, next := pg.Items, pg.NextCursor
			for _, tn := range ts {
				seen[tn.ID]++
			}
			if next == "" {
				break
			}
			cursor = next
		}
		assert.Len(t, seen, 7)
		for id, n := range seen {
			assert.Equal(t, 1, n, id)
		}
	})
}

// The workspace function may write a tenant's branding and nothing else
// (internal/access limits its UpdateItem to schema.BrandingAttributes): the
// store's branding change must name no other attribute, even when handed a
// tenant whose tier or status differ from the stored one.
func TestSetBrandingWritesTheBrandingAttributesOnly(t *testing.T) {
	db, names := testenv.Tables(t)
	s := tenantdb.New(db, names)
	ctx := context.Background()
	require.NoError(t, s.Create(ctx, newTenant("brand")))
	cur, err := s.Get(ctx, "brand")
	require.NoError(t, err)

	changed := cur
	changed.Branding = tenant.Branding{DisplayName: "Brand Co", PrimaryColor: "#123456"}
	changed.UpdatedAt = cur.UpdatedAt.Add(time.Minute)
	changed.Tier, changed.Status, changed.APIKey = tiers.Premium, tenant.StatusSuspended, "stolen"
	got, err := s.SetBranding(ctx, changed)
	require.NoError(t, err)
	assert.Equal(t, cur.Version+1, got.Version)

	stored, err := s.Get(ctx, "brand")
	require.NoError(t, err)
	want := cur
	want.Branding, want.UpdatedAt, want.Version = changed.Branding, changed.UpdatedAt, cur.Version+1
	assert.Equal(t, want, stored, "only branding, updated_at and version may change")

	_, err = s.SetBranding(ctx, changed) // changed still carries the old version
	assert.True(t, errs.Is(err, errs.KindPreconditionFailed), "got %v", err)
}

package tenantdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walk pages through the tenants table with pages of size, returning the ids in order.
func walk(t *testing.T, s *tenantdb.Store, l tenant.Listing, size int) []string {
	t.Helper()
	var ids []string
	for cursor, n := "", 0; ; n++ {
		require.Less(t, n, 50, "too many pages")
		pg, err := s.Rows(context.Background(), l, list.Request{Limit: size, Cursor: cursor})
		require.NoError(t, err)
		for _, r := range pg.Items {
			ids = append(ids, r.ID)
		}
		if cursor = pg.NextCursor; cursor == "" {
			return ids
		}
	}
}

func TestTheTenantsTableSortsSearchesAndPagesOnTheServer(t *testing.T) {
	db, names := testenv.Tables(t)
	s := tenantdb.New(db, names)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(id, name string, tier tiers.Name, status tenant.Status, day int) {
		tn := tenant.Tenant{ID: id, Name: name, Tier: tier, Status: status, Table: "x-app",
			CreatedAt: base.AddDate(0, 0, day), UpdatedAt: base}
		require.NoError(t, s.Create(ctx, tn))
	}
	add("zeta", "Aardvark Labs", tiers.Premium, tenant.StatusActive, 3)
	add("acme", "Acme Corp", tiers.Basic, tenant.StatusActive, 1)
	add("beta", "beta works", tiers.Platinum, tenant.StatusSuspended, 5)
	add("acorn", "Zebra Acme", tiers.Standard, tenant.StatusActive, 2)
	add("gamma", "Gamma", tiers.Standard, tenant.StatusPendingApproval, 4)
	require.NoError(t, s.SetUsers(ctx, "acme", 7))
	require.NoError(t, s.SetUsers(ctx, "beta", 40))
	require.NoError(t, s.SetUsers(ctx, "zeta", 3))
	require.NoError(t, s.SetMRR(ctx, "beta", 99900))
	require.NoError(t, s.SetMRR(ctx, "zeta", 4900))

	cases := []struct {
		name string
		l    tenant.Listing
		want []string
	}{
		{"by name, any case", tenant.Listing{Order: tenant.OrderName}, []string{"zeta", "acme", "beta", "gamma", "acorn"}},
		{"by name descending", tenant.Listing{Order: tenant.OrderName, Desc: true}, []string{"acorn", "gamma", "beta", "acme", "zeta"}},
		{"newest first", tenant.Listing{Order: tenant.OrderCreated, Desc: true}, []string{"beta", "gamma", "zeta", "acorn", "acme"}},
		{"by tier in catalog order", tenant.Listing{Order: tenant.OrderTier}, []string{"acme", "acorn", "gamma", "zeta", "beta"}},
		{"by status", tenant.Listing{Order: tenant.OrderStatus}, []string{"acme", "acorn", "zeta", "gamma", "beta"}},
		{"most users first", tenant.Listing{Order: tenant.OrderUsers, Desc: true}, []string{"beta", "acme", "zeta", "gamma", "acorn"}},
		{"highest MRR first", tenant.Listing{Order: tenant.OrderMRR, Desc: true}, []string{"beta", "zeta", "gamma", "acorn", "acme"}},
		{"by users, active only", tenant.Listing{Order: tenant.OrderUsers, Status: tenant.StatusActive}, []string{"acorn", "zeta", "acme"}},
		{"a name prefix, any case", tenant.Listing{Search: "ACM"}, []string{"acme"}},
		{"a name or id prefix: acorn by its id, acme once though both match", tenant.Listing{Search: "ac"}, []string{"acme", "acorn"}},
		{"an id prefix", tenant.Listing{Search: "zet"}, []string{"zeta"}},
		{"a word inside a name is not a prefix", tenant.Listing{Search: "labs"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 100} {
				assert.Equal(t, c.want, walk(t, s, c.l, size), "page size %d", size)
			}
		})
	}

	t.Run("a row carries the tenant, its users and its MRR", func(t *testing.T) {
		pg, err := s.Rows(ctx, tenant.Listing{Search: "beta"}, list.Request{Limit: 10})
		require.NoError(t, err)
		require.Len(t, pg.Items, 1)
		r := pg.Items[0]
		assert.Equal(t, "beta works", r.Name)
		assert.Equal(t, tenant.StatusSuspended, r.Status)
		assert.Equal(t, 40, r.Users)
		assert.Equal(t, int64(99900), r.MRRCents)
	})

	t.Run("a change of the tenant moves its rows", func(t *testing.T) {
		cur, err := s.Get(ctx, "gamma")
		require.NoError(t, err)
		cur.Name, cur.Tier, cur.Status = "Alpha Gamma", tiers.Basic, tenant.StatusActive
		_, err = s.Put(ctx, cur)
		require.NoError(t, err)
		assert.Equal(t, []string{"zeta", "acme", "gamma"}, walk(t, s, tenant.Listing{Order: tenant.OrderName}, 2)[:3])
		assert.Equal(t, []string{"acme", "gamma"}, walk(t, s, tenant.Listing{Order: tenant.OrderTier}, 2)[:2])
		assert.Equal(t, []string{"gamma"}, walk(t, s, tenant.Listing{Search: "alpha"}, 2))
		assert.Empty(t, walk(t, s, tenant.Listing{Search: "gamma"}, 2)[1:], "the id still matches, the old name is gone")
	})

	t.Run("a tenant without a name sorts by its id, as the console shows it", func(t *testing.T) {
		// An offboarded tenant's tombstone keeps its id but not its name.
		tn := tenant.Tenant{ID: "delta", Tier: tiers.Basic, Status: tenant.StatusDeleted, CreatedAt: base}
		require.NoError(t, s.Create(ctx, tn))
		ids := walk(t, s, tenant.Listing{Order: tenant.OrderName}, 2)
		assert.Equal(t, []string{"zeta", "acme", "gamma", "beta", "delta", "acorn"}, ids)
	})

	t.Run("a cursor of one order is refused by another", func(t *testing.T) {
		pg, err := s.Rows(ctx, tenant.Listing{Order: tenant.OrderName}, list.Request{Limit: 1})
		require.NoError(t, err)
		_, err = s.Rows(ctx, tenant.Listing{Order: tenant.OrderUsers}, list.Request{Limit: 1, Cursor: pg.NextCursor})
		assert.ErrorContains(t, err, "cursor")
	})

	t.Run("refresh indexes a tenant that has no rows", func(t *testing.T) {
		// A tenant as stored before the rows existed: refresh writes them all.
		tn := tenant.Tenant{ID: "older", Name: "Older Inc", Tier: tiers.Basic, Status: tenant.StatusActive, CreatedAt: base}
		require.NoError(t, s.Create(ctx, tn))
		for _, sk := range []string{"ROW#name", "ROW#created", "ROW#tier", "ROW#status", "ROW#users", "ROW#mrr", "ROW#search-name", "ROW#search-id"} {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(names.Control()), Key: dynamo.Key("TENANT#older", sk)})
			require.NoError(t, err)
		}
		assert.NotContains(t, walk(t, s, tenant.Listing{Order: tenant.OrderName}, 10), "older")
		require.NoError(t, s.Refresh(ctx, tn, 12, 0))
		assert.Equal(t, []string{"older"}, walk(t, s, tenant.Listing{Search: "old"}, 10))
		ids := walk(t, s, tenant.Listing{Order: tenant.OrderUsers, Desc: true}, 3)
		assert.Equal(t, []string{"beta", "older", "acme"}, ids[:3])
	})
}

func TestParseListing(t *testing.T) {
	l, err := tenant.ParseListing("", "", "")
	require.NoError(t, err)
	assert.Equal(t, tenant.Listing{Order: tenant.OrderCreated, Desc: true}, l, "newest first by default")
	l, err = tenant.ParseListing(" acme ", "", "active")
	require.NoError(t, err)
	assert.Equal(t, tenant.Listing{Search: "acme", Status: tenant.StatusActive}, l)
	for _, bad := range [][3]string{{"", "price", ""}, {"", "--name", ""}, {"a", "name", ""}, {"", "", "happy"}} {
		_, err := tenant.ParseListing(bad[0], bad[1], bad[2])
		assert.Error(t, err, "%q", bad)
	}
}

package tenantdata_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// The freeze's rounds (CatchUpLogged) copy what they read, but they do not
// move the drain's window: a write whose key was logged before the freeze
// and that lands only after the rounds read that key (later than the
// slack: a loaded machine, a request retried by the SDK) is still drained,
// since the drain reads every key logged since catch-up's last round
// began, less the slack, as before the rounds existed. Until mig9 each
// round moved the memo's read on, the drain read only the keys logged
// since the second round began, and such a write was lost: an
// acknowledged issue missing after a Platinum tenant's cell move (CI of
// a fresh clone), while verify passed (both digests came from the memo).
// All four directions: pooled -> Platinum, Platinum -> pooled, and the
// cell moves pooled -> pooled and Platinum -> Platinum (files renamed to
// the new cell's bucket).
func TestTheDrainCopiesAWriteThatLandsAfterTheFreezesRounds(t *testing.T) {
	t.Parallel()
	db, names := testenv.Tables(t)
	ctx := context.Background()
	for _, c := range fourMoves(t, db, names) {
		t.Run(c.name, func(t *testing.T) {
			from, to := c.from(c.tenant), c.to(c.tenant)
			if !c.cellMove {
				from.Files, to.Files = "", ""
			}
			base := tenancy.WithTenant(ctx, c.tenant)
			p := schema.TenantKeyPrefix(c.tenant)
			const slack = 50 * time.Millisecond
			// A write logged at `at` (keylog.Target.Now): the key log says
			// when the write's key was logged, whenever the write lands.
			write := func(at time.Time, pk, sk string) error {
				target := &keylog.Target{Tenant: c.tenant, Table: from.Table, DB: db}
				if !at.IsZero() {
					target.Now = func() time.Time { return at }
				}
				it := every(pk, sk)
				if c.cellMove && sk == "FILE" {
					it[tenantdata.BucketAttribute] = &types.AttributeValueMemberS{Value: from.Files}
				}
				_, err := db.PutItem(keylog.With(base, target), &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: it})
				return err
			}
			for i := range 5 {
				require.NoError(t, write(time.Time{}, fmt.Sprintf("%sISSUE#%02d", p, i), "META"))
			}
			require.NoError(t, write(time.Time{}, p+"ISSUE#00", "FILE"))
			log := onboarding.KeyLog{Since: time.Now().Add(-time.Minute), Slack: slack}
			s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
			_, _, err := s.Sync(base, c.tenant, from, to)
			require.NoError(t, err)
			require.NoError(t, s.CheckTarget(base, c.tenant, to))
			// catch_up's last round, then writes while the tenant still
			// writes: one that lands at once, and one whose key is logged
			// now but which lands only after both freeze rounds.
			_, err = s.CatchUp(base, c.tenant, from, to, log)
			require.NoError(t, err)
			require.NoError(t, write(time.Time{}, p+"ISSUE#10", "META"))
			late := time.Now()
			time.Sleep(3 * slack) // the rounds begin more than the slack after it

			// The freeze's rounds: the first copies ISSUE#10; the late
			// write has not landed when either reads.
			r, ok, err := s.CatchUpLogged(base, c.tenant, from, to, log)
			require.NoError(t, err)
			require.True(t, ok, "a round from the key log")
			assert.Equal(t, 1, r.Writes, "the first freeze round copies the write that landed")
			time.Sleep(3 * slack)
			_, ok, err = s.CatchUpLogged(base, c.tenant, from, to, log)
			require.NoError(t, err)
			require.True(t, ok)
			// Lands now, logged before the rounds; unless the rounds took
			// longer than keylog.Bound (a loaded machine): then the write,
			// bounded from its log time, fails unsent (not acknowledged).
			lateErr := write(late, p+"ISSUE#11", "META")
			if lateErr != nil {
				require.ErrorIs(t, lateErr, context.DeadlineExceeded)
				t.Logf("the rounds outlasted keylog.Bound: the late write was given up: %v", lateErr)
			}

			res, err := s.Drain(base, c.tenant, from, to, log)
			require.NoError(t, err)
			assert.Equal(t, onboarding.DrainKeyLog, res.By)
			if lateErr == nil {
				assert.Equal(t, 1, res.Writes, "the drain copies the late write, and only it (the rounds copied the rest)")
			}
			oldWhole, err := s.Digest(base, c.tenant, from)
			require.NoError(t, err)
			newWhole, err := s.Digest(base, c.tenant, to)
			require.NoError(t, err)
			assert.Equal(t, res.Source, res.Target, "verify's comparison")
			assert.Equal(t, newWhole, res.Target, "the drain's digest of the new home is a whole read's")
			if !c.cellMove {
				assert.Equal(t, oldWhole, newWhole, "the new home holds every write")
			}
			for fam, d := range oldWhole { // a cell move names the new cell's bucket in file records
				assert.Equal(t, d.Items, newWhole[fam].Items, "%s: the new home holds every write", fam)
			}
			got, err := db.GetItem(base, &dynamodb.GetItemInput{TableName: aws.String(to.Table), ConsistentRead: aws.Bool(true),
				Key: map[string]av{schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#11"}, schema.SK: &types.AttributeValueMemberS{Value: "META"}}})
			require.NoError(t, err)
			if lateErr == nil {
				assert.NotEmpty(t, got.Item, "the late write, acknowledged, is in the new home")
			} // else given up after it was sent, it may have landed or not: the homes agree either way (above)
		})
	}
}

// aMove is one direction of a tenant's move between homes.
type aMove struct {
	name, tenant string
	from, to     func(tenantID string) onboarding.Home
	cellMove     bool
}

// fourMoves are the four directions a tenant moves in (pooled ->
// Platinum, Platinum -> pooled, and the cell moves pooled -> pooled and
// Platinum -> Platinum, which rename files' bucket), on tables of db.
func fourMoves(t *testing.T, db *dynamodb.Client, names schema.Names) []aMove {
	ctx := context.Background()
	silo := func(cell, tenantID string) onboarding.Home {
		h := onboarding.Home{Table: fmt.Sprintf("%s-%s-tenant-%s", names.App(), cell, tenantID), Silo: true, Files: cell + "-" + tenantID + "-files"}
		require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, h.Table))
		return h
	}
	pooled := func(cell string) onboarding.Home {
		h := onboarding.Home{Table: names.App() + "-" + cell, Files: cell + "-attachments"}
		require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, h.Table))
		return h
	}
	return []aMove{
		{"pooled to Platinum", "up", func(string) onboarding.Home { return pooled("c1") }, func(id string) onboarding.Home { return silo("c1", id) }, false},
		{"Platinum to pooled", "down", func(id string) onboarding.Home { return silo("c1", id) }, func(string) onboarding.Home { return pooled("c1") }, false},
		{"pooled cell move", "cellp", func(string) onboarding.Home { return pooled("c1") }, func(string) onboarding.Home { return pooled("c2") }, true},
		{"Platinum cell move", "cells", func(id string) onboarding.Home { return silo("c1", id) }, func(id string) onboarding.Home { return silo("c2", id) }, true},
	}
}

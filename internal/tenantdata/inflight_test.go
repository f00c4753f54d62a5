package tenantdata_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// A write whose key is logged long before it lands (issue 17's in-flight
// gap): the API logs a write's keys once, before the SDK's first attempt,
// and attempts and retries may take seconds under load. Here the write is
// held between its key log entry and its sending (a middleware after the
// key log's) until a catch-up round that begins more than the slack after
// the log entry has read the key and found nothing; the freeze's rounds
// and the drain then read only keys logged since that round began, less
// the slack. Were the write to land after that round, it would be in no
// round and not in the drain, and verify would agree (both digests come
// from the memo): an acknowledged write lost. So every acknowledged write
// must be in the new home and both homes equal, read whole. The slack is
// the migration's own (onboarding.KeyLogSlack with production's settle).
// Four directions (the cell moves rename files' bucket on the way).
func TestAWriteHeldLongerThanTheSlackAfterItsKeyWasLoggedIsNotLost(t *testing.T) {
	t.Parallel()
	db, names := testenv.Tables(t)
	ctx := context.Background()
	slack := onboarding.KeyLogSlack(0)
	for _, c := range fourMoves(t, db, names) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			from, to := c.from(c.tenant), c.to(c.tenant)
			if !c.cellMove {
				from.Files, to.Files = "", ""
			}
			base := tenancy.WithTenant(ctx, c.tenant)
			p := schema.TenantKeyPrefix(c.tenant)
			logged := keylog.With(base, &keylog.Target{Tenant: c.tenant, Table: from.Table, DB: db})
			put := func(ctx context.Context, pk, sk string, opts ...func(*dynamodb.Options)) error {
				it := every(pk, sk)
				if c.cellMove && sk == "FILE" {
					it[tenantdata.BucketAttribute] = &types.AttributeValueMemberS{Value: from.Files}
				}
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: it}, opts...)
				return err
			}
			for i := range 5 {
				require.NoError(t, put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "META"))
			}
			require.NoError(t, put(base, p+"ISSUE#00", "FILE"))
			log := onboarding.KeyLog{Since: time.Now().Add(-time.Hour), Slack: slack}
			s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
			_, _, err := s.Sync(base, c.tenant, from, to)
			require.NoError(t, err)
			require.NoError(t, s.CheckTarget(base, c.tenant, to))

			// The held write: its key is logged now, then it waits (after
			// the key log's middleware, before the SDK sends it) until
			// released or its context ends.
			release := make(chan struct{})
			loggedAt := make(chan time.Time, 1)
			hold := func(o *dynamodb.Options) {
				o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
					return st.Initialize.Add(middleware.InitializeMiddlewareFunc("HoldTheWrite",
						func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
							loggedAt <- time.Now()
							select {
							case <-release:
							case <-ctx.Done():
								return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
							}
							return next.HandleInitialize(ctx, in)
						}), middleware.After)
				})
			}
			held := make(chan error, 1)
			go func() { held <- put(logged, p+"ISSUE#20", "META", hold) }()
			at := <-loggedAt

			// catch_up's rounds while it is held: one at once, which reads
			// the key (logged since the Sync began) and finds nothing, and
			// the last one more than the slack after the key was logged,
			// which reads it again (logged since the previous round began,
			// less the slack) and still finds nothing.
			_, err = s.CatchUp(base, c.tenant, from, to, log)
			require.NoError(t, err)
			time.Sleep(time.Until(at.Add(slack + 100*time.Millisecond)))
			r, err := s.CatchUp(base, c.tenant, from, to, log)
			require.NoError(t, err)
			require.Equal(t, onboarding.DrainKeyLog, r.By)
			assert.Equal(t, 1, r.Keys, "the last round read the held write's key")
			close(release)
			werr := <-held // lands now, if it was not given up on

			// The freeze: its rounds, then the drain.
			for range 2 {
				_, ok, err := s.CatchUpLogged(base, c.tenant, from, to, log)
				require.NoError(t, err)
				require.True(t, ok)
			}
			res, err := s.Drain(base, c.tenant, from, to, log)
			require.NoError(t, err)
			assert.Equal(t, onboarding.DrainKeyLog, res.By)
			assert.Equal(t, res.Source, res.Target, "verify's comparison")

			got, err := db.GetItem(base, &dynamodb.GetItemInput{TableName: aws.String(to.Table), ConsistentRead: aws.Bool(true),
				Key: map[string]av{schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#20"}, schema.SK: &types.AttributeValueMemberS{Value: "META"}}})
			require.NoError(t, err)
			if werr == nil {
				assert.NotEmpty(t, got.Item, "the write held %s after its key was logged was acknowledged: it must be in the new home", slack)
			} else {
				t.Logf("the held write failed (not acknowledged): %v", werr)
				assert.Empty(t, got.Item, "a write that failed is in no home")
			}
			oldWhole, err := s.Digest(base, c.tenant, from)
			require.NoError(t, err)
			newWhole, err := s.Digest(base, c.tenant, to)
			require.NoError(t, err)
			assert.Equal(t, newWhole, res.Target, "the drain's digest of the new home is a whole read's")
			for fam, d := range oldWhole { // a cell move names the new cell's bucket in file records
				assert.Equal(t, d.Items, newWhole[fam].Items, "%s: the new home holds what the old one does", fam)
			}
			if !c.cellMove {
				assert.Equal(t, oldWhole, newWhole, "both homes read whole are equal")
			}
		})
	}
}

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
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// The freeze's drain reads the old home only: after a Sync and a
// CheckTarget (before the freeze), Drain writes the last changes (an
// added item, an updated one, a deleted one) and returns digests that say
// both homes are equal, which a whole read of the new home confirms.
// Something else writing the new home after the Sync is caught by
// CheckTarget, outside the freeze.
func TestTheDrainWritesAndChecksOnlyTheLastChanges(t *testing.T) {
	t.Parallel()
	ctx := tenancy.WithTenant(context.Background(), "t1")
	db, names := testenv.Tables(t)
	to := onboarding.Home{Table: names.App() + "-t1", Silo: true}
	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, to.Table))
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t1")
	put := func(table, pk, sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: every(pk, sk)})
		require.NoError(t, err)
	}
	for _, sk := range []string{"META", "C#01", "C#02", "H#01"} {
		put(from.Table, p+"ISSUE#1", sk)
	}
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	n, _, err := s.Sync(ctx, "t1", from, to)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.NoError(t, s.CheckTarget(ctx, "t1", to))

	// The last changes: one added, one changed, one deleted.
	put(from.Table, p+"ISSUE#2", "META")
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: "C#01"}},
		UpdateExpression:          aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "7"}}})
	require.NoError(t, err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: "H#01"}}})
	require.NoError(t, err)

	res, err := s.Drain(ctx, "t1", from, to, onboarding.KeyLog{})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainReadOld, res.By, "no key log: the old home read whole")
	n, src, dst := res.Writes, res.Source, res.Target
	assert.Equal(t, 3, n, "only the last changes are written")
	assert.Equal(t, src, dst)
	whole, err := s.Digest(ctx, "t1", to)
	require.NoError(t, err)
	assert.Equal(t, src, whole, "the new home read whole agrees")

	// A stray write into the new home after the Sync fails the check.
	_, _, err = s.Sync(ctx, "t1", from, to)
	require.NoError(t, err)
	put(to.Table, p+"ISSUE#9", "META")
	err = s.CheckTarget(ctx, "t1", to)
	assert.True(t, errs.Is(err, errs.KindUnprocessable), "verification_failed: %v", err)
	// Without a memo (a run resumed elsewhere), Drain reads both homes.
	res, err = s.Drain(ctx, "t1", from, to, onboarding.KeyLog{Since: time.Now().Add(-time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainReadBoth, res.By)
	assert.Equal(t, 1, res.Writes, "the stray item deleted")
	assert.Equal(t, res.Source, res.Target)
}

// With the tenant's writes logged by key (internal/keylog, as the API's
// guard has them during a migration), the drain reads from the old home
// only the keys logged since the last Sync began: the last changes (added,
// changed, deleted, an item written twice) are drained and both digests
// agree with whole reads, while a write that bypassed the log is not
// read at all (the drain is O(logged keys), not O(tenant)). A log begun
// too late to cover the Sync falls back to reading the old home whole.
func TestTheDrainReadsOnlyTheLoggedKeys(t *testing.T) {
	t.Parallel()
	base := tenancy.WithTenant(context.Background(), "t2")
	db, names := testenv.Tables(t)
	to := onboarding.Home{Table: names.App() + "-t2", Silo: true}
	require.NoError(t, dynamo.EnsureTable(base, db, schema.App, to.Table))
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t2")
	logged := keylog.With(base, &keylog.Target{Tenant: "t2", Table: from.Table, DB: db})
	put := func(ctx context.Context, pk, sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: every(pk, sk)})
		require.NoError(t, err)
	}
	for i := range 40 {
		put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "META")
		put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "C#01")
	}
	put(logged, p+"ISSUE#00", "H#01") // logged before the Sync: older than its checkpoint
	since := time.Now().Add(-time.Minute)
	time.Sleep(50 * time.Millisecond) // more than the slack below
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	_, _, err := s.Sync(base, "t2", from, to)
	require.NoError(t, err)
	require.NoError(t, s.CheckTarget(base, "t2", to))

	put(logged, p+"ISSUE#99", "META") // added
	put(logged, p+"ISSUE#99", "META") // twice: one key
	_, err = db.UpdateItem(logged, &dynamodb.UpdateItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#01"}, schema.SK: &types.AttributeValueMemberS{Value: "C#01"}},
		UpdateExpression:          aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "7"}}})
	require.NoError(t, err)
	_, err = db.TransactWriteItems(logged, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#02"}, schema.SK: &types.AttributeValueMemberS{Value: "C#01"}}}}}})
	require.NoError(t, err)

	res, err := s.Drain(base, "t2", from, to, onboarding.KeyLog{Since: since, Slack: 10 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainKeyLog, res.By)
	assert.Equal(t, 3, res.Keys, "three keys logged since the Sync (the one before it is older than the checkpoint)")
	assert.Equal(t, 3, res.Writes)
	assert.Equal(t, res.Source, res.Target)
	oldWhole, err := s.Digest(base, "t2", from)
	require.NoError(t, err)
	newWhole, err := s.Digest(base, "t2", to)
	require.NoError(t, err)
	assert.Equal(t, oldWhole, res.Source, "the old home as the drain computed it is the old home read whole")
	assert.Equal(t, newWhole, res.Target, "and so is the new one")
	for f := range oldWhole {
		assert.NotContains(t, f, keylog.Family, "the log is not data to move")
	}

	// A write the log never saw is not read by the drain.
	_, _, err = s.Sync(base, "t2", from, to)
	require.NoError(t, err)
	put(base, p+"ISSUE#98", "META")
	res, err = s.Drain(base, "t2", from, to, onboarding.KeyLog{Since: since, Slack: 10 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainKeyLog, res.By)
	assert.Zero(t, res.Writes)

	// A log begun after the Sync's read does not cover it: the old home is read whole.
	_, _, err = s.Sync(base, "t2", from, to)
	require.NoError(t, err)
	put(base, p+"ISSUE#97", "META")
	res, err = s.Drain(base, "t2", from, to, onboarding.KeyLog{Since: time.Now(), Slack: 10 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainReadOld, res.By)
	assert.Equal(t, 1, res.Writes, "the unlogged item, found by the whole read")
	assert.Equal(t, res.Source, res.Target)
}

// Catch-up rounds after the copy are driven by the key log too: each
// reads only the keys logged since the previous round began (so a round
// is O(changes) and the last one before the freeze is short), writes the
// difference and moves the memo on, so CheckTarget still finds the new
// home equal to it and the drain after it has only the keys written since
// the last round. Both digests agree with whole reads of the two homes.
func TestCatchUpRoundsReadOnlyTheKeysLoggedSinceThePreviousRound(t *testing.T) {
	t.Parallel()
	base := tenancy.WithTenant(context.Background(), "t3")
	db, names := testenv.Tables(t)
	to := onboarding.Home{Table: names.App() + "-t3", Silo: true}
	require.NoError(t, dynamo.EnsureTable(base, db, schema.App, to.Table))
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t3")
	logged := keylog.With(base, &keylog.Target{Tenant: "t3", Table: from.Table, DB: db})
	put := func(ctx context.Context, pk, sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: every(pk, sk)})
		require.NoError(t, err)
	}
	key := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: &types.AttributeValueMemberS{Value: sk}}
	}
	for i := range 40 {
		put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "META")
		put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "C#01")
	}
	log := onboarding.KeyLog{Since: time.Now().Add(-time.Minute), Slack: 10 * time.Millisecond}
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	n, _, err := s.Sync(base, "t3", from, to) // the copy
	require.NoError(t, err)
	require.Equal(t, 80, n)

	// Round 1: an added item, a changed one, a deleted one.
	put(logged, p+"ISSUE#99", "META")
	_, err = db.UpdateItem(logged, &dynamodb.UpdateItemInput{TableName: aws.String(from.Table), Key: key(p+"ISSUE#01", "C#01"),
		UpdateExpression:          aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "7"}}})
	require.NoError(t, err)
	_, err = db.DeleteItem(logged, &dynamodb.DeleteItemInput{TableName: aws.String(from.Table), Key: key(p+"ISSUE#02", "C#01")})
	require.NoError(t, err)
	time.Sleep(30 * time.Millisecond) // past the slack: the next round's checkpoint is after these
	r, err := s.CatchUp(base, "t3", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.Round{Writes: 3, Keys: 3, By: onboarding.DrainKeyLog}, r, "the logged keys only, not both homes whole")
	require.NoError(t, s.CheckTarget(base, "t3", to), "the memo moved on with the round's writes")

	// Round 2 sees only what was logged since round 1 began.
	time.Sleep(30 * time.Millisecond)
	put(logged, p+"ISSUE#98", "META")
	time.Sleep(30 * time.Millisecond)
	r, err = s.CatchUp(base, "t3", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.Round{Writes: 1, Keys: 1, By: onboarding.DrainKeyLog}, r)
	require.NoError(t, s.CheckTarget(base, "t3", to))

	// The drain after it has nothing left but one last write.
	time.Sleep(30 * time.Millisecond)
	_, err = db.DeleteItem(logged, &dynamodb.DeleteItemInput{TableName: aws.String(from.Table), Key: key(p+"ISSUE#99", "META")})
	require.NoError(t, err)
	res, err := s.Drain(base, "t3", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainKeyLog, res.By)
	assert.Equal(t, 1, res.Keys, "only the key written since the last round")
	assert.Equal(t, 1, res.Writes)
	oldWhole, err := s.Digest(base, "t3", from)
	require.NoError(t, err)
	newWhole, err := s.Digest(base, "t3", to)
	require.NoError(t, err)
	assert.Equal(t, oldWhole, res.Source, "the old home as the rounds and the drain computed it")
	assert.Equal(t, newWhole, res.Target)
	assert.Equal(t, res.Source, res.Target)

	// Without a memo (another process) or a log that covers it, a round reads both homes whole.
	r, err = s.CatchUp(base, "t3", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainReadBoth, r.By)
	r, err = s.CatchUp(base, "t3", from, to, onboarding.KeyLog{Since: time.Now(), Slack: time.Second})
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainReadBoth, r.By)
}

// CheckSource reads the old home whole before the freeze, against what the
// log-driven rounds know of it: a write that bypassed the key log (an
// unlogged put and delete) is found, copied into the new home and
// counted, while a logged write since the last round is left to the next
// round. The drain's log-derived digests then equal whole reads.
func TestCheckSourceCopiesWritesThatBypassedTheLog(t *testing.T) {
	t.Parallel()
	base := tenancy.WithTenant(context.Background(), "t4")
	db, names := testenv.Tables(t)
	to := onboarding.Home{Table: names.App() + "-t4", Silo: true}
	require.NoError(t, dynamo.EnsureTable(base, db, schema.App, to.Table))
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t4")
	logged := keylog.With(base, &keylog.Target{Tenant: "t4", Table: from.Table, DB: db})
	put := func(ctx context.Context, pk, sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: every(pk, sk)})
		require.NoError(t, err)
	}
	for i := range 10 {
		put(base, fmt.Sprintf("%sISSUE#%02d", p, i), "META")
	}
	log := onboarding.KeyLog{Since: time.Now().Add(-time.Minute), Slack: 10 * time.Millisecond}
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	_, _, err := s.Sync(base, "t4", from, to)
	require.NoError(t, err)
	time.Sleep(30 * time.Millisecond)

	put(base, p+"ISSUE#50", "META") // unlogged: no round would read it
	_, err = db.DeleteItem(base, &dynamodb.DeleteItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#03"}, schema.SK: &types.AttributeValueMemberS{Value: "META"}}})
	require.NoError(t, err)
	put(logged, p+"ISSUE#51", "META") // logged: the next round's
	n, err := s.CheckSource(base, "t4", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the unlogged put and delete, not the logged write")
	require.NoError(t, s.CheckTarget(base, "t4", to), "copied into the new home and the memo alike")
	time.Sleep(30 * time.Millisecond)
	r, err := s.CatchUp(base, "t4", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.Round{Writes: 1, Keys: 1, By: onboarding.DrainKeyLog}, r)

	time.Sleep(30 * time.Millisecond)
	res, err := s.Drain(base, "t4", from, to, log)
	require.NoError(t, err)
	assert.Equal(t, onboarding.DrainKeyLog, res.By)
	oldWhole, err := s.Digest(base, "t4", from)
	require.NoError(t, err)
	newWhole, err := s.Digest(base, "t4", to)
	require.NoError(t, err)
	assert.Equal(t, oldWhole, res.Source)
	assert.Equal(t, newWhole, res.Target)
	assert.Equal(t, res.Source, res.Target)
}

package tenantdata_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Every write a migration makes (the copy into the new home, a later
// pass's re-copy and deletion there, the old home's deletion after the
// switch) is skipped by a stream consumer behind changes.HomeOnly, and
// every write the tenant makes in its new home after the switch passes,
// read from DynamoDB Local's real streams (whose records are stamped to
// the minute, so time cannot tell them apart). The consumer runs once it
// is all done, as a consumer lagging past the switch would. The mark the
// migration's items carry is not data: both homes' digests agree, and the
// export leaves it out.
func TestTheConsumersSkipTheMigrationsWritesAndPassTheTenants(t *testing.T) {
	t.Parallel()
	db, oldNames := testenv.StreamTables(t)
	_, newNames := testenv.StreamTables(t)
	from, to := onboarding.Home{Table: oldNames.App()}, onboarding.Home{Table: newNames.App()}
	ctx := tenancy.WithTenant(context.Background(), "t7")
	p := schema.TenantKeyPrefix("t7")
	key := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: &types.AttributeValueMemberS{Value: sk}}
	}
	put := func(table string, it map[string]types.AttributeValue) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it})
		require.NoError(t, err)
	}
	del := func(table, pk string) {
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(pk, "ISSUE")})
		require.NoError(t, err)
	}
	withN := func(it map[string]types.AttributeValue, n string) map[string]types.AttributeValue {
		it["n"] = &types.AttributeValueMemberN{Value: n}
		return it
	}
	for _, id := range []string{"1", "2", "3"} {
		put(from.Table, every(p+"ISSUE#"+id, "ISSUE"))
	}
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	_, _, err := s.Sync(ctx, "t7", from, to) // the copy: 3 inserts
	require.NoError(t, err)
	put(from.Table, withN(every(p+"ISSUE#1", "ISSUE"), "7")) // the tenant, in the old home
	del(from.Table, p+"ISSUE#3")
	n, src, err := s.Sync(ctx, "t7", from, to) // a re-copy and a deletion
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	got, err := s.Digest(ctx, "t7", to)
	require.NoError(t, err)
	assert.Equal(t, src, got, "the mark is in no digest")
	raw, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(to.Table), Key: key(p+"ISSUE#2", "ISSUE"), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Contains(t, raw.Item, keylog.Mark, "the copy is marked")

	// The switch; then the tenant writes in its new home.
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(to.Table), Key: key(p+"ISSUE#2", "ISSUE"),
		UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "8"}}})
	require.NoError(t, err)
	put(to.Table, withN(every(p+"ISSUE#1", "ISSUE"), "9"))
	put(to.Table, every(p+"ISSUE#4", "ISSUE"))
	del(to.Table, p+"ISSUE#2")
	// The old home's retirement.
	dropped, err := s.Drop(ctx, "t7", from)
	require.NoError(t, err)
	assert.Equal(t, 2, dropped)

	// The tenant's export carries no mark.
	zipped, items, err := s.Export(ctx, tenant.Tenant{ID: "t7", Tier: tiers.Platinum, Table: to.Table})
	require.NoError(t, err)
	assert.Equal(t, 2, items)
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	require.NoError(t, err)
	lines, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(lines), p+"ISSUE#1")
	assert.NotContains(t, string(lines), `"`+keylog.Mark+`"`)

	type seen struct {
		table, pk string
		op        changes.Op
	}
	var all, passed []seen
	home := func(context.Context, string) (changes.Home, error) { return changes.Home{Table: to.Table}, nil }
	consumer := changes.HomeOnly("fake", home, nil, changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
		for _, c := range b {
			passed = append(passed, seen{c.Table, c.PK, c.Op})
		}
		return nil
	}))
	cfg, e := testenv.AWS(t)
	poller := &streampoller.Poller{Name: "fake", DB: db, Streams: awsconfig.Streams(cfg, e),
		Consumer: changes.ConsumerFunc(func(hctx context.Context, b []changes.Change) error {
			for _, c := range b {
				all = append(all, seen{c.Table, c.PK, c.Op})
			}
			return consumer.Handle(hctx, b)
		}),
		Tables:      func(context.Context) ([]string, error) { return []string{from.Table, to.Table}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: newNames.Control()}}
	require.NoError(t, poller.Drain(ctx))
	require.NoError(t, poller.Drain(ctx))

	// The old home: 3 puts, the tenant's put and deletion, the
	// retirement's 2 marks and 2 removes; the new home: 3 copies, a
	// re-copy, a deletion's mark and remove, the tenant's 4 writes.
	assert.Len(t, all, 9+10, "every record read: %v", all)
	assert.Equal(t, []seen{
		{to.Table, p + "ISSUE#2", changes.Modify},
		{to.Table, p + "ISSUE#1", changes.Modify},
		{to.Table, p + "ISSUE#4", changes.Insert},
		{to.Table, p + "ISSUE#2", changes.Remove},
	}, passed, "exactly the tenant's writes in its new home")
}

package issuedb

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// lostWorld is a tenant's scope on tables of the test, a context metering
// the tenant's storage, and what the meter and the table say of it.
type lostWorld struct {
	db    *dynamodb.Client
	sc    tenancy.Scope
	ctx   context.Context
	meter *usage.Meter
	store *usagedb.Store
}

func newLostWorld(t *testing.T) lostWorld {
	db, names := testenv.Tables(t)
	store := usagedb.New(db, names)
	m := &usage.Meter{Store: store}
	tenant := "acme"
	return lostWorld{db: db, sc: tenancy.Scope{Table: names.App(), TenantID: tenant},
		ctx: usage.WithMeter(tenancy.WithTenant(context.Background(), tenant), m), meter: m, store: store}
}

// metered is the tenant's item bytes as the meter counted them.
func (w lostWorld) metered(t *testing.T) int64 {
	require.NoError(t, w.meter.Flush(context.Background()))
	now := time.Now()
	snap, err := w.store.Snapshot(context.Background(), w.sc.TenantID, usage.MonthKey(now), usage.WeekKey(now))
	require.NoError(t, err)
	return snap.Storage.ItemBytes
}

// stored is the size of the tenant's items as the table holds them.
func (w lostWorld) stored(t *testing.T) int64 {
	out, err := w.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(w.sc.Table), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	require.Nil(t, out.LastEvaluatedKey)
	var n int64
	for _, it := range out.Items {
		if s, ok := it[schema.PK].(*types.AttributeValueMemberS); ok && strings.HasPrefix(s.Value, schema.TenantKeyPrefix(w.sc.TenantID)) {
			n += dynamo.ItemSize(it)
		}
	}
	return n
}

// Issue numbers come from a counter's ADD with no condition. When the
// ADD's answer is lost and the SDK sends it again, the project's numbers
// move once (no gap of n, no import block reserved twice), and the storage
// meter counts the counter item as stored, write token included.
func TestIssueNumbersReservedThroughALostAnswerMoveOnce(t *testing.T) {
	w := newLostWorld(t)
	lossy, lost := testenv.WithLostAnswers(w.db, "UpdateItem")
	s := Store{DB: lossy}
	first, err := s.NextNumber(w.ctx, w.sc, "P1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), first)
	last, err := s.ReserveNumbers(w.ctx, w.sc, "P1", 5)
	require.NoError(t, err)
	assert.Equal(t, int64(6), last, "numbers 2..6: the retry answered the first attempt's block")
	next, err := s.NextNumber(w.ctx, w.sc, "P1")
	require.NoError(t, err)
	assert.Equal(t, int64(7), next)
	assert.Equal(t, 3, lost.Dropped, "every reservation lost its first answer")
	assert.Equal(t, w.stored(t), w.metered(t), "the meter follows the table")
}

// A purge deletes a deleted issue's marker last and counts its bytes once:
// when that delete's answer is lost and its retry finds the marker gone,
// the bytes freed are the marker's as written (owntoken.OldItem), not an
// estimate (which took the purge's time for the delete's: a marker deleted
// at a whole second was counted 10 bytes larger than it was).
func TestAPurgedMarkerWhoseAnswerWasLostFreesItsBytes(t *testing.T) {
	w := newLostWorld(t)
	at := time.Now().UTC().Truncate(time.Second)
	put := func(id string) {
		m, err := attributevalue.MarshalMap(purgeItem{PK: purgePK(w.sc.TenantID), SK: purgeSK(id), IssueID: id, DeletedAt: at})
		require.NoError(t, err)
		_, err = w.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.sc.Table), Item: m})
		require.NoError(t, err)
		usage.AddItemBytes(w.ctx, dynamo.ItemSize(m)) // as Delete's transaction counts it
	}
	put("01FIRST")
	put("01LATER")
	require.Equal(t, w.stored(t), w.metered(t))
	lossy, lost := testenv.WithLostAnswers(w.db, "DeleteItem")
	done, err := (&Store{DB: lossy}).PurgePending(w.ctx, w.sc, "01FIRST")
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, 2, lost.Dropped, "both markers' deletes lost their answers")
	assert.Zero(t, w.stored(t))
	assert.Zero(t, w.metered(t), "each marker's bytes as written, once")
}

// BenchmarkNextNumber is the issue counter's ADD with its write token (the
// client awsx.DynamoDB builds) and without it (the middleware taken off),
// on DynamoDB Local: what the token costs every issue's creation.
func BenchmarkNextNumber(b *testing.B) {
	db, names := testenv.Tables(b)
	bare := db.Options()
	bare.APIOptions = nil
	for _, f := range db.Options().APIOptions {
		if reflect.ValueOf(f).Pointer() != reflect.ValueOf(owntoken.Middleware).Pointer() {
			bare.APIOptions = append(bare.APIOptions, f)
		}
	}
	sc := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	for _, c := range []struct {
		name string
		db   *dynamodb.Client
	}{{"token", db}, {"bare", dynamodb.New(bare)}} {
		b.Run(c.name, func(b *testing.B) {
			s := Store{DB: c.db}
			for b.Loop() {
				if _, err := s.NextNumber(context.Background(), sc, c.name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package keylog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
	"golang.org/x/sync/errgroup"
)

// Freeze barriers tell a migration when the change-stream consumers have
// handled every change of the tenant made before a point in time
// (docs/migration.md "The freeze waits for the consumers").
//
// DynamoDB Streams orders records within a shard only, and a shard holds a
// range of partition keys: one barrier proves a consumer is past it in its
// own shard, not in the others. So a wave of barriers puts one into every
// partition key the tenant's writes touched since a given time (the key
// log says which): a barrier item in that key's own item collection, pk
// the changed key, sk MIGBARRIER#<wave>, so its stream record follows
// every change of that partition key made before it, in the same shard.
// Each consumer (changes.HomeOnly) handles a batch's changes first, then
// acknowledges the batch's barriers under its name; the wave is passed
// when every consumer has acknowledged every partition key of it.
//
// A barrier item is deleted right after it is put (its INSERT is in the
// stream, which is all the wave needs): it lives one batch write long,
// has no index attributes (no list or index shows it), and the
// migration's reads and the export leave MIGBARRIER# sort keys out
// (IsBarrier). The acknowledgements live in the log's partition
// (T#<tenant>#MIGLOG), which the consumers may write (their log grant)
// and the migration's reads leave out; they expire with the log (Expiry).

// BarrierPrefix starts a barrier's sort key (MIGBARRIER#<wave>): the
// consumers' stream filters let these records through (changes.Filter
// WithBarriers).
const BarrierPrefix = "MIGBARRIER#"

// ackPrefix starts an acknowledgement's sort key:
// MIGACK#<wave>#<consumer>#<time>. It is not a BarrierPrefix, so
// acknowledgements do not pass the filters.
const ackPrefix = "MIGACK#"

// attrPKs holds the partition keys an acknowledgement covers.
const attrPKs = "pks"

// ackChunk bounds the partition keys of one acknowledgement item (about
// 60 bytes each, well under DynamoDB's 400 KB item size).
const ackChunk = 2000

// BarrierWriters is how many batches of barriers are written at once.
const BarrierWriters = 8

// Wave is one set of barriers: its id, when it was put, and the partition
// keys it went into.
type Wave struct {
	ID  string
	At  time.Time
	PKs []string
}

// BatchWriter writes batches: the tenant-scoped DynamoDB client.
type BatchWriter interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// IsBarrier reports whether a sort key is a barrier's.
func IsBarrier(sk string) bool { return strings.HasPrefix(sk, BarrierPrefix) }

// PartitionKeys returns the distinct partition keys of keys (Keys' result),
// sorted.
func PartitionKeys(keys map[string]map[string]types.AttributeValue) []string {
	seen := map[string]bool{}
	for _, k := range keys {
		seen[str(k[schema.PK])] = true
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for pk := range seen {
		out = append(out, pk)
	}
	slices.Sort(out)
	return out
}

// PutBarriers puts a wave of barriers for tenantID in table, one into each
// of pks (the tenant's partition keys; others are refused), and deletes
// each right after (PlaceBarriers, then ClearBarriers). Thousands of keys
// cost thousands of stream records per consumer, handled in their batches
// (one acknowledgement item per batch and wave), not thousands of round
// trips. opts go to each BatchWriteItem (awsx.Bulk).
func PutBarriers(ctx context.Context, db BatchWriter, table, tenantID string, pks []string, at time.Time, opts ...func(*dynamodb.Options)) (Wave, error) {
	w, err := PlaceBarriers(ctx, db, table, tenantID, pks, at, opts...)
	if err != nil {
		return w, err
	}
	return w, ClearBarriers(ctx, db, table, tenantID, w, opts...)
}

// PlaceBarriers puts a wave of barriers for tenantID in table, one into
// each of pks (the tenant's partition keys; others are refused): 25 puts a
// batch, BarrierWriters batches at once. The wave is in the stream once
// this returns; its items stay until ClearBarriers (or expire with the
// log). On an error the wave is returned too, for ClearBarriers: some of
// its barriers may have been put.
func PlaceBarriers(ctx context.Context, db BatchWriter, table, tenantID string, pks []string, at time.Time, opts ...func(*dynamodb.Options)) (Wave, error) {
	w := Wave{ID: sortKey(at), At: at, PKs: pks}
	prefix := schema.TenantKeyPrefix(tenantID)
	for _, pk := range pks {
		if !strings.HasPrefix(pk, prefix) || pk == PK(tenantID) {
			return Wave{}, fmt.Errorf("a freeze barrier of %s into %q: not the tenant's data", tenantID, pk)
		}
	}
	expires := &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(Expiry).Unix(), 10)}
	return w, writeBarriers(ctx, db, table, tenantID, w, func(key map[string]types.AttributeValue) types.WriteRequest {
		return types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			schema.PK: key[schema.PK], schema.SK: key[schema.SK], schema.ExpiresAt: expires}}}
	}, opts...)
}

// ClearBarriers deletes the barriers of w (PlaceBarriers): their INSERTs
// are in the stream, which is all a wave needs, so the items need not stay.
func ClearBarriers(ctx context.Context, db BatchWriter, table, tenantID string, w Wave, opts ...func(*dynamodb.Options)) error {
	return writeBarriers(ctx, db, table, tenantID, w, func(key map[string]types.AttributeValue) types.WriteRequest {
		return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
	}, opts...)
}

// writeBarriers writes req of each barrier key of w, 25 a batch,
// BarrierWriters batches at once.
func writeBarriers(ctx context.Context, db BatchWriter, table, tenantID string, w Wave, req func(key map[string]types.AttributeValue) types.WriteRequest, opts ...func(*dynamodb.Options)) error {
	sk := &types.AttributeValueMemberS{Value: BarrierPrefix + w.ID}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(BarrierWriters)
	for start := 0; start < len(w.PKs); start += 25 {
		chunk := w.PKs[start:min(start+25, len(w.PKs))]
		g.Go(func() error {
			reqs := make([]types.WriteRequest, 0, len(chunk))
			for _, pk := range chunk {
				reqs = append(reqs, req(map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: sk}))
			}
			pending := map[string][]types.WriteRequest{table: reqs}
			for len(pending) > 0 {
				out, err := db.BatchWriteItem(gctx, &dynamodb.BatchWriteItemInput{RequestItems: pending}, opts...)
				if err != nil {
					return fmt.Errorf("write the freeze barriers of %s in %s: %w", tenantID, table, err)
				}
				pending = out.UnprocessedItems
			}
			return nil
		})
	}
	return g.Wait()
}

// Barrier reports whether a stream record's keys are a barrier, and
// whose, of which wave.
func Barrier(pk, sk string) (tenantID, wave string, ok bool) {
	rest, isBarrier := strings.CutPrefix(sk, BarrierPrefix)
	if !isBarrier {
		return "", "", false
	}
	tenantID, _, ok = schema.ParseTenantKey(pk)
	if !ok {
		return "", "", false
	}
	return tenantID, rest, true
}

// Ack records that consumer has handled every change before the barriers
// of wave in pks (the partition keys of the barriers of one batch).
func Ack(ctx context.Context, db Putter, table, tenantID, wave, consumer string, pks []string) error {
	for start := 0; start < len(pks); start += ackChunk {
		chunk := pks[start:min(start+ackChunk, len(pks))]
		list := make([]types.AttributeValue, len(chunk))
		for i, pk := range chunk {
			list[i] = &types.AttributeValueMemberS{Value: pk}
		}
		now := time.Now()
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			schema.PK:        &types.AttributeValueMemberS{Value: PK(tenantID)},
			schema.SK:        &types.AttributeValueMemberS{Value: ackPrefix + wave + "#" + consumer + "#" + sortKey(now)},
			attrPKs:          &types.AttributeValueMemberL{Value: list},
			schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(Expiry).Unix(), 10)},
		}})
		if err != nil {
			return fmt.Errorf("acknowledge the freeze barriers of %s in %s: %w", tenantID, table, err)
		}
	}
	return nil
}

// Acked returns the partition keys consumer acknowledged for wave in
// acknowledgements written at or after since (by the consumer's clock;
// zero: all), and the time of the latest one read (a strongly consistent
// read, as the tenant: ctx must carry it). A poller passes the latest
// time less a margin for clocks, so each poll reads only what is new.
func Acked(ctx context.Context, db Querier, table, tenantID, wave, consumer string, since time.Time) ([]string, time.Time, error) {
	prefix := ackPrefix + wave + "#" + consumer + "#"
	lo := prefix
	if !since.IsZero() {
		lo += schema.TimeKey(since)
	}
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: PK(tenantID)},
			":lo": &types.AttributeValueMemberS{Value: lo},
			":hi": &types.AttributeValueMemberS{Value: prefix + "~"}}})
	var out []string
	var latest time.Time
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("read the acknowledgements of the freeze barriers of %s in %s: %w", tenantID, table, err)
		}
		for _, it := range pg.Items {
			stamp, _, _ := strings.Cut(strings.TrimPrefix(str(it[schema.SK]), prefix), "#")
			if at, err := time.Parse(schema.TimeKeyLayout, stamp); err == nil && at.After(latest) {
				latest = at
			}
			l, _ := it[attrPKs].(*types.AttributeValueMemberL)
			if l == nil {
				continue
			}
			for _, v := range l.Value {
				out = append(out, str(v))
			}
		}
	}
	return out, latest, nil
}

package tenantdata

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

var _ onboarding.Retirer = Store{}

// retirePrefix starts the sort key of a retirement's record in the
// tenant's key log partition (keylog.PK): the partition keys it deletes
// in, written before the first delete, so a retirement cut short and run
// again still puts its barriers into every one of them.
const retirePrefix = "MIGRETIRE#"

// retireChunk bounds the partition keys of one retirement record (about
// 60 bytes each, well under DynamoDB's 400 KB item size).
const retireChunk = 2000

// attrRetired holds a retirement record's partition keys.
const attrRetired = "pks"

// Retire implements onboarding.Retirer: it deletes every item of the
// tenant in h with one write each (no deletion mark first, as Drop puts),
// then puts a wave of barriers into every partition key it deleted in and
// waits until each of consumers has acknowledged all of them (at most
// timeout), and only then deletes the key log partition (the
// acknowledgements, the record of the keys).
//
// Why this is as exact as the mark (docs/migration.md "Stream consumers
// skip the migration's own writes"): changes.HomeOnly skips a change of a
// table that is not the tenant's home when it handles it. A retired or
// rolled-back home is not the tenant's home while it is deleted, and
// could become it again only through another migration, which cannot
// start before this one is over. A consumer acknowledges a barrier after
// handling every earlier change of its partition key (the same shard), so
// once the wave is passed every delete of this call was handled, and
// skipped, while the table was not the tenant's home. The cost is one
// write per item plus two per partition key (the barrier, put and
// deleted), instead of two per item.
func (s Store) Retire(ctx context.Context, tenantID string, h onboarding.Home, consumers []string, timeout time.Duration) (int, onboarding.Barriers, error) {
	ctx = tenancy.WithTenant(ctx, tenantID)
	items, err := s.readAll(ctx, tenantID, h, true)
	if err != nil {
		return 0, onboarding.Barriers{}, err
	}
	logPK := keylog.PK(tenantID)
	recorded := map[string]bool{}
	deleted := map[string]bool{}
	var dels []types.WriteRequest
	for _, k := range items {
		pk, sk := str(k.item[schema.PK]), str(k.item[schema.SK])
		if pk == logPK {
			if strings.HasPrefix(sk, retirePrefix) {
				if l, ok := k.item[attrRetired].(*types.AttributeValueMemberL); ok {
					for _, v := range l.Value {
						recorded[str(v)] = true
					}
				}
			}
			continue // the log goes last
		}
		deleted[pk] = true
		dels = append(dels, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(k.item)}})
	}
	var fresh []string
	for pk := range deleted {
		if !recorded[pk] {
			fresh = append(fresh, pk)
		}
	}
	slices.Sort(fresh)
	if err := s.recordRetired(ctx, tenantID, h.Table, fresh); err != nil {
		return 0, onboarding.Barriers{}, err
	}
	if err := s.batches(ctx, tenantID, h.Table, dels); err != nil {
		return 0, onboarding.Barriers{}, err
	}
	var b onboarding.Barriers
	if pks := append(slices.Collect(maps.Keys(recorded)), fresh...); len(pks) > 0 && len(consumers) > 0 {
		slices.Sort(pks)
		if b, err = s.awaitWave(ctx, tenantID, h.Table, pks, consumers, time.Now().Add(timeout), timeout); err != nil {
			return 0, onboarding.Barriers{}, err
		}
	}
	n, err := s.dropLog(ctx, tenantID, h.Table)
	return len(dels) + n, b, err
}

// recordRetired writes the partition keys a retirement deletes in into
// the tenant's log partition, retireChunk a record.
func (s Store) recordRetired(ctx context.Context, tenantID, table string, pks []string) error {
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")
	expires := &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(keylog.Expiry).Unix(), 10)}
	var reqs []types.WriteRequest
	for i, start := 0, 0; start < len(pks); i, start = i+1, start+retireChunk {
		chunk := pks[start:min(start+retireChunk, len(pks))]
		list := make([]types.AttributeValue, len(chunk))
		for j, pk := range chunk {
			list[j] = &types.AttributeValueMemberS{Value: pk}
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			schema.PK:        &types.AttributeValueMemberS{Value: keylog.PK(tenantID)},
			schema.SK:        &types.AttributeValueMemberS{Value: fmt.Sprintf("%s%s#%05d", retirePrefix, at, i)},
			attrRetired:      &types.AttributeValueMemberL{Value: list},
			schema.ExpiresAt: expires}}})
	}
	return s.batches(ctx, tenantID, table, reqs)
}

// dropLog deletes the tenant's key log partition in table (the log, the
// consumers' acknowledgements, the retirement's records).
func (s Store) dropLog(ctx context.Context, tenantID, table string) (int, error) {
	p := dynamodb.NewQueryPaginator(s.platform(), &dynamodb.QueryInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ProjectionExpression:      aws.String("#pk, #sk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: keylog.PK(tenantID)}}})
	var dels []types.WriteRequest
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("read the key log of %s in %s: %w", tenantID, table, err)
		}
		for _, it := range pg.Items {
			dels = append(dels, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(it)}})
		}
	}
	return len(dels), s.batches(ctx, tenantID, table, dels)
}

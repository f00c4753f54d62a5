package keylog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// A freeze barrier tells a migration when the change-stream consumers have
// handled every change of the tenant made before its write freeze
// (docs/migration.md "Stream consumers"). The migration puts one barrier
// item in the tenant's log partition of the old home once the freeze has
// settled (no API write lands after it); each consumer (changes.HomeOnly)
// reads it from the stream after the changes written before it, handles
// those first, then puts its acknowledgement next to it. The drain starts
// once every consumer has acknowledged, so the consumers' writes for the
// changes made before the freeze are in the key log it reads.
//
// Both live in the log's partition (T#<tenant>#MIGLOG): the consumers may
// already put items there (their log grant), the migration's reads leave
// the partition out, and the old home's deletion takes it along. They
// expire with the log (Expiry).

// BarrierPrefix starts a barrier's sort key (MIGBARRIER#<id>): the
// consumers' stream filters let these records through (changes.Filter
// WithBarriers).
const BarrierPrefix = "MIGBARRIER#"

// ackPrefix starts an acknowledgement's sort key: MIGACK#<id>#<consumer>.
// It is not a BarrierPrefix, so acknowledgements do not pass the filters.
const ackPrefix = "MIGACK#"

// PutBarrier puts a barrier for tenantID in table and returns its id.
func PutBarrier(ctx context.Context, db Putter, table, tenantID string, at time.Time) (string, error) {
	id := sortKey(at)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		schema.PK:        &types.AttributeValueMemberS{Value: PK(tenantID)},
		schema.SK:        &types.AttributeValueMemberS{Value: BarrierPrefix + id},
		schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(Expiry).Unix(), 10)},
	}})
	if err != nil {
		return "", fmt.Errorf("put the freeze barrier of %s in %s: %w", tenantID, table, err)
	}
	return id, nil
}

// Barrier reports whether a stream record's keys are a barrier, and
// whose, with which id.
func Barrier(pk, sk string) (tenantID, id string, ok bool) {
	rest, isBarrier := strings.CutPrefix(sk, BarrierPrefix)
	if !isBarrier {
		return "", "", false
	}
	tenantID, family, ok := schema.ParseTenantKey(pk)
	if !ok || family != Family {
		return "", "", false
	}
	return tenantID, rest, true
}

// Ack records that consumer has handled every change before barrier id.
func Ack(ctx context.Context, db Putter, table, tenantID, id, consumer string) error {
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		schema.PK:        &types.AttributeValueMemberS{Value: PK(tenantID)},
		schema.SK:        &types.AttributeValueMemberS{Value: ackPrefix + id + "#" + consumer},
		schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(Expiry).Unix(), 10)},
	}})
	if err != nil {
		return fmt.Errorf("acknowledge the freeze barrier of %s in %s: %w", tenantID, table, err)
	}
	return nil
}

// Acked lists the consumers that acknowledged barrier id (a strongly
// consistent read, as the tenant: ctx must carry it).
func Acked(ctx context.Context, db Querier, table, tenantID, id string) ([]string, error) {
	prefix := ackPrefix + id + "#"
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :ack)"),
		ExpressionAttributeNames: map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: PK(tenantID)},
			":ack": &types.AttributeValueMemberS{Value: prefix}}})
	var out []string
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the acknowledgements of the freeze barrier of %s in %s: %w", tenantID, table, err)
		}
		for _, it := range pg.Items {
			out = append(out, strings.TrimPrefix(str(it[schema.SK]), prefix))
		}
	}
	return out, nil
}

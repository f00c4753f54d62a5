// Package changes is the one change stream of the tenant tables, as its
// consumers see it: every DynamoDB stream record of the pooled table or of a
// Platinum tenant's table becomes one typed Change (tenant, entity, old and
// new item, sequence number, time), whether it came from a Lambda event
// source mapping in AWS (FromLambda) or from DynamoDB Local's Streams API
// through the local poller (FromStream, package changes/streampoller).
//
// A Consumer handles batches. Delivery is at least once and, across shards,
// in no global order: a consumer must be idempotent and must not assume that
// an item's older image arrives before its newer one. docs/changes.md says
// which consumers read the stream and why there are at most two.
package changes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// The consumers of every tenant table's stream (docs/changes.md: at most
// two), by the names their checkpoints and freeze-barrier
// acknowledgements carry (HomeOnly).
const (
	ConsumerAnalytics = "analytics"
	ConsumerActivity  = "activity"
)

// StreamConsumers are the consumers every tenant table's stream has, where
// they run (AWS, make dev): a tier migration's freeze waits for them
// (onboarding.MigrationOptions.StreamConsumers).
func StreamConsumers() []string { return []string{ConsumerAnalytics, ConsumerActivity} }

// Op is what happened to the item.
type Op string

const (
	Insert Op = "INSERT"
	Modify Op = "MODIFY"
	Remove Op = "REMOVE"
)

// Item is a DynamoDB item image.
type Item = map[string]types.AttributeValue

// Change is one stream record of a tenant table.
type Change struct {
	// Table is the table the item lives in (the pooled or a Platinum table).
	Table string
	// TenantID comes from the partition key (schema.ParseTenantKey).
	TenantID string
	// Entity is the item's "entity" attribute (issue, comment,
	// status_change, ...), "" for items without one.
	Entity string
	Op     Op
	PK, SK string
	// Old is the item before the write (nil for an insert), New after it
	// (nil for a remove).
	Old, New Item
	// Seq is the record's sequence number: it orders the records of one
	// shard, not of the whole table.
	Seq string
	// At is when the record was written (to the second).
	At time.Time
	// EventID is unique per record: a redelivery carries the same id.
	EventID string
}

// Image is the item as it is now, or as it was before its removal.
func (c Change) Image() Item {
	if c.New != nil {
		return c.New
	}
	return c.Old
}

// Consumer handles batches of changes. Handle must be idempotent: a batch
// may be delivered again, whole or split, and records of different shards
// arrive in any order. An error makes the batch be delivered again.
type Consumer interface {
	Handle(ctx context.Context, batch []Change) error
}

// ConsumerFunc adapts a function to Consumer.
type ConsumerFunc func(ctx context.Context, batch []Change) error

// Handle implements Consumer.
func (f ConsumerFunc) Handle(ctx context.Context, batch []Change) error { return f(ctx, batch) }

// build fills the typed fields from the keys and images of a record.
func build(table, op, seq, eventID string, at time.Time, keys, old, cur Item) (Change, error) {
	c := Change{Table: table, Op: Op(op), Seq: seq, EventID: eventID, At: at.UTC(), Old: old, New: cur}
	switch c.Op {
	case Insert, Modify, Remove:
	default:
		return c, fmt.Errorf("stream record %s: unknown event %q", eventID, op)
	}
	c.PK, c.SK = str(keys[schema.PK]), str(keys[schema.SK])
	if t, _, ok := schema.ParseTenantKey(c.PK); ok {
		c.TenantID = t
	}
	c.Entity = str(c.Image()["entity"])
	return c, nil
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// TableFromARN is the table name of a table or stream ARN
// ("arn:aws:dynamodb:r:a:table/<name>/stream/<label>").
func TableFromARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":table/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

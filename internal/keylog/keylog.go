// Package keylog records the keys a tenant writes while a tier migration
// copies it (docs/migration.md "The freeze"), so the migration's drain
// reads and rewrites only the keys changed since its last catch-up instead
// of the tenant's whole old home.
//
// It is write-ahead: a middleware on every DynamoDB client built by
// package awsx sees each write operation (PutItem, UpdateItem, DeleteItem,
// BatchWriteItem, TransactWriteItems) made under a context carrying a
// Target, and before sending it puts one log item naming the keys it will
// write in the Target's table and tenant. If the log cannot be written the
// write is not sent (the caller gets the error), so every write the API
// acknowledges, and every one that may have landed, has its key in the
// log with a time no later than the write's. Writes to other tables (the
// control table's idempotency records) or other tenants' keys are not
// logged.
//
// The log lives in the tenant's partition of the table it describes (pk
// T#<tenant>#MIGLOG, sort key the time it was written), so the tenant's
// own credentials write it (no new grant) and it goes with the old home;
// the migration's reads leave the MIGLOG partition out (it is not data to
// copy), and items expire after a week (expires_at) if a run is abandoned.
//
// The package depends on the SDK and internal/schema only, so awsx can
// install it.
package keylog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Family is the partition suffix of the log: pk T#<tenant>#MIGLOG.
const Family = "MIGLOG"

// Expiry is how long a log item lives (a run abandoned for longer reads
// its old home whole on retry anyway).
const Expiry = 7 * 24 * time.Hour

// Attribute holding a log item's keys: a list of {pk, sk} maps.
const attrKeys = "keys"

// LeadingKeysPattern matches the log's partition key of any tenant (IAM
// StringLike): the grant of a writer that is not the tenant (the stream
// consumers, whose writes during a migration log their keys too).
const LeadingKeysPattern = schema.TenantKeyPrefixStem + "*#" + Family

// PK is the log's partition key for a tenant.
func PK(tenantID string) string { return schema.TenantKeyPrefix(tenantID) + Family }

// sortKey is a log item's sort key: the time, fixed width so that string
// order is time order, then a random suffix (two writes in one nanosecond).
func sortKey(at time.Time) string {
	return schema.TimeKey(at) + "#" + rand.Text()[:10]
}

// Putter writes one item: the tenant-scoped DynamoDB client.
type Putter interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Bound is how long a logged write may be in flight: from the time its
// key log item names to the end of its last attempt, retries and the
// SDK's backoffs included (the middleware gives the operation a context
// deadline of that time plus Bound; past it the SDK sends nothing more and
// the caller gets context.DeadlineExceeded, a 503 from the API). It is the
// one source of the migration's timing: the settle (a write admitted
// before the freeze has landed or failed Bound after the guard's last
// unfrozen read) and the slack of the catch-up rounds, the waves and the
// drain (a write logged at t has landed or failed by t + Bound) derive
// from it (onboarding.KeyLogSlack; docs/migration.md "A write in flight").
// Before, nothing bounded it: an attempt may last awsx.AttemptTimeout
// (10 s) and the SDK retries, so a write logged before the last catch-up
// round's window could land after that round read its key, and the drain
// missed it.
const Bound = 2 * time.Second

// Target says whose writes to log, where, and with what.
type Target struct {
	Tenant string
	Table  string
	DB     Putter
	Now    func() time.Time // time.Now when nil
	// Admit, when set, is asked before each write is logged whether the
	// tenant may still write into Table (the API's guard: its cached read
	// of the tenant's record, not frozen, still in Table). An error fails
	// the write unsent. A request admitted before a freeze may make its
	// writes later; each must be admitted anew, so that every write logged
	// under a guard began before the freeze plus the guard's cache time.
	Admit func(context.Context) error
}

// Readmit returns a Target.Admit for a writer that read the tenant's home
// when it began (the API's guard, the scheduled jobs, the webhook
// worker): before each write it reads the home again with read (a cache
// of at most maxAge, or the registry) and refuses the write with refused
// when the tenant's writes are frozen, its home is another table than
// table (switched), or the read itself took maxAge or longer. So a write
// is logged less than maxAge after a read of an unfrozen home began,
// hence less than maxAge after the freeze, and has landed or failed
// Bound later: the freeze's settle (its cache time plus Bound) waits for
// exactly that.
func Readmit(table string, maxAge time.Duration, refused error, read func(context.Context) (table string, frozen bool, err error)) func(context.Context) error {
	return func(ctx context.Context) error {
		began := time.Now()
		home, frozen, err := read(ctx)
		switch {
		case err != nil:
			return err
		case frozen || home != table || time.Since(began) >= maxAge:
			return refused
		}
		return nil
	}
}

type ctxKey struct{}
type skipKey struct{}

// With returns ctx logging the writes t names.
func With(ctx context.Context, t *Target) context.Context { return context.WithValue(ctx, ctxKey{}, t) }

// From returns the Target ctx carries, or nil.
func From(ctx context.Context) *Target {
	t, _ := ctx.Value(ctxKey{}).(*Target)
	return t
}

// Middleware installs the log on a DynamoDB client's stack (an APIOptions
// entry). It runs once per operation, before the SDK's retries, and is
// installed only on the writes keysOf reads (WriteOperations): the SDK
// builds a call's stack anew on every call, so it cost every read its
// insertion and a layer of the handler chain.
func Middleware(st *middleware.Stack) error {
	if !slices.Contains(WriteOperations, st.ID()) {
		return nil
	}
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("MigrationKeyLog", handle), middleware.Before)
}

func handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	t := From(ctx)
	if t == nil || ctx.Value(skipKey{}) != nil {
		return next.HandleInitialize(ctx, in)
	}
	keys := t.keysOf(in.Parameters)
	if len(keys) == 0 {
		return next.HandleInitialize(ctx, in)
	}
	if t.Admit != nil {
		if err := t.Admit(ctx); err != nil {
			return middleware.InitializeOutput{}, middleware.Metadata{}, err
		}
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	at := now()
	// The log item and every attempt of the write end by at + Bound.
	ctx, cancel := context.WithDeadline(ctx, at.Add(Bound))
	defer cancel()
	if err := t.log(ctx, keys, at); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("a write of %s outlasted the key log's bound (%s) while it migrates: %w", t.Tenant, Bound, err)
	}
	return out, md, err
}

// log puts one log item naming keys, at at.
func (t *Target) log(ctx context.Context, keys []map[string]types.AttributeValue, at time.Time) error {
	list := make([]types.AttributeValue, len(keys))
	for i, k := range keys {
		list[i] = &types.AttributeValueMemberM{Value: k}
	}
	_, err := t.DB.PutItem(context.WithValue(ctx, skipKey{}, true), &dynamodb.PutItemInput{TableName: aws.String(t.Table), Item: map[string]types.AttributeValue{
		schema.PK:        &types.AttributeValueMemberS{Value: PK(t.Tenant)},
		schema.SK:        &types.AttributeValueMemberS{Value: sortKey(at)},
		attrKeys:         &types.AttributeValueMemberL{Value: list},
		schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(Expiry).Unix(), 10)},
	}})
	if err != nil {
		return fmt.Errorf("log the keys written while %s migrates: %w", t.Tenant, err)
	}
	return nil
}

// WriteOperations are the DynamoDB operations whose keys keysOf lists: the
// only ones Middleware is installed on.
var WriteOperations = []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

// keysOf lists the keys a write operation may write in t's table and
// tenant (nil for reads and for other tables).
func (t *Target) keysOf(params any) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	add := func(table *string, it map[string]types.AttributeValue) {
		if aws.ToString(table) == t.Table {
			if k := t.key(it); k != nil {
				out = append(out, k)
			}
		}
	}
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		add(in.TableName, in.Item)
	case *dynamodb.UpdateItemInput:
		add(in.TableName, in.Key)
	case *dynamodb.DeleteItemInput:
		add(in.TableName, in.Key)
	case *dynamodb.BatchWriteItemInput:
		for table, reqs := range in.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					add(&table, r.PutRequest.Item)
				case r.DeleteRequest != nil:
					add(&table, r.DeleteRequest.Key)
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				add(it.Put.TableName, it.Put.Item)
			case it.Update != nil:
				add(it.Update.TableName, it.Update.Key)
			case it.Delete != nil:
				add(it.Delete.TableName, it.Delete.Key)
			}
		}
	}
	return out
}

// key is it's pk and sk when pk is the tenant's (and not the log's).
func (t *Target) key(it map[string]types.AttributeValue) map[string]types.AttributeValue {
	pk, _ := it[schema.PK].(*types.AttributeValueMemberS)
	if pk == nil || !strings.HasPrefix(pk.Value, schema.TenantKeyPrefix(t.Tenant)) || pk.Value == PK(t.Tenant) {
		return nil
	}
	k := map[string]types.AttributeValue{schema.PK: pk}
	if sk, ok := it[schema.SK]; ok {
		k[schema.SK] = sk
	}
	return k
}

// Querier reads the log: the tenant-scoped DynamoDB client.
type Querier interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Keys returns the keys logged for tenantID in table at or after since,
// each once, as pk "\x00" sk strings mapped to the key (strongly
// consistent reads of the log's partition, as the tenant: ctx must carry
// it).
func Keys(ctx context.Context, db Querier, table, tenantID string, since time.Time) (map[string]map[string]types.AttributeValue, error) {
	out := map[string]map[string]types.AttributeValue{}
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeNames: map[string]string{"#pk": schema.PK, "#sk": schema.SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: PK(tenantID)},
			":since": &types.AttributeValueMemberS{Value: schema.TimeKey(since)}}})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the key log of %s in %s: %w", tenantID, table, err)
		}
		for _, it := range pg.Items {
			l, _ := it[attrKeys].(*types.AttributeValueMemberL)
			if l == nil {
				continue
			}
			for _, v := range l.Value {
				if m, ok := v.(*types.AttributeValueMemberM); ok {
					out[ID(m.Value)] = m.Value
				}
			}
		}
	}
	return out, nil
}

// ID is a key's identity: pk "\x00" sk.
func ID(key map[string]types.AttributeValue) string {
	return str(key[schema.PK]) + "\x00" + str(key[schema.SK])
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

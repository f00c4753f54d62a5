package tenantdata

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// A tier migration's reads and writes (onboarding.Mover). Both homes are
// read whole with a parallel Scan (Segments at once; the pooled table with
// the tenant's key prefix as a filter): a migration job, never a request
// path. Writes run as the tenant, 25 items a batch, Writers at once.

var _ onboarding.Mover = Store{}

const (
	// Segments of a parallel Scan.
	Segments = 4
	// Writers of batches at once.
	Writers = 4
)

func (s Store) segments() int32 {
	if s.Segments > 0 {
		return int32(s.Segments)
	}
	return Segments
}

func (s Store) writers() int {
	if s.Writers > 0 {
		return s.Writers
	}
	return Writers
}

type keyed struct {
	item map[string]types.AttributeValue // without the migration's mark (keylog.Mark)
	line string                          // canonical DynamoDB JSON (encoding/json sorts map keys)
	h    sum                             // its hash, the item's share of its family's checksum (sum.go)
	// doomed: the item carries a deletion mark (a deletion cut short);
	// it differs from every item, so a copy puts it again.
	doomed bool
}

// same reports whether a home holding a holds b.
func same(a, b keyed) bool { return a.line == b.line && !a.doomed && !b.doomed }

// op is one write of a migration: put item, or delete it.
type op struct {
	item map[string]types.AttributeValue
	del  bool
}

func putOp(it map[string]types.AttributeValue) op { return op{item: it} }
func delOp(it map[string]types.AttributeValue) op { return op{item: it, del: true} }

func (o op) key() map[string]types.AttributeValue { return keyOf(o.item) }

// read returns the tenant's items in a home by pk and sk, but for the
// migration's key log and freeze barriers (internal/keylog), which are not
// data to move.
func (s Store) read(ctx context.Context, tenantID string, h onboarding.Home) (map[string]keyed, error) {
	return s.readAll(ctx, tenantID, h, false)
}

// readAll is read, with the key log when withLog (to delete a home whole).
func (s Store) readAll(ctx context.Context, tenantID string, h onboarding.Home, withLog bool) (map[string]keyed, error) {
	var mu sync.Mutex
	out := map[string]keyed{}
	err := s.scanPages(ctx, tenantID, h, withLog, func(page map[string]keyed) error {
		mu.Lock()
		defer mu.Unlock()
		maps.Copy(out, page)
		return nil
	})
	return out, err
}

// scanPages reads the tenant's items in h with a parallel Scan and hands each
// page to onPage as it comes (from Segments goroutines at once).
func (s Store) scanPages(ctx context.Context, tenantID string, h onboarding.Home, withLog bool, onPage func(map[string]keyed) error) error {
	prefix := schema.TenantKeyPrefix(tenantID)
	filter := "begins_with(#pk, :prefix) AND #pk <> :log AND NOT begins_with(#sk, :barrier)"
	values := map[string]types.AttributeValue{
		":prefix":  &types.AttributeValueMemberS{Value: prefix},
		":log":     &types.AttributeValueMemberS{Value: keylog.PK(tenantID)},
		":barrier": &types.AttributeValueMemberS{Value: keylog.BarrierPrefix}}
	names := map[string]string{"#pk": schema.PK, "#sk": schema.SK}
	if withLog {
		filter = "begins_with(#pk, :prefix)"
		delete(values, ":log")
		delete(values, ":barrier")
		delete(names, "#sk")
	}
	g, gctx := errgroup.WithContext(ctx)
	segments := s.segments()
	for seg := range segments {
		g.Go(func() error {
			in := &dynamodb.ScanInput{TableName: aws.String(h.Table), Segment: aws.Int32(seg), TotalSegments: aws.Int32(segments),
				ConsistentRead:            aws.Bool(true),
				FilterExpression:          aws.String(filter),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values}
			p := dynamodb.NewScanPaginator(s.platform(), in)
			for p.HasMorePages() {
				pg, err := p.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("read %s of %s: %w", h.Table, tenantID, err)
				}
				page := make(map[string]keyed, len(pg.Items))
				for _, it := range pg.Items {
					k, err := keyedOf(it)
					if err != nil {
						return err
					}
					page[itemKey(it)] = k
				}
				if err := onPage(page); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// keyedOf is an item as read, without the migration's mark: the mark is
// bookkeeping of the stream consumers, not data (not compared, not in the
// checksums).
func keyedOf(it map[string]types.AttributeValue) (keyed, error) {
	it, doomed := keylog.Unmarked(it)
	b, err := json.Marshal(DynamoJSON(it))
	return keyed{item: it, line: string(b), h: hashLine(string(b)), doomed: doomed}, err
}

func itemKey(it map[string]types.AttributeValue) string {
	return str(it[schema.PK]) + "\x00" + str(it[schema.SK])
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// Family is an item's key family: the type segment of its partition key
// after the tenant ("ISSUE", "LABELS", "W", "AN") and of its sort key when
// that is a type tag ("HIST", "COMMENT"), e.g. "ISSUE/COMMENT".
func Family(it map[string]types.AttributeValue) string {
	_, rest, _ := schema.ParseTenantKey(str(it[schema.PK]))
	pk, _, _ := strings.Cut(rest, "#")
	sk, _, _ := strings.Cut(str(it[schema.SK]), "#")
	if sk == "" || strings.ToUpper(sk) != sk || strings.ContainsAny(sk, "0123456789") {
		sk = "*"
	}
	return pk + "/" + sk
}

// Digest implements onboarding.Mover.
func (s Store) Digest(ctx context.Context, tenantID string, h onboarding.Home) (map[string]onboarding.FamilyDigest, error) {
	items, err := s.read(ctx, tenantID, h)
	if err != nil {
		return nil, err
	}
	return digest(items), nil
}

// Sync implements onboarding.Mover. It reads the new home first (empty
// for a first copy; nothing but the migration writes it), then the old
// one, and each page of the old home's that differs goes to the writers as
// it is read: reads and writes overlap (before, the copy read both homes
// whole and only then wrote, so it lasted the sum of both). What the new
// home holds and the old one does not is deleted once the old home is read
// whole. With a Memo, it remembers what the new home holds once its
// writes are done (the source as read), for CheckTarget and Drain.
func (s Store) Sync(ctx context.Context, tenantID string, from, to onboarding.Home) (int, map[string]onboarding.FamilyDigest, error) {
	s.Memo.forget(tenantID, to.Table) // until the writes are done
	started := time.Now()
	dst, err := s.read(ctx, tenantID, to)
	if err != nil {
		return 0, nil, err
	}
	w := s.newBatcher(ctx, tenantID, to.Table)
	var mu sync.Mutex
	src := map[string]keyed{}
	err = s.scanPages(w.ctx, tenantID, from, false, func(page map[string]keyed) error {
		page, err := relocate(page, from, to)
		if err != nil {
			return err
		}
		var puts []map[string]types.AttributeValue
		for k, it := range page {
			if have, ok := dst[k]; !ok || !same(have, it) {
				puts = append(puts, it.item)
			}
		}
		mu.Lock()
		maps.Copy(src, page)
		mu.Unlock()
		return w.put(puts)
	})
	if werr := w.wait(); werr != nil {
		err = werr // the writer's error, not the read it cancelled
	}
	if err != nil {
		return 0, nil, err
	}
	var dels []op
	for k, it := range dst {
		if _, ok := src[k]; !ok {
			dels = append(dels, delOp(it.item))
		}
	}
	if err := s.write(ctx, tenantID, to.Table, dels); err != nil {
		return 0, nil, err
	}
	sum := digest(src)
	s.Memo.remember(tenantID, to.Table, memo{items: src, read: started, digest: sum})
	return w.n + len(dels), sum, nil
}

// batcher puts items as the tenant, marked as one write pass's
// (keylog.Marked), in batches of 25, Writers batches at once, while its
// caller still reads: put blocks while every writer is busy.
type batcher struct {
	s           Store
	ctx         context.Context
	g           *errgroup.Group
	tenant, tbl string
	nonce       string
	mu          sync.Mutex
	pending     []types.WriteRequest
	n           int
}

func (s Store) newBatcher(ctx context.Context, tenantID, table string) *batcher {
	g, gctx := errgroup.WithContext(tenancy.WithTenant(ctx, tenantID))
	g.SetLimit(s.writers())
	return &batcher{s: s, ctx: gctx, g: g, tenant: tenantID, tbl: table, nonce: keylog.NewMarkNonce()}
}

// put queues items; each full batch of 25 goes to a writer.
func (b *batcher) put(items []map[string]types.AttributeValue) error {
	b.mu.Lock()
	for _, it := range items {
		b.pending = append(b.pending, types.WriteRequest{PutRequest: &types.PutRequest{Item: keylog.Marked(it, b.nonce)}})
		b.n++
	}
	var full [][]types.WriteRequest
	for len(b.pending) >= 25 {
		full = append(full, b.pending[:25:25])
		b.pending = b.pending[25:]
	}
	b.mu.Unlock()
	for _, batch := range full {
		b.g.Go(func() error { return b.s.batch(b.ctx, b.tenant, b.tbl, batch) })
	}
	return b.ctx.Err()
}

// wait writes what is left and waits for every batch.
func (b *batcher) wait() error {
	b.mu.Lock()
	rest := b.pending
	b.pending = nil
	b.mu.Unlock()
	if len(rest) > 0 {
		b.g.Go(func() error { return b.s.batch(b.ctx, b.tenant, b.tbl, rest) })
	}
	return b.g.Wait()
}

// BucketAttribute is the attribute of an attachment record naming the
// bucket of its object (attachmentdb).
const BucketAttribute = "bucket"

// readSource is read of the old home, as the new home is to hold it.
func (s Store) readSource(ctx context.Context, tenantID string, from, to onboarding.Home) (map[string]keyed, error) {
	items, err := s.read(ctx, tenantID, from)
	if err != nil {
		return nil, err
	}
	return relocate(items, from, to)
}

// relocate is items as the new home holds them: when the homes' files are
// in different buckets (a move between cells), the attachment records
// naming the old home's bucket name the new one's, where the move copies
// their objects (onboarding.FileMover). items is changed in place.
func relocate(items map[string]keyed, from, to onboarding.Home) (map[string]keyed, error) {
	if from.Files == "" || to.Files == "" || from.Files == to.Files {
		return items, nil
	}
	for id, k := range items {
		if b, ok := k.item[BucketAttribute].(*types.AttributeValueMemberS); !ok || b.Value != from.Files {
			continue
		}
		it := maps.Clone(k.item)
		it[BucketAttribute] = &types.AttributeValueMemberS{Value: to.Files}
		moved, err := keyedOf(it)
		if err != nil {
			return nil, err
		}
		items[id] = moved
	}
	return items, nil
}

// diff is what makes a home holding dst hold src: puts, then deletes.
func diff(src, dst map[string]keyed) []op {
	var ops []op
	for k, it := range src {
		if have, ok := dst[k]; !ok || !same(have, it) {
			ops = append(ops, putOp(it.item))
		}
	}
	for k, it := range dst {
		if _, ok := src[k]; !ok {
			ops = append(ops, delOp(it.item))
		}
	}
	return ops
}

// Drop implements onboarding.Mover.
func (s Store) Drop(ctx context.Context, tenantID string, h onboarding.Home) (int, error) {
	items, err := s.readAll(ctx, tenantID, h, true)
	if err != nil {
		return 0, err
	}
	ops := make([]op, 0, len(items))
	for _, it := range items {
		ops = append(ops, delOp(it.item))
	}
	return len(ops), s.write(ctx, tenantID, h.Table, ops)
}

func keyOf(it map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PK: it[schema.PK], schema.SK: it[schema.SK]}
}

// write applies ops as the tenant, every item marked as the migration's
// (keylog.Mark, one nonce per call): the puts, and each item to delete put
// again with a deletion mark; then the deletes. So the change-stream
// consumers skip every record of these writes (keylog.ByMigration).
func (s Store) write(ctx context.Context, tenantID, table string, ops []op) error {
	nonce := keylog.NewMarkNonce()
	puts := make([]types.WriteRequest, 0, len(ops))
	var dels []types.WriteRequest
	for _, o := range ops {
		if !o.del {
			puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: keylog.Marked(o.item, nonce)}})
			continue
		}
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: keylog.MarkedForDeletion(o.item, nonce)}})
		dels = append(dels, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: o.key()}})
	}
	if err := s.batches(ctx, tenantID, table, puts); err != nil {
		return err
	}
	return s.batches(ctx, tenantID, table, dels)
}

// batches sends reqs as the tenant, 25 a batch, Writers batches at once,
// until nothing is left unprocessed.
func (s Store) batches(ctx context.Context, tenantID, table string, reqs []types.WriteRequest) error {
	ctx = tenancy.WithTenant(ctx, tenantID)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.writers())
	for start := 0; start < len(reqs); start += 25 {
		batch := reqs[start:min(start+25, len(reqs))]
		g.Go(func() error { return s.batch(gctx, tenantID, table, batch) })
	}
	return g.Wait()
}

// batch sends one BatchWriteItem (at most 25 requests) and again what it
// leaves unprocessed (throttled), after a pause doubling from 20 ms to
// 1 s, as AWS advises for UnprocessedItems.
func (s Store) batch(ctx context.Context, tenantID, table string, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{table: reqs}
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending}, awsx.Bulk)
		if err != nil {
			return fmt.Errorf("write items of %s into %s: %w", tenantID, table, err)
		}
		if pending = out.UnprocessedItems; len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

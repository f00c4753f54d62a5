package issuedb

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
	"golang.org/x/sync/errgroup"
)

// Store is the DynamoDB store of issues, labels, comments and the search
// index. table is always the caller's table (tenancy.Principal.Table).
type Store struct {
	DB *dynamodb.Client
	// Cursors signs list cursors (the zero value: a key of this process).
	Cursors list.Codec
	// PurgeBudget bounds the items a delete purges in its request;
	// DefaultPurgeBudget if zero.
	PurgeBudget int
	// SideParallel is how many BatchWriteItem calls of an import's side
	// items run at once (sideParallel if zero).
	SideParallel int
	// SDKDecode decodes Get's answer through the SDK's deserializer and
	// attributevalue, as a plain SDK client does (the load tool's raw
	// phase, the baseline the platform is measured against); otherwise the
	// answer is decoded straight into the item (dynamo.GetItemDirect).
	SDKDecode bool
}

// NextNumber allocates the project's next issue number with an atomic ADD
// on the project's counter item: unique under any concurrency, never reused
// (a failed create leaves a gap). See docs/data-model.md for why not a
// transaction.
func (s *Store) NextNumber(ctx context.Context, sc tenancy.Scope, projectID string) (int64, error) {
	return s.ReserveNumbers(ctx, sc, projectID, 1)
}

// ReserveNumbers allocates n numbers of the project at once (one
// UpdateItem ADD n) and returns the last: the numbers are last-n+1..last.
// The ADD carries a write token (owntoken.Accumulates): the SDK's retry
// after a lost answer answers the first attempt's numbers instead of
// reserving n more (a gap of n, and an import's block of numbers twice).
func (s *Store) ReserveNumbers(ctx context.Context, sc tenancy.Scope, projectID string, n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("allocate issue numbers: %d", n)
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(sc.Table),
		Key:                       dynamo.Key(counterPK(sc.TenantID), counterSK(projectID)),
		UpdateExpression:          aws.String("ADD #n :k"),
		ExpressionAttributeNames:  map[string]string{"#n": "n"},
		ExpressionAttributeValues: map[string]av{":k": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("allocate issue number: %w", err)
	}
	v, ok := out.Attributes["n"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("allocate issue number: no counter in answer")
	}
	num, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, err
	}
	usage.AddItemBytes(ctx, counterSize(sc.TenantID, projectID, num)-counterSize(sc.TenantID, projectID, num-int64(n)))
	return num, nil
}

// counterSize is the stored size of a project's issue counter at n (0:
// absent), with the write token its ADD carries (owntoken.Size: every write
// of the counter is that ADD, so the item always holds one).
func counterSize(tenant, project string, n int64) int64 {
	if n <= 0 {
		return 0
	}
	m := dynamo.Key(counterPK(tenant), counterSK(project))
	m["n"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
	return dynamo.ItemSize(m) + owntoken.Size
}

// Create writes a new issue with its key alias, first status-history and
// activity entries, label uses and search postings in one transaction. A
// label that vanished meanwhile is a 400 naming labels.
func (s *Store) Create(ctx context.Context, sc tenancy.Scope, i issue.Issue, h issue.StatusChange, a issue.Activity) error {
	return createTx(sc, i, h, a).run(ctx, s.DB, "create issue")
}

// createTx is the transaction of Create.
func createTx(sc tenancy.Scope, i issue.Issue, h issue.StatusChange, a issue.Activity) *tx {
	t := &tx{table: sc.Table}
	if i.HasChildren == nil {
		none := false
		i.HasChildren = &none
	}
	it := toIssueItem(i)
	t.put(it, notExists(), func(map[string]av) error { return errs.Conflict("issue_exists", "issue id already used") })
	linkParent(t, issue.Issue{}, i)
	t.put(keyItem{PK: issueKeyPK(i.TenantID, i.ProjectID, i.Number), SK: skKey, IssueID: i.ID}, notExists(),
		func(map[string]av) error { return errs.Conflict("issue_key_taken", "issue key already used") })
	t.put(toHistoryItem(i.TenantID, h), nil, nil)
	t.put(toActivityItem(i.TenantID, a), nil, nil)
	labelDelta(t, i.TenantID, i.ID, nil, i.Labels)
	termDelta(t, i.TenantID, i.ID, "I", nil, decodeTerms(it.Terms))
	cycleDelta(t, issue.Issue{}, i, i.CreatedAt)
	return t
}

// Get returns the issue or issue_not_found (also for another tenant's id:
// the key is built from the caller's tenant, so it simply is not there).
func (s *Store) Get(ctx context.Context, sc tenancy.Scope, id string) (issue.Issue, error) {
	if !issue.ValidID(id) {
		return issue.Issue{}, errs.NotFound("issue")
	}
	var it issueItem
	get := dynamo.GetItemDirect
	if s.SDKDecode {
		get = dynamo.GetItem
	}
	if err := get(ctx, s.DB, sc.Table, dynamo.Key(issuePK(sc.TenantID, id), skIssue), &it, "issue", errs.NotFound("issue")); err != nil {
		return issue.Issue{}, err
	}
	return it.issue(), nil
}

// IDByNumber resolves a project's issue number to the issue id.
func (s *Store) IDByNumber(ctx context.Context, sc tenancy.Scope, projectID string, n int64) (string, error) {
	var k keyItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(issueKeyPK(sc.TenantID, projectID, n), skKey), &k, "issue key", errs.NotFound("issue")); err != nil {
		return "", err
	}
	return k.IssueID, nil
}

func versionIs(v int64) *expression.ConditionBuilder {
	c := expression.Name("version").Equal(expression.Value(v))
	return &c
}

// staleOrGone maps a failed version condition: the item is gone (404) or
// has moved on (412 version_mismatch).
func staleOrGone(old map[string]av) error {
	if old == nil {
		return errs.NotFound("issue")
	}
	var it issueItem
	_ = attributevalue.UnmarshalMap(old, &it)
	return errs.E(errs.KindPreconditionFailed, "version_mismatch",
		"the issue changed since version was read (current version %d)", it.Version)
}

// Update replaces old by i (whose Version is old.Version+1) if the stored
// version is still old.Version, appending the activity entry and, for a
// transition, the status-history entry. Label uses and search postings
// change by their delta.
func (s *Store) Update(ctx context.Context, sc tenancy.Scope, old, i issue.Issue, a issue.Activity, h *issue.StatusChange, r *issue.Relation) error {
	return withFlagRetry(ctx, old, i, func(ctx context.Context, old, i issue.Issue) error {
		return s.update(ctx, sc, old, i, a, h, r)
	})
}

func (s *Store) update(ctx context.Context, sc tenancy.Scope, old, i issue.Issue, a issue.Activity, h *issue.StatusChange, r *issue.Relation) error {
	t := &tx{table: sc.Table}
	it := toIssueItem(i)
	t.put(it, unchanged(old), staleGoneOrFlagged(old))
	t.gone(toIssueItem(old))
	linkParent(t, old, i)
	t.put(toActivityItem(i.TenantID, a), nil, nil)
	if h != nil {
		t.put(toHistoryItem(i.TenantID, *h), nil, nil)
	}
	labelDelta(t, i.TenantID, i.ID, old.Labels, i.Labels)
	termDelta(t, i.TenantID, i.ID, "I", decodeTerms(toIssueItem(old).Terms), decodeTerms(it.Terms))
	if r != nil {
		relate(t, i.TenantID, *r, false)
	}
	cycleDelta(t, old, i, i.UpdatedAt)
	return t.run(ctx, s.DB, "update issue")
}

// Delete removes the issue at once if its version is still i.Version: the
// issue, its key alias, label uses and issue postings go in one transaction
// with a purge marker (so reads answer 404 at once, and the key's number is
// never handed out again: the counter only grows). Then it purges what hangs
// under the issue (comments and their postings, status history, activity)
// within the request's budget; the marker keeps whatever is left for the
// next delete in the tenant or PurgePending (see purge.go).
func (s *Store) Delete(ctx context.Context, sc tenancy.Scope, i issue.Issue, at time.Time) error {
	t := &tx{table: sc.Table}
	t.delIf(dynamo.Key(issuePK(i.TenantID, i.ID), skIssue), versionIs(i.Version), staleOrGone)
	t.gone(toIssueItem(i))
	t.del(dynamo.Key(issueKeyPK(i.TenantID, i.ProjectID, i.Number), skKey))
	t.gone(keyItem{PK: issueKeyPK(i.TenantID, i.ProjectID, i.Number), SK: skKey, IssueID: i.ID})
	for _, l := range i.Labels {
		t.del(dynamo.Key(labelUsePK(i.TenantID, l), useSK(i.ID)))
		t.gone(useItem{PK: labelUsePK(i.TenantID, l), SK: useSK(i.ID), IssueID: i.ID})
	}
	for w, wt := range decodeTerms(toIssueItem(i).Terms) {
		t.del(dynamo.Key(termPK(i.TenantID, w), termSK(w, i.ID, "I")))
		t.gone(postingItem{PK: termPK(i.TenantID, w), SK: termSK(w, i.ID, "I"), IssueID: i.ID, Weight: wt})
	}
	marker := purgeItem{PK: purgePK(i.TenantID), SK: purgeSK(i.ID), IssueID: i.ID, DeletedAt: at}
	t.put(marker, nil, nil)
	cycleDelta(t, i, issue.Issue{}, at)
	if err := t.run(ctx, s.DB, "delete issue"); err != nil {
		return err
	}
	written, err := attributevalue.MarshalMap(marker) // as t.put wrote and metered it
	if err != nil {
		return errs.Internal(err)
	}
	if _, err := s.purgePending(ctx, sc, i.ID, written); err != nil {
		// The issue is gone as promised; its marker keeps the rest for later.
		slog.WarnContext(ctx, "purge deleted issue", "issue_id", i.ID, "err", err)
	}
	return nil
}

// labelDelta adds label-use items for added labels (each checked to exist in
// the catalog) and deletes them for removed ones.
func labelDelta(t *tx, tenant, issueID string, old, cur []string) {
	for _, l := range cur {
		if !slices.Contains(old, l) {
			t.put(useItem{PK: labelUsePK(tenant, l), SK: useSK(issueID), IssueID: issueID}, nil, nil)
			t.check(dynamo.Key(labelsPK(tenant), labelSK(l)), exists(), func(map[string]av) error {
				return errs.Field("labels", fmt.Sprintf("label %q does not exist", l))
			})
		}
	}
	for _, l := range old {
		if !slices.Contains(cur, l) {
			t.del(dynamo.Key(labelUsePK(tenant, l), useSK(issueID)))
			t.gone(useItem{PK: labelUsePK(tenant, l), SK: useSK(issueID), IssueID: issueID})
		}
	}
}

// termDelta writes the postings of new or re-weighted words of a document
// and deletes those of words it no longer has.
func termDelta(t *tx, tenant, issueID, src string, old, cur map[string]int) {
	posting := func(w string, wt int) postingItem {
		return postingItem{PK: termPK(tenant, w), SK: termSK(w, issueID, src), IssueID: issueID, Weight: wt}
	}
	for w, wt := range cur {
		if old[w] != wt {
			t.put(posting(w, wt), nil, nil)
			if ow, ok := old[w]; ok {
				t.gone(posting(w, ow))
			}
		}
	}
	for w, ow := range old {
		if _, ok := cur[w]; !ok {
			t.del(dynamo.Key(termPK(tenant, w), termSK(w, issueID, src)))
			t.gone(posting(w, ow))
		}
	}
}

// GetMany reads issues by id with BatchGetItem (parallel batches of 100);
// absent ids are skipped.
func (s *Store) GetMany(ctx context.Context, sc tenancy.Scope, ids []string) (map[string]issue.Issue, error) {
	out := make(map[string]issue.Issue, len(ids))
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(ids, 100) {
		g.Go(func() error {
			keys := make([]map[string]av, len(chunk))
			for i, id := range chunk {
				keys[i] = dynamo.Key(issuePK(sc.TenantID, id), skIssue)
			}
			for len(keys) > 0 {
				res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
					sc.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}})
				if err != nil {
					return fmt.Errorf("batch get issues: %w", err)
				}
				for _, m := range res.Responses[sc.Table] {
					var it issueItem
					if err := attributevalue.UnmarshalMap(m, &it); err != nil {
						return fmt.Errorf("decode issue: %w", err)
					}
					mu.Lock()
					out[it.ID] = it.issue()
					mu.Unlock()
				}
				keys = res.UnprocessedKeys[sc.Table].Keys
			}
			return nil
		})
	}
	return out, g.Wait()
}

package issuedb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
	"golang.org/x/sync/errgroup"
)

// DefaultPurgeBudget bounds the items one request deletes while purging
// deleted issues (about 20 BatchWriteItem calls): a request's cost stays
// bounded whatever an issue has accumulated.
const DefaultPurgeBudget = 500

// purgePage is the Query page of an issue partition read per purge step.
const purgePage = 50

// purgeItem marks a deleted issue whose partition and comment postings are
// still to be removed: written in the delete's transaction, deleted with the
// last of the issue's items, so a crash or an exhausted budget loses nothing.
type purgeItem struct {
	_         dynamo.NotComparable
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	IssueID   string    `dynamodbav:"issue_id"`
	DeletedAt time.Time `dynamodbav:"deleted_at"`
}

// partitionItem is what a purge reads of each item under an issue.
type partitionItem struct {
	SK    string   `dynamodbav:"sk"`
	Terms []string `dynamodbav:"terms"`
	Size  int64    `dynamodbav:"-"`
}

func (s *Store) purgeBudget() int {
	if s.PurgeBudget > 0 {
		return s.PurgeBudget
	}
	return DefaultPurgeBudget
}

// PurgePending removes what deleted issues of the tenant left behind: first
// the issue first (if not empty), then the oldest pending markers, within
// the store's budget. done reports that no marker is left. Only Queries of
// the marker partition and of each issue's own partition; no Scan.
func (s *Store) PurgePending(ctx context.Context, sc tenancy.Scope, first string) (done bool, err error) {
	var marker map[string]av
	if first != "" {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table),
			Key: dynamo.Key(purgePK(sc.TenantID), purgeSK(first)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return false, fmt.Errorf("read purge marker: %w", err)
		}
		marker = out.Item
	}
	return s.purgePending(ctx, sc, first, marker)
}

// purgePending is PurgePending with the first issue's marker as its delete
// wrote it (nil: first is "", or its marker is gone).
func (s *Store) purgePending(ctx context.Context, sc tenancy.Scope, first string, marker map[string]av) (done bool, err error) {
	budget := s.purgeBudget()
	if first != "" {
		if fin, err := s.purgeIssue(ctx, sc, first, marker, &budget); err != nil || !fin {
			return false, err
		}
	}
	for budget > 0 {
		marks, err := s.markers(ctx, sc)
		if err != nil {
			return false, fmt.Errorf("list purge markers: %w", err)
		}
		if len(marks) == 0 {
			return true, nil
		}
		for _, m := range marks {
			id, _ := m["issue_id"].(*types.AttributeValueMemberS)
			if id == nil {
				return false, fmt.Errorf("purge marker without an issue: %v", m[schema.SK])
			}
			if fin, err := s.purgeIssue(ctx, sc, id.Value, m, &budget); err != nil || !fin {
				return false, err
			}
		}
	}
	return false, nil
}

// purgeIssue deletes an issue's partition page by page, each comment's
// postings before the comment (which names them), and the marker last. It restarts from the top of the partition each step, so a
// retry after a failure resumes where the last one stopped.
//
// marker is the issue's purge marker as stored (read by the marker Query, or
// as the delete wrote it): the marker's delete asks for the old item, so
// only the purge that deleted it counts its bytes, and when that delete's
// answer was lost (its retry found it gone: owntoken.OldLost), marker is
// what it freed (owntoken.OldItem).
func (s *Store) purgeIssue(ctx context.Context, sc tenancy.Scope, id string, marker map[string]av, budget *int) (finished bool, err error) {
	pk := issuePK(sc.TenantID, id)
	for *budget > 0 {
		var items []partitionItem
		more, err := s.queryPage(ctx, sc.Table, pk, int32(min(purgePage, *budget)), &items)
		if err != nil {
			return false, fmt.Errorf("purge issue %s: %w", id, err)
		}
		var postings, rows []map[string]av
		var freed int64
		for _, it := range items {
			if c, ok := strings.CutPrefix(it.SK, preComment); ok {
				for w, wt := range decodeTerms(it.Terms) {
					p, _ := attributevalue.MarshalMap(postingItem{PK: termPK(sc.TenantID, w), SK: termSK(w, id, "C"+c), IssueID: id, Weight: wt})
					freed += dynamo.ItemSize(p)
					postings = append(postings, dynamo.Key(termPK(sc.TenantID, w), termSK(w, id, "C"+c)))
				}
			}
			freed += it.Size
			rows = append(rows, dynamo.Key(pk, it.SK))
		}
		if err := s.batchDelete(ctx, sc, postings); err != nil {
			return false, fmt.Errorf("purge issue %s postings: %w", id, err)
		}
		if err := s.batchDelete(ctx, sc, rows); err != nil {
			return false, fmt.Errorf("purge issue %s: %w", id, err)
		}
		usage.AddItemBytes(ctx, -freed)
		*budget -= len(postings) + len(rows)
		if !more {
			// Only once everything else is gone: the marker is the memory of the work.
			out, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(purgePK(sc.TenantID), purgeSK(id)),
				ReturnValues: types.ReturnValueAllOld})
			if err != nil {
				return false, fmt.Errorf("purge issue %s marker: %w", id, err)
			}
			freedMarker := dynamo.ItemSize(owntoken.OldItem(out.Attributes, out.ResultMetadata, marker))
			usage.AddItemBytes(ctx, -freedMarker)
			return true, nil
		}
	}
	return false, nil
}

// markers reads the tenant's oldest pending purge markers (whole items:
// their sizes leave the tenant's storage counter with them).
func (s *Store) markers(ctx context.Context, sc tenancy.Scope) ([]map[string]av, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("pk").Equal(expression.Value(purgePK(sc.TenantID)))).Build()
	if err != nil {
		return nil, err
	}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(10), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// queryPage reads the first page of an issue partition (whole items: a
// projection would cost the same read capacity, and their sizes leave the
// tenant's storage counter) and reports whether more items follow.
func (s *Store) queryPage(ctx context.Context, table, pk string, limit int32, dst *[]partitionItem) (more bool, err error) {
	kc := expression.Key("pk").Equal(expression.Value(pk))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return false, err
	}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(limit), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, err
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, dst); err != nil {
		return false, err
	}
	for i, it := range res.Items {
		(*dst)[i].Size = dynamo.ItemSize(it)
	}
	return res.LastEvaluatedKey != nil, nil
}

// batchDelete deletes keys with BatchWriteItem (25 a call, 4 calls at a
// time), retrying unprocessed items with a short backoff.
func (s *Store) batchDelete(ctx context.Context, sc tenancy.Scope, keys []map[string]av) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for chunk := range slices.Chunk(keys, 25) {
		g.Go(func() error {
			reqs := make([]types.WriteRequest, len(chunk))
			for i, k := range chunk {
				reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
			}
			for attempt := 0; len(reqs) > 0; attempt++ {
				if attempt == 6 {
					return fmt.Errorf("%d deletes still unprocessed", len(reqs))
				}
				if attempt > 0 {
					time.Sleep(time.Duration(25<<attempt) * time.Millisecond)
				}
				res, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{sc.Table: reqs}})
				if err != nil {
					return err
				}
				reqs = res.UnprocessedItems[sc.Table]
			}
			return nil
		})
	}
	return g.Wait()
}

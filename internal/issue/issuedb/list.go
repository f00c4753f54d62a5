package issuedb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// sortIndex maps a sort order to its tenant-wide index.
var sortIndex = map[issue.Sort]struct{ name, pk, sk string }{
	issue.SortUpdated:  {"gsi1", "gsi1pk", "gsi1sk"},
	issue.SortCreated:  {"gsi2", "gsi2pk", "gsi2sk"},
	issue.SortPriority: {"gsi3", "gsi3pk", "gsi3sk"},
	issue.SortDue:      {"gsi4", "gsi4pk", "gsi4sk"},
}

// ListQuery is one page request of an issue list.
type ListQuery struct {
	Sort   issue.Sort
	Desc   bool
	Filter issue.Filter
	Limit  int
	Cursor string // opaque, from a previous page
}

// Page bounds: a list request reads at most maxPages Query pages of
// pageRead items, so its cost is constant whatever the tenant's size; a
// selective filter may answer a short page with a next_cursor.
const (
	pageRead = 100
	maxPages = 5
)

// listCursor is what an opaque cursor holds: where the last page stopped in
// which ordering. The tenant is never in it: keys are rebuilt from the caller.
type listCursor struct {
	Sort issue.Sort `json:"s"`
	Desc bool       `json:"d"`
	SK   string     `json:"k"`
	ID   string     `json:"i"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return errs.Field("cursor", "is not a cursor this list returned")
	}
	return nil
}

// List answers one page of the tenant's issues in the requested order,
// filtered with issue.Filter.Match (the same predicate search uses).
func (s Store) List(ctx context.Context, table, tenant string, q ListQuery) ([]issue.Issue, string, error) {
	ix, ok := sortIndex[q.Sort]
	if !ok {
		return nil, "", errs.Field("sort", "must be one of updated, created, priority, due")
	}
	kc := expression.Key(ix.pk).Equal(expression.Value(issuesGSI(tenant)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(ix.name),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(!q.Desc), Limit: aws.Int32(pageRead)}
	if !q.Filter.Selective() {
		in.Limit = aws.Int32(int32(q.Limit)) // every item read is answered
	}
	if q.Cursor != "" {
		var c listCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return nil, "", err
		}
		if c.Sort != q.Sort || c.Desc != q.Desc || !issue.ValidID(c.ID) || !strings.HasSuffix(c.SK, "#"+c.ID) {
			return nil, "", errs.Field("cursor", "belongs to another ordering or is damaged")
		}
		in.ExclusiveStartKey = map[string]av{ix.pk: str(issuesGSI(tenant)), ix.sk: str(c.SK),
			"pk": str(issuePK(tenant, c.ID)), "sk": str(skIssue)}
	}
	var out []issue.Issue
	var last issueItem
	for page := 0; page < maxPages; page++ {
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("list issues: %w", err)
		}
		for _, m := range res.Items {
			var it issueItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return nil, "", fmt.Errorf("decode issue: %w", err)
			}
			last = it
			if i := it.issue(); q.Filter.Match(i) {
				out = append(out, i)
				if len(out) == q.Limit {
					return out, cursorAt(q, ix.sk, it), nil
				}
			}
		}
		if res.LastEvaluatedKey == nil {
			return out, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, cursorAt(q, ix.sk, last), nil
}

// cursorAt points after it. A page that ends exactly at the end of the
// list still gets a cursor; the next page is then empty without one.
func cursorAt(q ListQuery, skAttr string, it issueItem) string {
	sk := map[string]string{"gsi1sk": it.GSI1SK, "gsi2sk": it.GSI2SK, "gsi3sk": it.GSI3SK, "gsi4sk": it.GSI4SK}[skAttr]
	return encodeCursor(listCursor{Sort: q.Sort, Desc: q.Desc, SK: sk, ID: it.ID})
}

// childCursor is the cursor of a list inside an issue's partition.
type childCursor struct {
	SK string `json:"k"`
}

// queryChildren reads one page of the items of an issue's partition whose sk
// starts with prefix, oldest first, into dst (a pointer to a slice).
func (s Store) queryChildren(ctx context.Context, table, pk, prefix string, limit int, cursor string, dst any) (string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").BeginsWith(prefix))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return "", err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(int32(limit)),
		ConsistentRead: aws.Bool(true)}
	if cursor != "" {
		var c childCursor
		if err := decodeCursor(cursor, &c); err != nil {
			return "", err
		}
		if !strings.HasPrefix(c.SK, prefix) {
			return "", errs.Field("cursor", "belongs to another list")
		}
		in.ExclusiveStartKey = key(pk, c.SK)
	}
	res, err := s.DB.Query(ctx, in)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", prefix, err)
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, dst); err != nil {
		return "", fmt.Errorf("decode %s: %w", prefix, err)
	}
	if res.LastEvaluatedKey == nil {
		return "", nil
	}
	sk, _ := res.LastEvaluatedKey["sk"].(*types.AttributeValueMemberS)
	return encodeCursor(childCursor{SK: sk.Value}), nil
}

// Activity returns a page of the issue's activity, oldest first.
func (s Store) Activity(ctx context.Context, table, tenant, issueID string, limit int, cursor string) ([]issue.Activity, string, error) {
	var items []activityItem
	next, err := s.queryChildren(ctx, table, issuePK(tenant, issueID), preAct, limit, cursor, &items)
	out := make([]issue.Activity, len(items))
	for i, it := range items {
		out[i] = it.activity()
	}
	return out, next, err
}

// History returns a page of the issue's status history, oldest first.
func (s Store) History(ctx context.Context, table, tenant, issueID string, limit int, cursor string) ([]issue.StatusChange, string, error) {
	var items []historyItem
	next, err := s.queryChildren(ctx, table, issuePK(tenant, issueID), preHist, limit, cursor, &items)
	out := make([]issue.StatusChange, len(items))
	for i, it := range items {
		out[i] = it.change()
	}
	return out, next, err
}

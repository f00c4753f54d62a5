package issuedb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// MaxPostings bounds what one search word reads: its cost grows with the
// number of matches, never with the number of issues, and stops here.
const MaxPostings = 2000

// WordHits maps issue id to the score of one search word: the weights of its
// postings, doubled where the indexed word is the search word itself rather
// than a longer word it prefixes. truncated reports MaxPostings was reached.
func (s *Store) WordHits(ctx context.Context, sc tenancy.Scope, word string) (hits map[string]int, truncated bool, err error) {
	kc := expression.Key("pk").Equal(expression.Value(termPK(sc.TenantID, word))).And(expression.Key("sk").BeginsWith(word))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, false, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	hits = map[string]int{}
	n := 0
	for {
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, false, fmt.Errorf("search %q: %w", word, err)
		}
		var ps []postingItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &ps); err != nil {
			return nil, false, fmt.Errorf("decode postings: %w", err)
		}
		for _, p := range ps {
			w := p.Weight
			if strings.HasPrefix(p.SK, word+"#") {
				w *= 2
			}
			hits[p.IssueID] += w
		}
		n += len(ps)
		if res.LastEvaluatedKey == nil {
			return hits, false, nil
		}
		if n >= MaxPostings {
			return hits, true, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

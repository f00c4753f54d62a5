package analyticsdb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Compaction. The consumer adds a duration to a day with an ADD on one
// counter attribute per histogram bin (lt<b>, ct<b>, rt<b>): concurrent
// consumers never read-modify-write, and a busy day holds a few hundred
// such attributes. Reading 90 days of them is what made a dashboard's cost
// grow with a tenant's volume (every attribute is parsed by DynamoDB and by
// the SDK, and counts towards read capacity). Once a day is past (days are
// written for the day of the event, so past days rarely change), Compact
// folds its bin counters into one binary attribute per histogram (lh, ch,
// rh: analytics.Histogram.MarshalBinary) and removes them. A later ADD to a
// compacted day (a late event, a backfill) simply adds counters beside the
// blob; readers add both, and the next compaction folds them in.
//
// Every write of a day adds 1 to its write counter (w), compaction too, and
// compaction is conditioned on the counter it read: a compaction racing a
// consumer's ADD, or another compaction, fails its condition and leaves the
// day as it is (the blob plus the counters always hold the day's figures).
const (
	fieldWrites = "w"
	blobLead    = "lh"
	blobCycle   = "ch"
	blobResp    = "rh"
)

// compactNamesPerWrite bounds the counters one compaction write removes:
// DynamoDB limits an expression to 4 KB, and a day can hold over a
// thousand bins; a bigger day is folded in several conditioned writes.
const compactNamesPerWrite = 300

var blobOf = map[string]string{analytics.PrefixLead: blobLead, analytics.PrefixCycle: blobCycle, analytics.PrefixResp: blobResp}

// binCounter reports whether attribute k is a bin counter (lt<b>, ct<b>,
// rt<b>), with its histogram's prefix and its bin.
func binCounter(k string) (prefix string, bin int, ok bool) {
	for _, prefix := range []string{analytics.PrefixLead, analytics.PrefixCycle, analytics.PrefixResp} {
		if rest, found := strings.CutPrefix(k, prefix); found && rest != "" {
			if b, err := strconv.Atoi(rest); err == nil {
				return prefix, b, true
			}
		}
	}
	return "", 0, false
}

// histogram is d's histogram named by a counter prefix or a blob attribute.
func histogram(d *analytics.DayRollup, name string) analytics.Histogram {
	switch name {
	case analytics.PrefixLead, blobLead:
		return d.Lead
	case analytics.PrefixCycle, blobCycle:
		return d.Cycle
	}
	return d.Response
}

// Compact folds the bin counters of the scope's days from..to (inclusive)
// into their histogram blobs. It returns how many days it compacted; a day
// written meanwhile is left for a later compaction.
func (s Store) Compact(ctx context.Context, sc tenancy.Scope, scope, from, to string) (int, error) {
	kc := expression.Key("pk").Equal(expression.Value(dayPK(sc.TenantID, scope))).And(expression.Key("sk").Between(expression.Value(from), expression.Value(to)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return 0, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)})
	done := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return done, fmt.Errorf("query analytics days to compact: %w", err)
		}
		for _, m := range page.Items {
			ok, err := s.compactDay(ctx, sc, m)
			if err != nil {
				return done, err
			}
			if ok {
				done++
			}
		}
	}
	return done, nil
}

// compactDay folds one day item's counters, in as many conditioned writes
// as its counters need; false if it had none or was written meanwhile.
func (s Store) compactDay(ctx context.Context, sc tenancy.Scope, m map[string]av) (bool, error) {
	var counters []string
	for k := range m {
		if _, _, ok := binCounter(k); ok {
			counters = append(counters, k)
		}
	}
	if len(counters) == 0 {
		return false, nil
	}
	sort.Strings(counters)
	hists := map[string]analytics.Histogram{}
	for _, blob := range blobOf {
		h := analytics.Histogram{}
		if b, ok := m[blob].(*types.AttributeValueMemberB); ok {
			if err := h.AddBinary(b.Value); err != nil {
				return false, fmt.Errorf("analytics day %s: %w", str2(m["sk"]), err)
			}
		}
		hists[blob] = h
	}
	writes, hasWrites := num(m[fieldWrites])
	key := dynamo.Key(str2(m["pk"]), str2(m["sk"]))
	for len(counters) > 0 {
		part := counters[:min(compactNamesPerWrite, len(counters))]
		counters = counters[len(part):]
		for _, k := range part {
			prefix, b, _ := binCounter(k)
			n, _ := num(m[k])
			hists[blobOf[prefix]][b] += n
		}
		var upd expression.UpdateBuilder
		for _, blob := range []string{blobLead, blobCycle, blobResp} {
			data, _ := hists[blob].MarshalBinary()
			if len(data) == 0 {
				upd = upd.Remove(expression.Name(blob))
			} else {
				upd = upd.Set(expression.Name(blob), expression.Value(data))
			}
		}
		for _, k := range part {
			upd = upd.Remove(expression.Name(k))
		}
		upd = upd.Add(expression.Name(fieldWrites), expression.Value(1))
		cond := expression.AttributeExists(expression.Name("pk")) // never bring back a deleted day
		if hasWrites {
			cond = cond.And(expression.Name(fieldWrites).Equal(expression.Value(writes)))
		} else {
			cond = cond.And(expression.AttributeNotExists(expression.Name(fieldWrites)))
		}
		e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return false, err
		}
		_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: key, UpdateExpression: e.Update(),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("compact analytics day %s: %w", str2(m["sk"]), err)
		}
		writes, hasWrites = writes+1, true
	}
	return true, nil
}

package analyticsdb

import (
	"context"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
)

// Rebuild recomputes a tenant's rollups from its items (the backfill): for
// each issue, in creation order, it folds the issue item, its status
// history and its comments into the stored state and writes the difference
// between the recomputed contribution and the one the rollups hold. So it
// fills rollups for tenants that predate the stream, and corrects them
// after a bug fix, while the consumer keeps running (both are conditioned
// on the state's revision). Progress is saved after every page, so a
// stopped backfill resumes where it was.
type Rebuild struct {
	DB      *dynamodb.Client
	Service *analytics.Service
	// PageSize is how many issues are read per page. Default 100.
	PageSize int
	// Progress, when set, is told the issues done so far.
	Progress func(done int)
}

type progressItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Entity string `dynamodbav:"entity"`
	Cursor string `dynamodbav:"cursor"`
	Done   int    `dynamodbav:"done"`
	// Finished: the run reached the last issue; --resume has nothing to do.
	Finished bool `dynamodbav:"finished"`
}

func progressKey(tenant string) map[string]av { return dynamo.Key(an(tenant)+"BACKFILL", "BACKFILL") }

// Run rebuilds the tenant's rollups. With resume it continues after the
// last saved page of an unfinished earlier run (nothing, if it finished);
// otherwise it starts from the first issue. It returns the number of
// issues processed in this run.
func (r Rebuild) Run(ctx context.Context, sc tenancy.Scope, resume bool) (int, error) {
	size := r.PageSize
	if size <= 0 {
		size = 100
	}
	issues := issuedb.Store{DB: r.DB}
	var prog progressItem
	if resume {
		out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: progressKey(sc.TenantID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return 0, fmt.Errorf("read backfill progress: %w", err)
		}
		if err := attributevalue.UnmarshalMap(out.Item, &prog); err != nil {
			return 0, err
		}
		if prog.Finished {
			return 0, nil
		}
	}
	done := 0
	cursor := prog.Cursor
	for {
		page, next, err := issues.IssuePage(ctx, sc, cursor, size)
		if err != nil {
			return done, err
		}
		for _, item := range page {
			if err := r.issue(ctx, issues, sc, item); err != nil {
				return done, err
			}
			done++
		}
		if r.Progress != nil {
			r.Progress(done)
		}
		m, _ := attributevalue.MarshalMap(progressItem{Entity: "analytics_backfill", Cursor: next, Done: prog.Done + done, Finished: next == ""})
		for k, v := range progressKey(sc.TenantID) {
			m[k] = v
		}
		if _, err := r.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: m}); err != nil {
			return done, fmt.Errorf("save backfill progress: %w", err)
		}
		if next == "" {
			r.Service.CompactPending(ctx, sc) // the past days this run wrote
			return done, nil
		}
		cursor = next
	}
}

func (r Rebuild) issue(ctx context.Context, issues issuedb.Store, sc tenancy.Scope, item changes.Item) error {
	i, err := issuedb.DecodeIssue(item)
	if err != nil {
		return err
	}
	events := []analytics.Event{{IssueID: i.ID, Issue: &i}}
	children, err := issues.IssueChildren(ctx, sc, i.ID)
	if err != nil {
		return err
	}
	for _, c := range children {
		e, ok, err := EventOf(changes.Change{TenantID: sc.TenantID, Entity: str2(c["entity"]), Op: changes.Insert, New: c})
		if err != nil {
			return err
		}
		if ok {
			events = append(events, e)
		}
	}
	return r.Service.Recompute(ctx, sc, i.ID, events)
}

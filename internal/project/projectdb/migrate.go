package projectdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Migration moves a tenant's issues written before projects into its
// default project (cmd/backfill-projects runs it for every tenant). It is
//   - idempotent: the default project is written only if absent, an issue
//     is moved only if it has no project (a conditional update), and a
//     finished migration is a no-op;
//   - resumable: after each page its position is saved in a checkpoint
//     item (T#t#PROJECTS / MIGRATION), where the next run starts.
//
// Keys need no rewrite: the default project keeps the tenant's original
// counter and key aliases (issuedb keys.go), so ACME-42 resolves before,
// during and after the migration.
type Migration struct {
	Projects Store
	Issues   issuedb.Store
	// PageSize is the issues read per Query (default 100).
	PageSize int32
	Now      func() time.Time
}

// checkpointItem is where a tenant's migration stopped.
type checkpointItem struct {
	PK     string    `dynamodbav:"pk"`
	SK     string    `dynamodbav:"sk"`
	Entity string    `dynamodbav:"entity"`
	After  string    `dynamodbav:"after,omitempty"`
	Moved  int       `dynamodbav:"moved"`
	Done   bool      `dynamodbav:"done"`
	At     time.Time `dynamodbav:"at"`
}

const skMigration = "MIGRATION"

// Progress is a tenant's migration state.
type Progress struct {
	Moved int  // issues moved so far (all runs)
	Done  bool // every issue has a project
	Pages int  // pages read by this run
}

// Run migrates the tenant of sc, at most maxPages pages (0: until done).
func (m Migration) Run(ctx context.Context, sc tenancy.Scope, maxPages int) (Progress, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	if err := m.Projects.EnsureDefault(ctx, sc, project.Default(sc.TenantID, now().UTC())); err != nil {
		return Progress{}, fmt.Errorf("migrate %s: %w", sc.TenantID, err)
	}
	var cp checkpointItem
	err := dynamo.GetItem(ctx, m.Projects.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), skMigration), &cp, "migration checkpoint", errs.NotFound("checkpoint"))
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return Progress{}, err
	}
	if cp.Done {
		return Progress{Moved: cp.Moved, Done: true}, nil
	}
	size := m.PageSize
	if size <= 0 {
		size = 100
	}
	pr := Progress{Moved: cp.Moved}
	for maxPages == 0 || pr.Pages < maxPages {
		next, n, err := m.Issues.BackfillPage(ctx, sc, cp.After, size)
		if err != nil {
			return pr, fmt.Errorf("migrate %s: %w", sc.TenantID, err)
		}
		pr.Pages++
		pr.Moved += n
		cp = checkpointItem{PK: projectsPK(sc.TenantID), SK: skMigration, Entity: "migration", After: next, Moved: pr.Moved,
			Done: next == "", At: now().UTC()}
		if err := m.save(ctx, sc, cp); err != nil {
			return pr, err
		}
		if cp.Done {
			pr.Done = true
			break
		}
	}
	return pr, nil
}

func (m Migration) save(ctx context.Context, sc tenancy.Scope, cp checkpointItem) error {
	item, err := attributevalue.MarshalMap(cp)
	if err == nil {
		_, err = m.Projects.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: item})
	}
	if err != nil {
		return fmt.Errorf("save migration checkpoint: %w", err)
	}
	return nil
}

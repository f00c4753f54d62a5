// Package projectdb stores the project domain in the tenant's table (the
// pooled table or a Platinum tenant's own). A tenant's projects, their keys
// and their count share one partition, T#<tenant>#PROJECTS, so the catalog
// is one Query and a key is one GetItem (docs/data-model.md).
package projectdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

type av = types.AttributeValue

// Key builders: the only place key formats are spelled out.
func projectsPK(tenant string) string { return schema.TenantKeyPrefix(tenant) + "PROJECTS" }
func projectSK(id string) string      { return preProject + id }
func keySK(key string) string         { return "KEY#" + key }

const (
	preProject = "PROJECT#"
	skCount    = "COUNT"
)

// projectItem is a project as stored: pk T#t#PROJECTS, sk PROJECT#<id>.
type projectItem struct {
	PK                string    `dynamodbav:"pk"`
	SK                string    `dynamodbav:"sk"`
	Entity            string    `dynamodbav:"entity"`
	ID                string    `dynamodbav:"id"`
	Key               string    `dynamodbav:"key"`
	FormerKeys        []string  `dynamodbav:"former_keys,omitempty"`
	Name              string    `dynamodbav:"name"`
	Description       string    `dynamodbav:"description,omitempty"`
	LeadID            string    `dynamodbav:"lead_id,omitempty"`
	DefaultAssigneeID string    `dynamodbav:"default_assignee_id,omitempty"`
	Archived          bool      `dynamodbav:"archived"`
	EstimateScale     string    `dynamodbav:"estimate_scale,omitempty"`
	CreatedAt         time.Time `dynamodbav:"created_at"`
	UpdatedAt         time.Time `dynamodbav:"updated_at"`
	Version           int64     `dynamodbav:"version"`
}

// keyItem claims a key (current or former) for a project: pk T#t#PROJECTS,
// sk KEY#<KEY>. It is never deleted, so a former key keeps resolving and
// no other project can take it.
type keyItem struct {
	_         dynamo.NotComparable
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Entity    string `dynamodbav:"entity"`
	ProjectID string `dynamodbav:"project_id"`
}

func toItem(tenant string, p project.Project) projectItem {
	return projectItem{PK: projectsPK(tenant), SK: projectSK(p.ID), Entity: "project", ID: p.ID, Key: p.Key,
		FormerKeys: p.FormerKeys, Name: p.Name, Description: p.Description, LeadID: p.LeadID,
		DefaultAssigneeID: p.DefaultAssigneeID, Archived: p.Archived, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
		EstimateScale: string(p.EstimateScale)}
}

func (it projectItem) project() project.Project {
	fk := it.FormerKeys
	if fk == nil {
		fk = []string{}
	}
	p := project.Project{ID: it.ID, Key: it.Key, FormerKeys: fk, Name: it.Name, Description: it.Description,
		LeadID: it.LeadID, DefaultAssigneeID: it.DefaultAssigneeID, Archived: it.Archived, CreatedAt: it.CreatedAt,
		UpdatedAt: it.UpdatedAt, Version: it.Version, EstimateScale: issue.EstimateScale(it.EstimateScale)}
	p.EstimateScale = p.Scale()
	p.EstimateValues = p.EstimateScale.Values()
	return p
}

// Store implements project.Store on DynamoDB.
type Store struct{ DB *dynamodb.Client }

var _ project.Store = &Store{}

// txn is one TransactWriteItems with what each item's failed condition means.
type txn struct {
	sc    tenancy.Scope
	items []types.TransactWriteItem
	fail  []error
	bytes int64
	err   error
}

func (t *txn) put(item any, cond *expression.ConditionBuilder, fail error) {
	m, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	t.bytes += dynamo.ItemSize(m)
	p := &types.Put{TableName: aws.String(t.sc.Table), Item: m}
	if cond != nil {
		e, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			t.err = errors.Join(t.err, err)
			return
		}
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
	}
	t.items = append(t.items, types.TransactWriteItem{Put: p})
	t.fail = append(t.fail, fail)
}

func (t *txn) run(ctx context.Context, db *dynamodb.Client, op string) error {
	if t.err != nil {
		return fmt.Errorf("%s: %w", op, t.err)
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	if failed, ok := dynamo.CancelledItems(err); ok {
		for i, f := range failed {
			if f && i < len(t.fail) && t.fail[i] != nil {
				return t.fail[i]
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	usage.AddItemBytes(ctx, t.bytes)
	return nil
}

func notExists() *expression.ConditionBuilder {
	c := expression.AttributeNotExists(expression.Name("pk"))
	return &c
}

func keyTaken(key string) error {
	e := errs.Conflict("project_key_taken", fmt.Sprintf("the key %s is (or was) another project's", key))
	e.Fields = []errs.FieldError{{Field: "key", Reason: "is taken"}}
	return e
}

// EnsureDefault implements project.Store: the default project and its key,
// each only if absent, and the tenant's project count at 1. A key taken
// meanwhile by nothing else is impossible (projects are created after their
// tenant's default), so a failed condition means a concurrent call wrote
// them: nothing to do.
func (s *Store) EnsureDefault(ctx context.Context, sc tenancy.Scope, p project.Project) error {
	t := &txn{sc: sc}
	t.put(toItem(sc.TenantID, p), notExists(), errAlready)
	t.put(keyItem{PK: projectsPK(sc.TenantID), SK: keySK(p.Key), Entity: "project_key", ProjectID: p.ID}, notExists(), errAlready)
	t.items = append(t.items, countUpdate(sc, 0))
	t.fail = append(t.fail, errAlready)
	t.bytes += countSize(sc.TenantID, 1)
	err := t.run(ctx, s.DB, "ensure default project")
	if errors.Is(err, errAlready) {
		return nil
	}
	return err
}

var errAlready = errors.New("already written")

// countItem is the tenant's number of projects: pk T#t#PROJECTS, sk COUNT.
type countItem struct {
	_  dynamo.NotComparable
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	N  int    `dynamodbav:"n"`
}

// countSize is the stored size of the count item holding n (0: no item),
// for the storage meter.
func countSize(tenant string, n int) int64 {
	if n <= 0 {
		return 0
	}
	m := dynamo.Key(projectsPK(tenant), skCount)
	m["n"] = &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
	return dynamo.ItemSize(m)
}

// countUpdate sets the tenant's project count from cur to cur+1 if it is
// still cur (0: the item is absent), as a transaction item. Knowing cur
// keeps the storage meter exact; Create checks the tier's limit against it.
func countUpdate(sc tenancy.Scope, cur int) types.TransactWriteItem {
	u := expression.Set(expression.Name("n"), expression.Value(cur+1))
	c := expression.AttributeNotExists(expression.Name("n"))
	if cur > 0 {
		c = expression.Name("n").Equal(expression.Value(cur))
	}
	e, err := expression.NewBuilder().WithUpdate(u).WithCondition(c).Build()
	if err != nil {
		panic(err) // a constant expression
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(projectsPK(sc.TenantID), skCount),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}
}

// count reads the tenant's number of projects (0 before its default).
func (s *Store) count(ctx context.Context, sc tenancy.Scope) (int, error) {
	var it countItem
	err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), skCount), &it, "project count", errs.NotFound("project count"))
	if errs.Is(err, errs.KindNotFound) {
		return 0, nil
	}
	return it.N, err
}

// errCountMoved: another project was created between reading the count and
// the transaction; Create reads it again.
var errCountMoved = errors.New("project count moved")

// Create implements project.Store: the project, its key claim and the
// tenant's count (bounded by max; 0: no bound) in one transaction. The
// count is read first (one GetItem: creating a project is rare) and the
// transaction holds only while it is unchanged, retried if another create
// got in between.
func (s *Store) Create(ctx context.Context, sc tenancy.Scope, p project.Project, max int) error {
	for attempt := 0; ; attempt++ {
		n, err := s.count(ctx, sc)
		if err != nil {
			return err
		}
		if max > 0 && n >= max {
			return errs.E(errs.KindUnprocessable, "project_limit_reached",
				"your plan allows %d projects (archived ones count); upgrade for more", max)
		}
		t := &txn{sc: sc}
		t.put(toItem(sc.TenantID, p), notExists(), errs.Conflict("project_exists", "project id already used"))
		t.put(keyItem{PK: projectsPK(sc.TenantID), SK: keySK(p.Key), Entity: "project_key", ProjectID: p.ID}, notExists(), keyTaken(p.Key))
		t.items = append(t.items, countUpdate(sc, n))
		t.fail = append(t.fail, errCountMoved)
		t.bytes += countSize(sc.TenantID, n+1) - countSize(sc.TenantID, n)
		err = t.run(ctx, s.DB, "create project")
		if !errors.Is(err, errCountMoved) {
			return err
		}
		if attempt == 9 { // each retry means another create landed: progress
			return errs.Conflict("projects_busy", "other projects are being created right now; try again")
		}
	}
}

// Get implements project.Store.
func (s *Store) Get(ctx context.Context, sc tenancy.Scope, id string) (project.Project, error) {
	if !issue.ValidID(id) {
		return project.Project{}, errs.NotFound("project")
	}
	var it projectItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), projectSK(id)), &it, "project", errs.NotFound("project")); err != nil {
		return project.Project{}, err
	}
	return it.project(), nil
}

// IDByKey implements project.Store: one GetItem of the key's claim.
func (s *Store) IDByKey(ctx context.Context, sc tenancy.Scope, key string) (string, error) {
	var it keyItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), keySK(key)), &it, "project key", errs.NotFound("project")); err != nil {
		return "", err
	}
	return it.ProjectID, nil
}

// List implements project.Store: one Query of the projects partition
// (begins_with PROJECT#), paged only past 1 MB (about 2,000 projects).
func (s *Store) List(ctx context.Context, sc tenancy.Scope) ([]project.Project, error) {
	kc := expression.Key("pk").Equal(expression.Value(projectsPK(sc.TenantID))).And(expression.Key("sk").BeginsWith(preProject))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)}
	out := []project.Project{}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		var its []projectItem
		if err := attributevalue.UnmarshalListOfMaps(pg.Items, &its); err != nil {
			return nil, fmt.Errorf("decode projects: %w", err)
		}
		for _, it := range its {
			out = append(out, it.project())
		}
	}
	return out, nil
}

// Update implements project.Store: the project if its version is still
// old's, and on a key change the new key's claim (the old claim stays, an
// alias).
func (s *Store) Update(ctx context.Context, sc tenancy.Scope, old, p project.Project) error {
	t := &txn{sc: sc}
	c := expression.Name("version").Equal(expression.Value(old.Version))
	t.put(toItem(sc.TenantID, p), &c, errs.E(errs.KindPreconditionFailed, "version_mismatch", "the project changed meanwhile; read it again"))
	if p.Key != old.Key { // free, or one of this project's former keys
		ours := expression.AttributeNotExists(expression.Name("pk")).Or(expression.Name("project_id").Equal(expression.Value(p.ID)))
		t.put(keyItem{PK: projectsPK(sc.TenantID), SK: keySK(p.Key), Entity: "project_key", ProjectID: p.ID}, &ours, keyTaken(p.Key))
	}
	if m, err := attributevalue.MarshalMap(toItem(sc.TenantID, old)); err == nil {
		t.bytes -= dynamo.ItemSize(m)
	}
	return t.run(ctx, s.DB, "update project")
}

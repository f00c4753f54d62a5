package projectdb

import (
	"context"
	"fmt"
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
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Workflows and status-deletion jobs live in the projects partition too:
// sk WORKFLOW#<project> and WFDEL#<project>#<status>.
func workflowSK(project string) string                 { return preWorkflow + project }
func deletionSK(project string, s issue.Status) string { return "WFDEL#" + project + "#" + string(s) }

const preWorkflow = "WORKFLOW#"

// workflowItem is a project's stored workflow.
type workflowItem struct {
	PK        string       `dynamodbav:"pk"`
	SK        string       `dynamodbav:"sk"`
	Entity    string       `dynamodbav:"entity"`
	ProjectID string       `dynamodbav:"project_id"`
	Statuses  []statusItem `dynamodbav:"statuses"`
	Version   int64        `dynamodbav:"version"`
	UpdatedAt *time.Time   `dynamodbav:"updated_at,omitempty"`
}

// statusItem is one status of a stored workflow.
type statusItem struct {
	Status   string   `dynamodbav:"status"`
	Name     string   `dynamodbav:"name"`
	Category string   `dynamodbav:"category"`
	Order    int      `dynamodbav:"order"`
	Color    string   `dynamodbav:"color"`
	Next     []string `dynamodbav:"next,omitempty"`
	Retiring bool     `dynamodbav:"retiring,omitempty"`
}

func toWorkflowItem(tenant string, w issue.Workflow) workflowItem {
	it := workflowItem{PK: projectsPK(tenant), SK: workflowSK(w.ProjectID), Entity: "workflow", ProjectID: w.ProjectID,
		Statuses: []statusItem{}, Version: w.Version, UpdatedAt: w.UpdatedAt}
	for _, s := range w.Statuses {
		next := make([]string, 0, len(s.Next))
		for _, n := range s.Next {
			next = append(next, string(n))
		}
		it.Statuses = append(it.Statuses, statusItem{Status: string(s.Status), Name: s.Name, Category: string(s.Category),
			Order: s.Order, Color: s.Color, Next: next, Retiring: s.Retiring})
	}
	return it
}

func (it workflowItem) workflow() issue.Workflow {
	w := issue.Workflow{ProjectID: it.ProjectID, Statuses: []issue.WorkflowStatus{}, Version: it.Version, UpdatedAt: it.UpdatedAt}
	for _, s := range it.Statuses {
		next := make([]issue.Status, 0, len(s.Next))
		for _, n := range s.Next {
			next = append(next, issue.Status(n))
		}
		w.Statuses = append(w.Statuses, issue.WorkflowStatus{Status: issue.Status(s.Status), Name: s.Name, Category: issue.Category(s.Category),
			Order: s.Order, Color: s.Color, Next: next, Retiring: s.Retiring})
	}
	return w
}

// deletionItem is a status-deletion job.
type deletionItem struct {
	_          dynamo.NotComparable
	PK         string       `dynamodbav:"pk"`
	SK         string       `dynamodbav:"sk"`
	Entity     string       `dynamodbav:"entity"`
	ProjectID  string       `dynamodbav:"project_id"`
	Status     issue.Status `dynamodbav:"status"`
	MoveTo     issue.Status `dynamodbav:"move_to,omitempty"`
	State      string       `dynamodbav:"state"`
	Moved      int          `dynamodbav:"moved"`
	After      string       `dynamodbav:"after,omitempty"`
	PassMoved  int          `dynamodbav:"pass_moved"`
	StartedAt  time.Time    `dynamodbav:"started_at"`
	FinishedAt *time.Time   `dynamodbav:"finished_at,omitempty"`
	Rev        int64        `dynamodbav:"rev"`
	StartedBy  string       `dynamodbav:"started_by,omitempty"`
}

// Workflow implements project.Store: one GetItem.
func (s *Store) Workflow(ctx context.Context, sc tenancy.Scope, projectID string) (issue.Workflow, error) {
	var it workflowItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), workflowSK(projectID)), &it, "workflow", errs.NotFound("workflow")); err != nil {
		return issue.Workflow{}, err
	}
	return it.workflow(), nil
}

// ProjectAndWorkflow implements project.Store: one BatchGetItem of the
// project's item and its workflow's (both in the tenant's PROJECTS
// partition), strongly consistent like the single reads.
func (s *Store) ProjectAndWorkflow(ctx context.Context, sc tenancy.Scope, projectID string) (project.Project, *issue.Workflow, error) {
	if !issue.ValidID(projectID) {
		return project.Project{}, nil, errs.NotFound("project")
	}
	items, err := dynamo.BatchGet(ctx, s.DB, sc.Table, []map[string]types.AttributeValue{
		dynamo.Key(projectsPK(sc.TenantID), projectSK(projectID)), dynamo.Key(projectsPK(sc.TenantID), workflowSK(projectID))})
	if err != nil {
		return project.Project{}, nil, err
	}
	var pr *project.Project
	var wf *issue.Workflow
	for _, m := range items {
		switch sk, _ := m[schema.SK].(*types.AttributeValueMemberS); {
		case sk != nil && sk.Value == projectSK(projectID):
			var it projectItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return project.Project{}, nil, fmt.Errorf("decode project: %w", err)
			}
			p := it.project()
			pr = &p
		case sk != nil && sk.Value == workflowSK(projectID):
			var it workflowItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return project.Project{}, nil, fmt.Errorf("decode workflow: %w", err)
			}
			w := it.workflow()
			wf = &w
		}
	}
	if pr == nil {
		return project.Project{}, nil, errs.NotFound("project")
	}
	return *pr, wf, nil
}

// Workflows implements project.Store: one Query (begins_with WORKFLOW#).
func (s *Store) Workflows(ctx context.Context, sc tenancy.Scope) ([]issue.Workflow, error) {
	kc := expression.Key("pk").Equal(expression.Value(projectsPK(sc.TenantID))).And(expression.Key("sk").BeginsWith(preWorkflow))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	var out []issue.Workflow
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list workflows: %w", err)
		}
		var its []workflowItem
		if err := attributevalue.UnmarshalListOfMaps(pg.Items, &its); err != nil {
			return nil, fmt.Errorf("decode workflows: %w", err)
		}
		for _, it := range its {
			out = append(out, it.workflow())
		}
	}
	return out, nil
}

// PutWorkflow implements project.Store: PutItem conditioned on the version.
func (s *Store) PutWorkflow(ctx context.Context, sc tenancy.Scope, w issue.Workflow, old int64) error {
	it := toWorkflowItem(sc.TenantID, w)
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if old != 0 {
		cond = expression.Name("version").Equal(expression.Value(old))
	}
	err := s.put(ctx, sc, it, cond, old == 0)
	return dynamo.Translate(err, "put workflow", errs.E(errs.KindPreconditionFailed, "version_mismatch", "the workflow changed meanwhile; read it again"))
}

// Deletion implements project.Store: one GetItem.
func (s *Store) Deletion(ctx context.Context, sc tenancy.Scope, projectID string, st issue.Status) (project.Deletion, error) {
	var it deletionItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(projectsPK(sc.TenantID), deletionSK(projectID, st)), &it, "status deletion", errs.NotFound("status deletion")); err != nil {
		return project.Deletion{}, err
	}
	return project.Deletion{ProjectID: it.ProjectID, Status: it.Status, MoveTo: it.MoveTo, State: it.State, Moved: it.Moved,
		After: it.After, PassMoved: it.PassMoved, StartedAt: it.StartedAt, FinishedAt: it.FinishedAt, Rev: it.Rev, StartedBy: it.StartedBy}, nil
}

// PutDeletion implements project.Store: PutItem conditioned on the revision.
func (s *Store) PutDeletion(ctx context.Context, sc tenancy.Scope, d project.Deletion) error {
	it := deletionItem{PK: projectsPK(sc.TenantID), SK: deletionSK(d.ProjectID, d.Status), Entity: "status_deletion", ProjectID: d.ProjectID,
		Status: d.Status, MoveTo: d.MoveTo, State: d.State, Moved: d.Moved, After: d.After, PassMoved: d.PassMoved,
		StartedAt: d.StartedAt, FinishedAt: d.FinishedAt, Rev: d.Rev, StartedBy: d.StartedBy}
	cond := expression.AttributeNotExists(expression.Name("pk")).Or(expression.Name("rev").Equal(expression.Value(d.Rev - 1)))
	err := s.put(ctx, sc, it, cond, d.Rev == 1)
	return dynamo.Translate(err, "put status deletion", errs.Conflict("status_deletion_busy", "another call is running this deletion; try again"))
}

// put writes item if cond holds; a new item adds its size to the tenant's
// storage, with the write token a conditional PutItem leaves in it
// (owntoken.Size).
func (s *Store) put(ctx context.Context, sc tenancy.Scope, item any, cond expression.ConditionBuilder, isNew bool) error {
	m, err := attributevalue.MarshalMap(item)
	if err != nil {
		return err
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: m, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}); err != nil {
		return err
	}
	if isNew {
		usage.AddItemBytes(ctx, dynamo.ItemSize(m)+owntoken.Size)
	}
	return nil
}

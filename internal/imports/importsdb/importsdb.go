// Package importsdb stores import jobs and their files' parts in the
// tenant's application table:
//
//	job   pk T#t#IMPORT#<job id>  sk JOB          state, progress, counts, first row errors,
//	                                              the issue numbers of the batch being written
//	part  pk T#t#IMPORT#<job id>  sk PART#<00042> one slice of the file's text
//
// A job's id is imports.JobID(project, file's SHA-256); jobs stored before
// imports were keyed per project have the file's SHA-256 as id.
//
// Both expire (the table's TTL) 30 days after they were last written. The
// file is read back with one Query of the job's partition (paged by 1 MB).
// Progress is committed with a Put conditioned on the progress read, so
// two runs of one job cannot both move it.
package importsdb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Key builders: the only place key formats are spelled out.
func jobPK(tenant, id string) string { return schema.TenantKeyPrefix(tenant) + "IMPORT#" + id }
func partSK(n int) string            { return prePart + fmt.Sprintf("%05d", n) }

const (
	skJob   = "JOB"
	prePart = "PART#"
	keep    = 30 * 24 * time.Hour
)

type jobItem struct {
	PK        string             `dynamodbav:"pk"`
	SK        string             `dynamodbav:"sk"`
	Entity    string             `dynamodbav:"entity"`
	ID        string             `dynamodbav:"id"`
	Filename  string             `dynamodbav:"filename"`
	SHA256    string             `dynamodbav:"sha256,omitempty"`
	ProjectID string             `dynamodbav:"project_id,omitempty"`
	Size      int64              `dynamodbav:"size"`
	Parts     int                `dynamodbav:"parts"`
	State     string             `dynamodbav:"state"`
	Rows      int                `dynamodbav:"rows"`
	RowsDone  int                `dynamodbav:"rows_done"`
	Created   int                `dynamodbav:"created"`
	Existing  int                `dynamodbav:"existing"`
	Failed    int                `dynamodbav:"failed"`
	Errors    []imports.RowError `dynamodbav:"errors"`
	CreatedBy string             `dynamodbav:"created_by"`
	CreatedAt time.Time          `dynamodbav:"created_at"`
	UpdatedAt time.Time          `dynamodbav:"updated_at"`
	ExpiresAt int64              `dynamodbav:"expires_at"`
	// The numbering of the batch being written (imports.Numbering).
	NumRev     int     `dynamodbav:"num_rev,omitempty"`
	NumAt      int     `dynamodbav:"num_at,omitempty"`
	NumRows    []int   `dynamodbav:"num_rows,omitempty"`
	NumNumbers []int64 `dynamodbav:"num_numbers,omitempty"`
}

type partItem struct {
	_         dynamo.NotComparable
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Entity    string `dynamodbav:"entity"`
	Data      string `dynamodbav:"data"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

func toItem(tenant string, j imports.Job) jobItem {
	return jobItem{PK: jobPK(tenant, j.ID), SK: skJob, Entity: "import", ID: j.ID, Filename: j.Filename, SHA256: j.SHA256, ProjectID: j.ProjectID, Size: j.Size, Parts: j.Parts,
		State: string(j.State), Rows: j.Rows, RowsDone: j.RowsDone, Created: j.Created, Existing: j.Existing, Failed: j.Failed,
		Errors: j.Errors, CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, ExpiresAt: j.UpdatedAt.Add(keep).Unix(),
		NumRev: j.Numbering.Rev, NumAt: j.Numbering.At, NumRows: j.Numbering.Rows, NumNumbers: j.Numbering.Numbers}
}

func (it jobItem) job() imports.Job {
	es := it.Errors
	if es == nil {
		es = []imports.RowError{}
	}
	if it.SHA256 == "" {
		it.SHA256 = it.ID // a job stored before jobs were keyed per project
	}
	return imports.Job{ID: it.ID, Filename: it.Filename, SHA256: it.SHA256, ProjectID: it.ProjectID, Size: it.Size, Parts: it.Parts, State: imports.State(it.State), Rows: it.Rows,
		RowsDone: it.RowsDone, Created: it.Created, Existing: it.Existing, Failed: it.Failed, Errors: es, CreatedBy: it.CreatedBy,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		Numbering: imports.Numbering{Rev: it.NumRev, At: it.NumAt, Rows: it.NumRows, Numbers: it.NumNumbers}}
}

// Store is the DynamoDB store of imports.
type Store struct {
	DB *dynamodb.Client
}

func (s *Store) put(ctx context.Context, table string, item any, cond expression.ConditionBuilder, op string, onFail error) error {
	m, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: m, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	return dynamo.Translate(err, op, onFail)
}

// CreateJob writes a new job (conflict import_exists if the file was declared before).
func (s *Store) CreateJob(ctx context.Context, sc tenancy.Scope, j imports.Job) error {
	return s.put(ctx, sc.Table, toItem(sc.TenantID, j), expression.AttributeNotExists(expression.Name("pk")), "create import",
		errs.Conflict("import_exists", "this file was declared before"))
}

// Job reads a job.
func (s *Store) Job(ctx context.Context, sc tenancy.Scope, id string) (imports.Job, error) {
	var it jobItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(jobPK(sc.TenantID, id), skJob), &it, "import", errs.NotFound("import")); err != nil {
		return imports.Job{}, err
	}
	return it.job(), nil
}

// SaveJob writes j if the stored progress is still prev.
func (s *Store) SaveJob(ctx context.Context, sc tenancy.Scope, j imports.Job, prev int) error {
	return s.put(ctx, sc.Table, toItem(sc.TenantID, j), expression.Name("rows_done").Equal(expression.Value(prev)), "save import",
		errs.E(errs.KindPreconditionFailed, "import_busy", "another run of this import moved it on; read it again"))
}

// SaveNumbering writes j if the stored progress is still j.RowsDone and
// the stored numbering's revision is still prevRev: of two runs reserving
// numbers for one batch, one saves and the other reads its numbering.
func (s *Store) SaveNumbering(ctx context.Context, sc tenancy.Scope, j imports.Job, prevRev int) error {
	rev := expression.AttributeNotExists(expression.Name("num_rev"))
	if prevRev > 0 {
		rev = expression.Name("num_rev").Equal(expression.Value(prevRev))
	}
	return s.put(ctx, sc.Table, toItem(sc.TenantID, j), expression.Name("rows_done").Equal(expression.Value(j.RowsDone)).And(rev), "save import numbering",
		errs.E(errs.KindPreconditionFailed, "import_busy", "another run of this import reserved this batch's numbers or moved on; read it again"))
}

// PutPart writes part n.
func (s *Store) PutPart(ctx context.Context, sc tenancy.Scope, id string, n int, data string) error {
	m, err := attributevalue.MarshalMap(partItem{PK: jobPK(sc.TenantID, id), SK: partSK(n), Entity: "import_part", Data: data,
		ExpiresAt: time.Now().Add(keep).Unix()})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: m}); err != nil {
		return fmt.Errorf("put import part: %w", err)
	}
	return nil
}

// parts pages through the job's parts (projection: attributes to read).
func (s *Store) parts(ctx context.Context, sc tenancy.Scope, id string, projection string, each func(partItem)) error {
	kc := expression.Key("pk").Equal(expression.Value(jobPK(sc.TenantID, id))).And(expression.Key("sk").BeginsWith(prePart))
	b := expression.NewBuilder().WithKeyCondition(kc)
	if projection != "" {
		var names []expression.NameBuilder
		for _, n := range strings.Split(projection, ",") {
			names = append(names, expression.Name(n))
		}
		b = b.WithProjection(expression.NamesList(names[0], names[1:]...))
	}
	e, err := b.Build()
	if err != nil {
		return err
	}
	pg := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for pg.HasMorePages() {
		res, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read import parts: %w", err)
		}
		var items []partItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
			return err
		}
		for _, it := range items {
			each(it)
		}
	}
	return nil
}

// PartNumbers lists the parts received.
func (s *Store) PartNumbers(ctx context.Context, sc tenancy.Scope, id string) ([]int, error) {
	out := []int{}
	err := s.parts(ctx, sc, id, "sk", func(it partItem) {
		if n, err := strconv.Atoi(strings.TrimPrefix(it.SK, prePart)); err == nil {
			out = append(out, n)
		}
	})
	return out, err
}

// File concatenates the parts in order.
func (s *Store) File(ctx context.Context, sc tenancy.Scope, id string) ([]byte, error) {
	var b strings.Builder
	err := s.parts(ctx, sc, id, "", func(it partItem) { b.WriteString(it.Data) })
	return []byte(b.String()), err
}

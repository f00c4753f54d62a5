// Package attachmentdb stores attachment records and the tenant's storage
// counter in the tenant's application table. Items:
//
//	attachment  pk T#t#ATTACH#<issue>  sk ATT#<id>        one per file, pending or ready
//	upload      pk T#t#UPLOADS         sk <expires>#<issue>#<id>  one per pending upload, for the sweep
//	counter     pk T#t#STORAGE         sk ATTACHMENTS     total (ready + reserved bytes), used, files
//
// Attachments have their own partition (not the issue's), so the issue's
// purge leaves them to the activity consumer, which deletes their objects
// and gives their bytes back to the counter.
//
// The counter enforces the quota with one conditional update: `total` is
// the bytes of ready files plus the reservations of uploads in flight, and
// a reservation adds its size only if the new total stays within the
// quota. Every change of the counter is in the same transaction as the
// change of the attachment it counts, conditioned on that attachment's
// state, so a retried or concurrent call never counts twice.
package attachmentdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Key builders: the only place key formats are spelled out.
func tp(tenant string) string                 { return schema.TenantKeyPrefix(tenant) }
func attachPK(tenant, issueID string) string  { return tp(tenant) + "ATTACH#" + issueID }
func uploadsPK(tenant string) string          { return tp(tenant) + "UPLOADS" }
func storagePK(tenant string) string          { return tp(tenant) + "STORAGE" }
func attachSK(id string) string               { return preAttach + id }
func uploadSK(a attachment.Attachment) string { return ts(a.ExpiresAt) + "#" + a.IssueID + "#" + a.ID }

const (
	preAttach = "ATT#"
	skCounter = "ATTACHMENTS"
)

// ts is a fixed-width UTC timestamp that sorts as text.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// item is an attachment as stored.
type item struct {
	PK          string     `dynamodbav:"pk"`
	SK          string     `dynamodbav:"sk"`
	Entity      string     `dynamodbav:"entity"`
	ID          string     `dynamodbav:"id"`
	TenantID    string     `dynamodbav:"tenant_id"`
	IssueID     string     `dynamodbav:"issue_id"`
	CommentID   string     `dynamodbav:"comment_id,omitempty"`
	Filename    string     `dynamodbav:"filename"`
	ContentType string     `dynamodbav:"content_type"`
	Size        int64      `dynamodbav:"size"`
	SHA256      string     `dynamodbav:"sha256"`
	State       string     `dynamodbav:"state"`
	UploaderID  string     `dynamodbav:"uploader_id"`
	Bucket      string     `dynamodbav:"bucket"`
	ObjectKey   string     `dynamodbav:"object_key"`
	CreatedAt   time.Time  `dynamodbav:"created_at"`
	ConfirmedAt *time.Time `dynamodbav:"confirmed_at,omitempty"`
	ExpiresAt   time.Time  `dynamodbav:"pending_until"`
}

func toItem(a attachment.Attachment) item {
	return item{PK: attachPK(a.TenantID, a.IssueID), SK: attachSK(a.ID), Entity: "attachment", ID: a.ID, TenantID: a.TenantID,
		IssueID: a.IssueID, CommentID: a.CommentID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
		SHA256: a.SHA256, State: string(a.State), UploaderID: a.UploaderID, Bucket: a.Bucket, ObjectKey: a.Key,
		CreatedAt: a.CreatedAt, ConfirmedAt: a.ConfirmedAt, ExpiresAt: a.ExpiresAt}
}

func (it item) attachment() attachment.Attachment {
	return attachment.Attachment{ID: it.ID, TenantID: it.TenantID, IssueID: it.IssueID, CommentID: it.CommentID,
		Filename: it.Filename, ContentType: it.ContentType, Size: it.Size, SHA256: it.SHA256, State: attachment.State(it.State),
		UploaderID: it.UploaderID, Bucket: it.Bucket, Key: it.ObjectKey, CreatedAt: it.CreatedAt, ConfirmedAt: it.ConfirmedAt,
		ExpiresAt: it.ExpiresAt}
}

// uploadItem indexes a pending upload by the time it expires; it carries
// what releasing it needs, so the sweep reads nothing else.
type uploadItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Entity    string    `dynamodbav:"entity"`
	ID        string    `dynamodbav:"id"`
	IssueID   string    `dynamodbav:"issue_id"`
	Size      int64     `dynamodbav:"size"`
	Bucket    string    `dynamodbav:"bucket"`
	ObjectKey string    `dynamodbav:"object_key"`
	ExpiresAt time.Time `dynamodbav:"pending_until"`
}

// Store implements the attachment records on DynamoDB.
type Store struct {
	DB      *dynamodb.Client
	Cursors list.Codec
}

// ErrQuota is returned by Reserve when the reservation would exceed the quota.
var ErrQuota = errs.E(errs.KindUnprocessable, "storage_quota_exceeded", "this upload would exceed your plan's attachment storage")

type av = types.AttributeValue

func expr(c expression.ConditionBuilder, u *expression.UpdateBuilder) expression.Expression {
	b := expression.NewBuilder().WithCondition(c)
	if u != nil {
		b = b.WithUpdate(*u)
	}
	e, err := b.Build()
	if err != nil {
		panic(err) // expressions are built from constants
	}
	return e
}

func name(n string) expression.NameBuilder { return expression.Name(n) }

func put(table string, v any, cond *expression.ConditionBuilder) types.TransactWriteItem {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic(err) // plain structs
	}
	p := &types.Put{TableName: aws.String(table), Item: m}
	if cond != nil {
		e := expr(*cond, nil)
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
	}
	return types.TransactWriteItem{Put: p}
}

func counter(sc tenancy.Scope, u expression.UpdateBuilder, cond *expression.ConditionBuilder) types.TransactWriteItem {
	b := expression.NewBuilder().WithUpdate(u)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	e, err := b.Build()
	if err != nil {
		panic(err)
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(storagePK(sc.TenantID), skCounter),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}
}

func add(u expression.UpdateBuilder, attr string, n int64) expression.UpdateBuilder {
	return u.Add(name(attr), expression.Value(n))
}

// Reserve writes a pending attachment, indexes it for the sweep and
// reserves its size, in one transaction that holds only while the issue
// (and the comment, if any) exist and the new total is within quota.
func (s Store) Reserve(ctx context.Context, sc tenancy.Scope, a attachment.Attachment, quota int64) error {
	if a.Size > quota {
		return ErrQuota
	}
	notExists := expression.AttributeNotExists(name("pk"))
	items := []types.TransactWriteItem{issuedb.IssueExists(sc, a.IssueID)}
	if a.CommentID != "" {
		items = append(items, issuedb.CommentLive(sc, a.IssueID, a.CommentID))
	}
	room := expression.AttributeNotExists(name("total")).Or(name("total").LessThanEqual(expression.Value(quota - a.Size)))
	items = append(items,
		put(sc.Table, toItem(a), &notExists),
		put(sc.Table, uploadItem{PK: uploadsPK(sc.TenantID), SK: uploadSK(a), Entity: "upload", ID: a.ID, IssueID: a.IssueID,
			Size: a.Size, Bucket: a.Bucket, ObjectKey: a.Key, ExpiresAt: a.ExpiresAt}, nil),
		counter(sc, add(expression.UpdateBuilder{}, "total", a.Size), &room))
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	failed, ok := dynamo.CancelledItems(err)
	if !ok {
		return fmt.Errorf("reserve attachment: %w", err)
	}
	switch {
	case failed[0]:
		return errs.NotFound("issue")
	case a.CommentID != "" && failed[1]:
		return errs.Field("comment_id", "is not a comment of this issue")
	case failed[len(failed)-1]:
		return ErrQuota
	case len(failed) > 2 && failed[len(failed)-3]:
		return errs.Conflict("attachment_exists", "attachment id already used")
	}
	return fmt.Errorf("reserve attachment: %w", err)
}

// Get returns an attachment of an issue, pending or ready, or
// attachment_not_found (another tenant's id is simply absent).
func (s Store) Get(ctx context.Context, sc tenancy.Scope, issueID, id string) (attachment.Attachment, error) {
	if id == "" || strings.ContainsAny(id, "#/") || len(id) > 64 {
		return attachment.Attachment{}, errs.NotFound("attachment")
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table),
		Key: dynamo.Key(attachPK(sc.TenantID, issueID), attachSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return attachment.Attachment{}, fmt.Errorf("get attachment: %w", err)
	}
	if out.Item == nil {
		return attachment.Attachment{}, errs.NotFound("attachment")
	}
	var it item
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return attachment.Attachment{}, fmt.Errorf("decode attachment: %w", err)
	}
	return it.attachment(), nil
}

// List returns an issue's ready attachments, oldest first.
func (s Store) List(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[attachment.Attachment], error) {
	e, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("pk").Equal(expression.Value(attachPK(sc.TenantID, issueID))).And(expression.Key("sk").BeginsWith(preAttach))).
		WithFilter(name("state").Equal(expression.Value(string(attachment.Ready)))).Build()
	if err != nil {
		return list.Page[attachment.Attachment]{}, errs.Internal(err)
	}
	var its []item
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{
		In: &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()},
		Codec: s.Cursors, Scope: list.Scope("attachments", sc.TenantID, issueID), KeyAttr: []string{schema.PK, schema.SK}, Request: req,
	}, &its)
	if err != nil {
		return list.Page[attachment.Attachment]{}, err
	}
	out := make([]attachment.Attachment, len(its))
	for i, it := range its {
		out[i] = it.attachment()
	}
	return list.NewPage(out, next), nil
}

// Confirm makes a pending attachment ready and moves its reservation to
// the used bytes. attachment_not_found when it is no longer pending (it
// expired and was swept, or its issue was deleted).
func (s Store) Confirm(ctx context.Context, sc tenancy.Scope, a attachment.Attachment, at time.Time) error {
	set := expression.Set(name("state"), expression.Value(string(attachment.Ready))).
		Set(name("confirmed_at"), expression.Value(at.UTC().Format(time.RFC3339Nano)))
	e := expr(name("state").Equal(expression.Value(string(attachment.Pending))), &set)
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(attachPK(sc.TenantID, a.IssueID), attachSK(a.ID)),
			UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}},
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(uploadsPK(sc.TenantID), uploadSK(a))}},
		counter(sc, add(add(expression.UpdateBuilder{}, "used", a.Size), "files", 1), nil),
		// Like Reserve: nothing becomes ready under a deleted issue or
		// comment. Their purge (the stream's consumer) may already have
		// read this upload as pending and deleted its object; a confirm
		// after the delete would leave a ready record of no object.
		issuedb.IssueExists(sc, a.IssueID),
	}
	if a.CommentID != "" {
		items = append(items, issuedb.CommentLive(sc, a.IssueID, a.CommentID))
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err != nil {
		return dynamo.Translate(err, "confirm attachment", errs.NotFound("attachment"))
	}
	// The usage meter (the control table's storage figures, Root's usage
	// table and the thresholds) follows the exact counter, write by write.
	usage.AddAttachmentBytes(ctx, a.Size)
	return nil
}

// Release drops a pending attachment, its sweep index and its reservation.
// Releasing one that is no longer pending changes nothing.
func (s Store) Release(ctx context.Context, sc tenancy.Scope, a attachment.Attachment) error {
	_, err := s.drop(ctx, sc, a, attachment.Pending, add(expression.UpdateBuilder{}, "total", -a.Size),
		types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(uploadsPK(sc.TenantID), uploadSK(a))}})
	return err
}

// Remove drops a ready attachment and gives its bytes back. Removing one
// that is already gone changes nothing.
func (s Store) Remove(ctx context.Context, sc tenancy.Scope, a attachment.Attachment) error {
	dropped, err := s.drop(ctx, sc, a, attachment.Ready,
		add(add(add(expression.UpdateBuilder{}, "total", -a.Size), "used", -a.Size), "files", -1))
	if dropped {
		usage.AddAttachmentBytes(ctx, -a.Size)
	}
	return err
}

// drop reports whether it dropped the attachment (false: already gone).
func (s Store) drop(ctx context.Context, sc tenancy.Scope, a attachment.Attachment, state attachment.State, u expression.UpdateBuilder, extra ...types.TransactWriteItem) (bool, error) {
	e := expr(name("state").Equal(expression.Value(string(state))), nil)
	// The counter must still exist: an offboarding's sweep may have deleted
	// it already, and the update must not bring it back (negative).
	counted := expression.AttributeExists(name(schema.PK))
	items := append([]types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(attachPK(sc.TenantID, a.IssueID), attachSK(a.ID)),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}},
		counter(sc, u, &counted),
	}, extra...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if dynamo.ConditionFailed(err) {
		return false, nil // already dropped (or in the other state: the caller read it stale)
	}
	if err != nil {
		return false, dynamo.Translate(err, "drop attachment", nil)
	}
	return true, nil
}

// Usage reads the tenant's counter (zero before the first upload).
func (s Store) Usage(ctx context.Context, sc tenancy.Scope) (attachment.Usage, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(storagePK(sc.TenantID), skCounter)})
	if err != nil {
		return attachment.Usage{}, fmt.Errorf("read storage counter: %w", err)
	}
	var c struct {
		Total int64 `dynamodbav:"total"`
		Used  int64 `dynamodbav:"used"`
		Files int64 `dynamodbav:"files"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return attachment.Usage{}, fmt.Errorf("decode storage counter: %w", err)
	}
	return attachment.Usage{UsedBytes: c.Used, ReservedBytes: c.Total - c.Used, Files: c.Files}, nil
}

// Expired returns up to limit pending uploads whose time ran out before now.
func (s Store) Expired(ctx context.Context, sc tenancy.Scope, now time.Time, limit int) ([]attachment.Attachment, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression: aws.String("pk = :pk AND sk < :now"),
		ExpressionAttributeValues: map[string]av{":pk": &types.AttributeValueMemberS{Value: uploadsPK(sc.TenantID)},
			":now": &types.AttributeValueMemberS{Value: ts(now)}},
		Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, fmt.Errorf("expired uploads: %w", err)
	}
	var its []uploadItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &its); err != nil {
		return nil, fmt.Errorf("decode uploads: %w", err)
	}
	res := make([]attachment.Attachment, len(its))
	for i, it := range its {
		res[i] = attachment.Attachment{ID: it.ID, TenantID: sc.TenantID, IssueID: it.IssueID, Size: it.Size, Bucket: it.Bucket,
			Key: it.ObjectKey, ExpiresAt: it.ExpiresAt, State: attachment.Pending}
	}
	return res, nil
}

// ForIssue returns every attachment of an issue, pending or ready (the
// purge after the issue's delete).
func (s Store) ForIssue(ctx context.Context, sc tenancy.Scope, issueID string) ([]attachment.Attachment, error) {
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :pre)"),
		ExpressionAttributeValues: map[string]av{":pk": &types.AttributeValueMemberS{Value: attachPK(sc.TenantID, issueID)},
			":pre": &types.AttributeValueMemberS{Value: preAttach}}})
	var out []attachment.Attachment
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("attachments of issue: %w", err)
		}
		var its []item
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &its); err != nil {
			return nil, fmt.Errorf("decode attachments: %w", err)
		}
		for _, it := range its {
			out = append(out, it.attachment())
		}
	}
	return out, nil
}

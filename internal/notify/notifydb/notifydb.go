// Package notifydb stores watchers, inboxes, preferences and pending mail
// in the tenant's table (the pooled table or a Platinum tenant's own).
// Every key starts with "T#<tenant>#"; the access patterns are in
// docs/notifications.md.
package notifydb

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
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Key builders: the only place key formats are spelled out.
func tp(t string) string                   { return schema.TenantKeyPrefix(t) }
func watchPK(t, issueID string) string     { return tp(t) + "WATCH#" + issueID }
func inboxPK(t, user string) string        { return tp(t) + "INBOX#" + user }
func prefPK(t string) string               { return tp(t) + "NOTIFYPREF" }
func mailPK(t string) string               { return tp(t) + "MAILQ" }
func batchPK(t, user string) string        { return tp(t) + "MAILBATCH#" + user }
func userSK(user string) string            { return "U#" + user }
func noteSK(id string) string              { return "N#" + id }
func mailSK(p notify.Pending) string       { return ts(p.Due) + "#" + p.UserID + "#" + p.ID }
func ts(t time.Time) string                { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func name(n string) expression.NameBuilder { return expression.Name(n) }

const (
	skUnread = "UNREAD"
	preNote  = "N#"
	preUser  = "U#"
)

// LeadingKeysPatterns are the partition keys the activity consumer writes
// (its role's dynamodb:LeadingKeys condition).
var LeadingKeysPatterns = []string{"T#*#WATCH#*", "T#*#INBOX#*", "T#*#NOTIFYPREF", "T#*#MAILQ", "T#*#MAILBATCH#*"}

// Store implements notify.Store and what the API needs.
type Store struct {
	DB      *dynamodb.Client
	Cursors list.Codec
}

var _ notify.Store = Store{}

type watchItem struct {
	PK     string    `dynamodbav:"pk"`
	SK     string    `dynamodbav:"sk"`
	Entity string    `dynamodbav:"entity"`
	UserID string    `dynamodbav:"user_id"`
	Reason string    `dynamodbav:"reason"`
	State  string    `dynamodbav:"state"`
	Since  time.Time `dynamodbav:"since"`
}

type noteItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Entity     string    `dynamodbav:"entity"`
	ID         string    `dynamodbav:"id"`
	Kind       string    `dynamodbav:"kind"`
	IssueID    string    `dynamodbav:"issue_id"`
	IssueKey   string    `dynamodbav:"issue_key"`
	IssueTitle string    `dynamodbav:"issue_title"`
	ActorID    string    `dynamodbav:"actor_id"`
	Summary    string    `dynamodbav:"summary"`
	Excerpt    string    `dynamodbav:"excerpt,omitempty"`
	At         time.Time `dynamodbav:"at"`
	AtKey      string    `dynamodbav:"at_key"` // ts(At): compared as text with read_before
	Read       bool      `dynamodbav:"read"`
}

func toNote(t, user string, n notify.Notification) noteItem {
	return noteItem{PK: inboxPK(t, user), SK: noteSK(n.ID), Entity: "notification", ID: n.ID, Kind: string(n.Kind),
		IssueID: n.IssueID, IssueKey: n.IssueKey, IssueTitle: n.IssueTitle, ActorID: n.ActorID, Summary: n.Summary,
		Excerpt: n.Excerpt, At: n.At, AtKey: ts(n.At), Read: n.Read}
}

func (it noteItem) note(readBefore string) notify.Notification {
	return notify.Notification{ID: it.ID, Kind: notify.Kind(it.Kind), IssueID: it.IssueID, IssueKey: it.IssueKey,
		IssueTitle: it.IssueTitle, ActorID: it.ActorID, Summary: it.Summary, Excerpt: it.Excerpt, At: it.At,
		Read: it.Read || (readBefore != "" && ts(it.At) <= readBefore)}
}

// counterItem is the inbox's unread count and its "all read up to" mark:
// a notification at or before ReadBefore is read whatever its flag says,
// so "mark all read" is one write however long the inbox is.
type counterItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	N          int64  `dynamodbav:"n"`
	ReadBefore string `dynamodbav:"read_before"` // ts()
}

type prefItem struct {
	PK    string            `dynamodbav:"pk"`
	SK    string            `dynamodbav:"sk"`
	Email map[string]string `dynamodbav:"email"`
}

type mailItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Due        time.Time `dynamodbav:"due"`
	UserID     string    `dynamodbav:"user_id"`
	Mode       string    `dynamodbav:"mode"`
	ID         string    `dynamodbav:"id"`
	Kind       string    `dynamodbav:"kind"`
	IssueID    string    `dynamodbav:"issue_id"`
	IssueKey   string    `dynamodbav:"issue_key"`
	IssueTitle string    `dynamodbav:"issue_title"`
	ActorID    string    `dynamodbav:"actor_id"`
	Summary    string    `dynamodbav:"summary"`
	Excerpt    string    `dynamodbav:"excerpt,omitempty"`
	At         time.Time `dynamodbav:"at"`
}

func build(c *expression.ConditionBuilder, u *expression.UpdateBuilder) (expression.Expression, error) {
	b := expression.NewBuilder()
	if c != nil {
		b = b.WithCondition(*c)
	}
	if u != nil {
		b = b.WithUpdate(*u)
	}
	e, err := b.Build()
	if err != nil {
		return e, errs.Internal(err)
	}
	return e, nil
}

// Watch implements notify.Store.
func (s Store) Watch(ctx context.Context, sc tenancy.Scope, issueID string, w notify.Watcher, force bool) error {
	av, err := attributevalue.MarshalMap(watchItem{PK: watchPK(sc.TenantID, issueID), SK: userSK(w.UserID), Entity: "watcher",
		UserID: w.UserID, Reason: w.Reason, State: w.State, Since: w.Since.UTC()})
	if err != nil {
		return errs.Internal(err)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av}
	if !force {
		// Automatic watching neither undoes an unwatch nor rewrites the
		// first reason.
		c := expression.AttributeNotExists(name(schema.PK))
		e, err := build(&c, nil)
		if err != nil {
			return err
		}
		in.ConditionExpression, in.ExpressionAttributeNames = e.Condition(), e.Names()
	}
	if _, err := s.DB.PutItem(ctx, in); err != nil && !dynamo.ConditionFailed(err) {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}

// Watch states of one person (the caller's watch of an issue).
func (s Store) Watcher(ctx context.Context, sc tenancy.Scope, issueID, user string) (notify.Watcher, bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(watchPK(sc.TenantID, issueID), userSK(user)), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return notify.Watcher{}, false, err
	}
	var it watchItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return notify.Watcher{}, false, err
	}
	return notify.Watcher{UserID: it.UserID, Reason: it.Reason, Since: it.Since, State: it.State}, it.State == notify.Watching, nil
}

// Watchers implements notify.Store: every watching person of the issue.
func (s Store) Watchers(ctx context.Context, sc tenancy.Scope, issueID string) ([]notify.Watcher, error) {
	var out []notify.Watcher
	req := list.Request{Limit: list.MaxLimit}
	for {
		pg, err := s.WatchersPage(ctx, sc, issueID, req)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Items...)
		if pg.NextCursor == "" {
			return out, nil
		}
		req.Cursor = pg.NextCursor
	}
}

// WatchersPage is one page of the issue's watchers (state watching).
func (s Store) WatchersPage(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[notify.Watcher], error) {
	e, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(schema.PK).Equal(expression.Value(watchPK(sc.TenantID, issueID))).And(expression.Key(schema.SK).BeginsWith(preUser))).
		WithFilter(name("state").Equal(expression.Value(notify.Watching))).Build()
	if err != nil {
		return list.Page[notify.Watcher]{}, errs.Internal(err)
	}
	var its []watchItem
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{
		In: &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)},
		Codec: s.Cursors, Scope: list.Scope("watchers", sc.TenantID, issueID), KeyAttr: []string{schema.PK, schema.SK}, Request: req,
	}, &its)
	if err != nil {
		return list.Page[notify.Watcher]{}, err
	}
	out := make([]notify.Watcher, len(its))
	for i, it := range its {
		out[i] = notify.Watcher{UserID: it.UserID, Reason: it.Reason, Since: it.Since, State: it.State}
	}
	return list.NewPage(out, next), nil
}

// DropWatchers implements notify.Store.
func (s Store) DropWatchers(ctx context.Context, sc tenancy.Scope, issueID string) error {
	ws, err := s.partition(ctx, sc.Table, watchPK(sc.TenantID, issueID))
	if err != nil {
		return err
	}
	return s.deleteKeys(ctx, sc.Table, ws)
}

func (s Store) partition(ctx context.Context, table, pk string) ([]map[string]types.AttributeValue, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key(schema.PK).Equal(expression.Value(pk))).
		WithProjection(expression.NamesList(name(schema.PK), name(schema.SK))).Build()
	if err != nil {
		return nil, errs.Internal(err)
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: e.KeyCondition(),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	var keys []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", pk, err)
		}
		keys = append(keys, page.Items...)
	}
	return keys, nil
}

func (s Store) deleteKeys(ctx context.Context, table string, keys []map[string]types.AttributeValue) error {
	for len(keys) > 0 {
		n := min(25, len(keys))
		reqs := make([]types.WriteRequest, n)
		for i, k := range keys[:n] {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
		}
		keys = keys[n:]
		for range 5 {
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			if reqs = out.UnprocessedItems[table]; len(reqs) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(reqs) > 0 {
			return errors.New("delete: items left unprocessed")
		}
	}
	return nil
}

// Deliver implements notify.Store: the inbox entry (only if new), the
// unread count (unless the inbox was marked read past it) and the pending
// mail in one transaction.
func (s Store) Deliver(ctx context.Context, sc tenancy.Scope, user string, n notify.Notification, mail *notify.Pending) (bool, error) {
	for _, counted := range []bool{true, false} {
		n.Read = !counted
		items, err := s.deliveryItems(sc, user, n, mail, counted)
		if err != nil {
			return false, err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return true, nil
		}
		failed, ok := dynamo.CancelledItems(err)
		switch {
		case !ok:
			return false, fmt.Errorf("deliver notification: %w", err)
		case len(failed) > 0 && failed[0]:
			return false, nil // delivered before
		case counted && len(failed) > 1 && failed[1]:
			continue // the inbox was marked read after this change: deliver it read
		}
		return false, fmt.Errorf("deliver notification: %w", err)
	}
	return false, nil
}

func (s Store) deliveryItems(sc tenancy.Scope, user string, n notify.Notification, mail *notify.Pending, counted bool) ([]types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(toNote(sc.TenantID, user, n))
	if err != nil {
		return nil, errs.Internal(err)
	}
	fresh := expression.AttributeNotExists(name(schema.PK))
	e, err := build(&fresh, nil)
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(sc.Table), Item: av,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names()}}}
	if counted {
		c := expression.AttributeNotExists(name("read_before")).Or(name("read_before").LessThan(expression.Value(ts(n.At))))
		u := expression.Add(name("n"), expression.Value(1))
		e, err := build(&c, &u)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), skUnread),
			ConditionExpression: e.Condition(), UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
	}
	if mail != nil {
		m := mailItem{PK: mailPK(sc.TenantID), SK: mailSK(*mail), Due: mail.Due.UTC(), UserID: mail.UserID, Mode: string(mail.Mode), ID: n.ID,
			Kind: string(n.Kind), IssueID: n.IssueID, IssueKey: n.IssueKey, IssueTitle: n.IssueTitle, ActorID: n.ActorID,
			Summary: n.Summary, Excerpt: n.Excerpt, At: n.At}
		av, err := attributevalue.MarshalMap(m)
		if err != nil {
			return nil, errs.Internal(err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(sc.Table), Item: av}})
	}
	return items, nil
}

// counter reads the inbox counter (zero when absent).
func (s Store) counter(ctx context.Context, sc tenancy.Scope, user string) (counterItem, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), skUnread), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return counterItem{}, fmt.Errorf("get unread count: %w", err)
	}
	var c counterItem
	if out.Item != nil {
		if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
			return counterItem{}, errs.Internal(err)
		}
	}
	if c.N < 0 {
		c.N = 0
	}
	return c, nil
}

// Unread is the number of unread notifications.
func (s Store) Unread(ctx context.Context, sc tenancy.Scope, user string) (int64, error) {
	c, err := s.counter(ctx, sc, user)
	return c.N, err
}

// Inbox is one page of the person's notifications, newest first; unread
// only when asked.
func (s Store) Inbox(ctx context.Context, sc tenancy.Scope, user string, unreadOnly bool, req list.Request) (list.Page[notify.Notification], error) {
	c, err := s.counter(ctx, sc, user)
	if err != nil {
		return list.Page[notify.Notification]{}, err
	}
	b := expression.NewBuilder().WithKeyCondition(expression.Key(schema.PK).Equal(expression.Value(inboxPK(sc.TenantID, user))).
		And(expression.Key(schema.SK).BeginsWith(preNote)))
	if unreadOnly {
		f := name("read").Equal(expression.Value(false))
		if c.ReadBefore != "" {
			f = f.And(name("at_key").GreaterThan(expression.Value(c.ReadBefore)))
		}
		b = b.WithFilter(f)
	}
	e, err := b.Build()
	if err != nil {
		return list.Page[notify.Notification]{}, errs.Internal(err)
	}
	var its []noteItem
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{
		In: &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ScanIndexForward: aws.Bool(false)},
		Codec: s.Cursors, Scope: list.Scope("notifications", sc.TenantID, user, strconv.FormatBool(unreadOnly)), KeyAttr: []string{schema.PK, schema.SK}, Request: req,
	}, &its)
	if err != nil {
		return list.Page[notify.Notification]{}, err
	}
	out := make([]notify.Notification, len(its))
	for i, it := range its {
		out[i] = it.note(c.ReadBefore)
	}
	return list.NewPage(out, next), nil
}

// MarkRead marks one notification read (notification_not_found when the
// person has none of that id); marking a read one again changes nothing.
func (s Store) MarkRead(ctx context.Context, sc tenancy.Scope, user, id string) (notify.Notification, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), noteSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return notify.Notification{}, fmt.Errorf("get notification: %w", err)
	}
	if out.Item == nil {
		return notify.Notification{}, errs.NotFound("notification")
	}
	var it noteItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return notify.Notification{}, errs.Internal(err)
	}
	c, err := s.counter(ctx, sc, user)
	if err != nil {
		return notify.Notification{}, err
	}
	if n := it.note(c.ReadBefore); n.Read {
		return n, nil
	}
	unread := name("read").Equal(expression.Value(false))
	set := expression.Set(name("read"), expression.Value(true))
	e1, err := build(&unread, &set)
	if err != nil {
		return notify.Notification{}, err
	}
	counted := name("read_before").LessThan(expression.Value(ts(it.At))).Or(expression.AttributeNotExists(name("read_before")))
	dec := expression.Add(name("n"), expression.Value(-1))
	e2, err := build(&counted, &dec)
	if err != nil {
		return notify.Notification{}, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), noteSK(id)),
			ConditionExpression: e1.Condition(), UpdateExpression: e1.Update(), ExpressionAttributeNames: e1.Names(), ExpressionAttributeValues: e1.Values()}},
		{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), skUnread),
			ConditionExpression: e2.Condition(), UpdateExpression: e2.Update(), ExpressionAttributeNames: e2.Names(), ExpressionAttributeValues: e2.Values()}},
	}})
	if err != nil && !dynamo.ConditionFailed(err) { // a concurrent mark read won
		return notify.Notification{}, fmt.Errorf("mark read: %w", err)
	}
	it.Read = true
	return it.note(c.ReadBefore), nil
}

// MarkAllRead marks everything up to now read: one write.
func (s Store) MarkAllRead(ctx context.Context, sc tenancy.Scope, user string, now time.Time) error {
	u := expression.Set(name("n"), expression.Value(0)).Set(name("read_before"), expression.Value(ts(now)))
	e, err := build(nil, &u)
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(inboxPK(sc.TenantID, user), skUnread),
		UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return fmt.Errorf("mark all read: %w", err)
	}
	return nil
}

// Preferences implements notify.Store.
func (s Store) Preferences(ctx context.Context, sc tenancy.Scope, user string) (notify.Preferences, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(prefPK(sc.TenantID), userSK(user)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return notify.Preferences{}, fmt.Errorf("get preferences: %w", err)
	}
	p := notify.Preferences{Email: map[notify.Kind]notify.Mode{}}
	if out.Item != nil {
		var it prefItem
		if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
			return notify.Preferences{}, errs.Internal(err)
		}
		for k, m := range it.Email {
			p.Email[notify.Kind(k)] = notify.Mode(m)
		}
	}
	return p.Merge(notify.Preferences{}), nil
}

// PutPreferences stores complete preferences.
func (s Store) PutPreferences(ctx context.Context, sc tenancy.Scope, user string, p notify.Preferences) error {
	it := prefItem{PK: prefPK(sc.TenantID), SK: userSK(user), Email: map[string]string{}}
	for k, m := range p.Email {
		it.Email[string(k)] = string(m)
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return errs.Internal(err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av}); err != nil {
		return fmt.Errorf("put preferences: %w", err)
	}
	return nil
}

// OpenBatch implements notify.Store: one conditional write opens a batch
// when none is open (or the open one is due), else returns the open one's.
func (s Store) OpenBatch(ctx context.Context, sc tenancy.Scope, user string, mode notify.Mode, due, now time.Time) (time.Time, error) {
	c := expression.AttributeNotExists(name("due")).Or(name("due").LessThanEqual(expression.Value(ts(now))))
	u := expression.Set(name("due"), expression.Value(ts(due)))
	e, err := build(&c, &u)
	if err != nil {
		return time.Time{}, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(batchPK(sc.TenantID, user), string(mode)),
		ConditionExpression: e.Condition(), UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if err == nil {
		return due, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return time.Time{}, fmt.Errorf("open mail batch: %w", err)
	}
	var open struct {
		Due string `dynamodbav:"due"`
	}
	if err := attributevalue.UnmarshalMap(ccf.Item, &open); err != nil {
		return time.Time{}, errs.Internal(err)
	}
	t, err := time.Parse("2006-01-02T15:04:05.000000000Z", open.Due)
	if err != nil {
		return time.Time{}, errs.Internal(err)
	}
	return t, nil
}

// Due returns up to limit pending mail entries due at now, oldest first.
func (s Store) Due(ctx context.Context, sc tenancy.Scope, now time.Time, limit int) ([]notify.Pending, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key(schema.PK).Equal(expression.Value(mailPK(sc.TenantID))).
		And(expression.Key(schema.SK).LessThanEqual(expression.Value(ts(now) + "~")))).Build()
	if err != nil {
		return nil, errs.Internal(err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("query due mail: %w", err)
	}
	var its []mailItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &its); err != nil {
		return nil, errs.Internal(err)
	}
	ps := make([]notify.Pending, len(its))
	for i, it := range its {
		ps[i] = notify.Pending{Due: it.Due, UserID: it.UserID, Mode: notify.Mode(it.Mode), Notification: notify.Notification{
			ID: it.ID, Kind: notify.Kind(it.Kind), IssueID: it.IssueID, IssueKey: it.IssueKey, IssueTitle: it.IssueTitle,
			ActorID: it.ActorID, Summary: it.Summary, Excerpt: it.Excerpt, At: it.At}}
	}
	return ps, nil
}

// Sent removes pending entries once their mail went out.
func (s Store) Sent(ctx context.Context, sc tenancy.Scope, ps []notify.Pending) error {
	keys := make([]map[string]types.AttributeValue, len(ps))
	for i, p := range ps {
		keys[i] = dynamo.Key(mailPK(sc.TenantID), mailSK(p))
	}
	return s.deleteKeys(ctx, sc.Table, keys)
}

// Package webhookdb stores a tenant's webhook endpoints and their delivery
// logs in the tenant's table (the pooled table or a Platinum tenant's
// own). Every key starts with "T#<tenant>#":
//
//	T#<t>#WEBHOOK         E#<endpoint id>   an endpoint (URL, event types, secrets, failure count)
//	T#<t>#WHD#<endpoint>  D#<delivery id>   a delivery and its attempts (expires after DeliveryTTL)
//
// Delivery ids start with the event's time, so a Query in reverse is the
// log newest first.
package webhookdb

import (
	"context"
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
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// Key builders: the only place key formats are spelled out.
func endpointsPK(t string) string            { return schema.TenantKeyPrefix(t) + "WEBHOOK" }
func endpointSK(id string) string            { return "E#" + id }
func deliveriesPK(t, endpoint string) string { return schema.TenantKeyPrefix(t) + "WHD#" + endpoint }
func deliverySK(id string) string            { return "D#" + id }
func name(n string) expression.NameBuilder   { return expression.Name(n) }
func value(v any) expression.ValueBuilder    { return expression.Value(v) }

// DeliveryTTL is how long the delivery log keeps a delivery.
const DeliveryTTL = 30 * 24 * time.Hour

// LeadingKeysPatterns are the partition keys the activity consumer (which
// produces and delivers) writes: its role's dynamodb:LeadingKeys.
var LeadingKeysPatterns = []string{"T#*#WEBHOOK", "T#*#WHD#*"}

// Entities of the items (the change stream's consumers skip them).
const (
	EntityEndpoint = "webhook_endpoint"
	EntityDelivery = "webhook_delivery"
)

// Store implements webhook.Store.
type Store struct {
	DB      *dynamodb.Client
	Cursors list.Codec
}

var _ webhook.Store = Store{}

type secretItem struct {
	Value     string    `dynamodbav:"value"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	ExpiresAt time.Time `dynamodbav:"expires_at,omitempty"`
}

type endpointItem struct {
	PK             string       `dynamodbav:"pk"`
	SK             string       `dynamodbav:"sk"`
	Entity         string       `dynamodbav:"entity"`
	ID             string       `dynamodbav:"id"`
	URL            string       `dynamodbav:"url"`
	Description    string       `dynamodbav:"description,omitempty"`
	EventTypes     []string     `dynamodbav:"event_types"`
	State          string       `dynamodbav:"state"`
	DisabledReason string       `dynamodbav:"disabled_reason,omitempty"`
	Failures       int          `dynamodbav:"failures"`
	Secrets        []secretItem `dynamodbav:"secrets"`
	CreatedAt      time.Time    `dynamodbav:"created_at"`
	UpdatedAt      time.Time    `dynamodbav:"updated_at"`
}

func toEndpointItem(t string, e webhook.Endpoint) endpointItem {
	it := endpointItem{PK: endpointsPK(t), SK: endpointSK(e.ID), Entity: EntityEndpoint, ID: e.ID, URL: e.URL,
		Description: e.Description, State: e.State, DisabledReason: e.DisabledReason, Failures: e.ConsecutiveFailures,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	for _, et := range e.EventTypes {
		it.EventTypes = append(it.EventTypes, string(et))
	}
	for _, s := range e.Secrets {
		it.Secrets = append(it.Secrets, secretItem(s))
	}
	return it
}

func (it endpointItem) endpoint() webhook.Endpoint {
	e := webhook.Endpoint{ID: it.ID, URL: it.URL, Description: it.Description, State: it.State, DisabledReason: it.DisabledReason,
		ConsecutiveFailures: it.Failures, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, EventTypes: []webhook.EventType{}}
	for _, et := range it.EventTypes {
		e.EventTypes = append(e.EventTypes, webhook.EventType(et))
	}
	for _, s := range it.Secrets {
		e.Secrets = append(e.Secrets, webhook.Secret(s))
	}
	return e
}

type attemptItem struct {
	N          int       `dynamodbav:"n"`
	At         time.Time `dynamodbav:"at"`
	StatusCode int       `dynamodbav:"status_code,omitempty"`
	DurationMS int64     `dynamodbav:"duration_ms"`
	Error      string    `dynamodbav:"error,omitempty"`
	Manual     bool      `dynamodbav:"manual,omitempty"`
}

type deliveryItem struct {
	PK           string        `dynamodbav:"pk"`
	SK           string        `dynamodbav:"sk"`
	Entity       string        `dynamodbav:"entity"`
	ID           string        `dynamodbav:"id"`
	EndpointID   string        `dynamodbav:"endpoint_id"`
	MessageID    string        `dynamodbav:"message_id"`
	EventType    string        `dynamodbav:"event_type"`
	Payload      string        `dynamodbav:"payload"`
	CreatedAt    time.Time     `dynamodbav:"created_at"`
	Status       string        `dynamodbav:"status"`
	Attempts     []attemptItem `dynamodbav:"attempts"`
	NextAttempt  time.Time     `dynamodbav:"next_attempt_at,omitempty"`
	AutoAttempts int           `dynamodbav:"auto_attempts"`
	ExpiresAt    int64         `dynamodbav:"expires_at"`
}

func (it deliveryItem) delivery() webhook.Delivery {
	d := webhook.Delivery{ID: it.ID, EndpointID: it.EndpointID, MessageID: it.MessageID, EventType: webhook.EventType(it.EventType),
		Payload: []byte(it.Payload), CreatedAt: it.CreatedAt, Status: it.Status, NextAttemptAt: it.NextAttempt,
		AutoAttempts: it.AutoAttempts, Attempts: []webhook.Attempt{}}
	for _, a := range it.Attempts {
		d.Attempts = append(d.Attempts, webhook.Attempt(a))
	}
	return d
}

func build(b expression.Builder) (expression.Expression, error) {
	e, err := b.Build()
	if err != nil {
		return e, errs.Internal(err)
	}
	return e, nil
}

// Endpoints implements webhook.Store.
func (s Store) Endpoints(ctx context.Context, sc tenancy.Scope) ([]webhook.Endpoint, error) {
	e, err := build(expression.NewBuilder().WithKeyCondition(expression.Key(schema.PK).Equal(value(endpointsPK(sc.TenantID)))))
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)})
	out := []webhook.Endpoint{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		var its []endpointItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &its); err != nil {
			return nil, errs.Internal(err)
		}
		for _, it := range its {
			out = append(out, it.endpoint())
		}
	}
	return out, nil
}

// Endpoint implements webhook.Store.
func (s Store) Endpoint(ctx context.Context, sc tenancy.Scope, id string) (webhook.Endpoint, error) {
	var it endpointItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(endpointsPK(sc.TenantID), endpointSK(id)), &it, "webhook", errs.NotFound("webhook")); err != nil {
		return webhook.Endpoint{}, err
	}
	return it.endpoint(), nil
}

// CreateEndpoint implements webhook.Store.
func (s Store) CreateEndpoint(ctx context.Context, sc tenancy.Scope, e webhook.Endpoint) error {
	av, err := attributevalue.MarshalMap(toEndpointItem(sc.TenantID, e))
	if err != nil {
		return errs.Internal(err)
	}
	x, err := build(expression.NewBuilder().WithCondition(expression.AttributeNotExists(name(schema.PK))))
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av,
		ConditionExpression: x.Condition(), ExpressionAttributeNames: x.Names()})
	return dynamo.Translate(err, "create webhook", errs.Conflict("webhook_exists", "the webhook exists"))
}

// PutEndpoint implements webhook.Store.
func (s Store) PutEndpoint(ctx context.Context, sc tenancy.Scope, e webhook.Endpoint, resetFailures bool) error {
	it := toEndpointItem(sc.TenantID, e)
	u := expression.Set(name("url"), value(it.URL)).Set(name("event_types"), value(it.EventTypes)).
		Set(name("state"), value(it.State)).Set(name("secrets"), value(it.Secrets)).Set(name("updated_at"), value(it.UpdatedAt))
	if it.Description != "" {
		u = u.Set(name("description"), value(it.Description))
	} else {
		u = u.Remove(name("description"))
	}
	if it.DisabledReason != "" {
		u = u.Set(name("disabled_reason"), value(it.DisabledReason))
	} else {
		u = u.Remove(name("disabled_reason"))
	}
	if resetFailures {
		u = u.Set(name("failures"), value(0))
	}
	x, err := build(expression.NewBuilder().WithCondition(expression.AttributeExists(name(schema.PK))).WithUpdate(u))
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(it.PK, it.SK),
		ConditionExpression: x.Condition(), UpdateExpression: x.Update(), ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values()})
	return dynamo.Translate(err, "update webhook", errs.NotFound("webhook"))
}

// DeleteEndpoint implements webhook.Store.
func (s Store) DeleteEndpoint(ctx context.Context, sc tenancy.Scope, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(endpointsPK(sc.TenantID), endpointSK(id))})
	return dynamo.Translate(err, "delete webhook", nil)
}

// RecordSuccess implements webhook.Store.
func (s Store) RecordSuccess(ctx context.Context, sc tenancy.Scope, id string) error {
	x, err := build(expression.NewBuilder().WithCondition(name("failures").GreaterThan(value(0))).
		WithUpdate(expression.Set(name("failures"), value(0))))
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(endpointsPK(sc.TenantID), endpointSK(id)),
		ConditionExpression: x.Condition(), UpdateExpression: x.Update(), ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values()})
	if dynamo.ConditionFailed(err) {
		return nil // already zero, or deleted
	}
	return dynamo.Translate(err, "record webhook success", nil)
}

// RecordFailure implements webhook.Store: one counter update, then one
// conditional switch to disabled that only one caller wins.
func (s Store) RecordFailure(ctx context.Context, sc tenancy.Scope, id string, disableAfter int, reason string, now time.Time) (bool, error) {
	key := dynamo.Key(endpointsPK(sc.TenantID), endpointSK(id))
	x, err := build(expression.NewBuilder().WithCondition(expression.AttributeExists(name(schema.PK))).
		WithUpdate(expression.Add(name("failures"), value(1))))
	if err != nil {
		return false, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: key, ReturnValues: types.ReturnValueUpdatedNew,
		ConditionExpression: x.Condition(), UpdateExpression: x.Update(), ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values()})
	if dynamo.ConditionFailed(err) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("record webhook failure: %w", err)
	}
	n, _ := out.Attributes["failures"].(*types.AttributeValueMemberN)
	if n == nil {
		return false, nil
	}
	if count, _ := strconv.Atoi(n.Value); count < disableAfter {
		return false, nil
	}
	x, err = build(expression.NewBuilder().WithCondition(name("state").Equal(value(webhook.Enabled))).
		WithUpdate(expression.Set(name("state"), value(webhook.Disabled)).Set(name("disabled_reason"), value(reason)).
			Set(name("updated_at"), value(now.UTC()))))
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: key,
		ConditionExpression: x.Condition(), UpdateExpression: x.Update(), ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values()})
	if dynamo.ConditionFailed(err) {
		return false, nil // disabled by another attempt
	}
	return err == nil, dynamo.Translate(err, "disable webhook", nil)
}

// CreateDelivery implements webhook.Store.
func (s Store) CreateDelivery(ctx context.Context, sc tenancy.Scope, d webhook.Delivery) (bool, error) {
	it := deliveryItem{PK: deliveriesPK(sc.TenantID, d.EndpointID), SK: deliverySK(d.ID), Entity: EntityDelivery, ID: d.ID,
		EndpointID: d.EndpointID, MessageID: d.MessageID, EventType: string(d.EventType), Payload: string(d.Payload),
		CreatedAt: d.CreatedAt.UTC(), Status: d.Status, NextAttempt: d.NextAttemptAt.UTC(), Attempts: []attemptItem{},
		ExpiresAt: d.CreatedAt.Add(DeliveryTTL).Unix()}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return false, errs.Internal(err)
	}
	x, err := build(expression.NewBuilder().WithCondition(expression.AttributeNotExists(name(schema.PK))))
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av,
		ConditionExpression: x.Condition(), ExpressionAttributeNames: x.Names()})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	return err == nil, dynamo.Translate(err, "create webhook delivery", nil)
}

// Delivery implements webhook.Store.
func (s Store) Delivery(ctx context.Context, sc tenancy.Scope, endpointID, id string) (webhook.Delivery, error) {
	var it deliveryItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(deliveriesPK(sc.TenantID, endpointID), deliverySK(id)), &it, "webhook delivery", errs.NotFound("delivery")); err != nil {
		return webhook.Delivery{}, err
	}
	return it.delivery(), nil
}

// RecordAttempt implements webhook.Store.
func (s Store) RecordAttempt(ctx context.Context, sc tenancy.Scope, endpointID, id string, a webhook.Attempt, status string, next time.Time) (bool, error) {
	av, err := attributevalue.Marshal([]attemptItem{attemptItem(a)})
	if err != nil {
		return false, errs.Internal(err)
	}
	u := expression.Set(name("attempts"), expression.ListAppend(name("attempts"), expression.Value(av))).Set(name("status"), value(status))
	if next.IsZero() {
		u = u.Remove(name("next_attempt_at"))
	} else {
		u = u.Set(name("next_attempt_at"), value(next.UTC()))
	}
	c := expression.AttributeExists(name(schema.PK))
	if !a.Manual {
		u = u.Set(name("auto_attempts"), value(a.N))
		c = c.And(name("auto_attempts").LessThan(value(a.N)))
	}
	x, err := build(expression.NewBuilder().WithCondition(c).WithUpdate(u))
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(deliveriesPK(sc.TenantID, endpointID), deliverySK(id)),
		ConditionExpression: x.Condition(), UpdateExpression: x.Update(), ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values()})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	return err == nil, dynamo.Translate(err, "record webhook attempt", nil)
}

// Deliveries implements webhook.Store.
func (s Store) Deliveries(ctx context.Context, sc tenancy.Scope, endpointID string, req list.Request) (list.Page[webhook.Delivery], error) {
	x, err := build(expression.NewBuilder().WithKeyCondition(expression.Key(schema.PK).Equal(value(deliveriesPK(sc.TenantID, endpointID)))))
	if err != nil {
		return list.Page[webhook.Delivery]{}, err
	}
	var its []deliveryItem
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{
		In: &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: x.KeyCondition(), ScanIndexForward: aws.Bool(false),
			ExpressionAttributeNames: x.Names(), ExpressionAttributeValues: x.Values(), ConsistentRead: aws.Bool(true)},
		Codec: s.Cursors, Scope: list.Scope("webhook-deliveries", sc.TenantID, endpointID), KeyAttr: []string{schema.PK, schema.SK}, Request: req,
	}, &its)
	if err != nil {
		return list.Page[webhook.Delivery]{}, err
	}
	out := make([]webhook.Delivery, len(its))
	for i, it := range its {
		out[i] = it.delivery()
	}
	return list.NewPage(out, next), nil
}

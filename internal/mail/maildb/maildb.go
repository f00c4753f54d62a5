// Package maildb keeps the platform's mail suppression list in the control
// table (mail.Suppressions): one item per address, "SUPPRESSED#<address>".
package maildb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/schema"
)

const suppressedSK = "SUPPRESSED"

// Suppressions implements mail.Suppressions.
type Suppressions struct {
	DB    *dynamodb.Client
	Table string // the control table
}

type item struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	// On gsi1: the list of suppressed addresses, by address.
	GSI1PK  string `dynamodbav:"gsi1pk"`
	GSI1SK  string `dynamodbav:"gsi1sk"`
	Address string `dynamodbav:"address"`
	Reason  string `dynamodbav:"reason"`
	Detail  string `dynamodbav:"detail,omitempty"`
	At      string `dynamodbav:"at"`
}

func key(address string) string { return schema.ControlSuppressed + mail.NormalizeAddress(address) }

var errAbsent = errors.New("not suppressed")

// Suppressed implements mail.Suppressions: one GetItem.
func (s Suppressions) Suppressed(ctx context.Context, address string) (bool, error) {
	var it item
	err := dynamo.GetItem(ctx, s.DB, s.Table, dynamo.Key(key(address), suppressedSK), &it, "mail suppression", errAbsent)
	if errors.Is(err, errAbsent) {
		return false, nil
	}
	return err == nil, err
}

// Suppress implements mail.Suppressions: the latest event's reason wins.
func (s Suppressions) Suppress(ctx context.Context, sup mail.Suppression) error {
	addr := mail.NormalizeAddress(sup.Address)
	av, err := attributevalue.MarshalMap(item{PK: key(sup.Address), SK: suppressedSK, GSI1PK: schema.ControlSuppressionList, GSI1SK: addr, Address: addr,
		Reason: sup.Reason, Detail: sup.Detail, At: sup.At.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return fmt.Errorf("put mail suppression: %w", err)
	}
	return nil
}

// List is a page of the suppressed addresses, by address (one Query of
// gsi1's suppression list; cursors signed by codec).
func (s Suppressions) List(ctx context.Context, codec list.Codec, req list.Request) (list.Page[mail.Suppression], error) {
	var its []item
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{
		In: &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(schema.GSI1),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": schema.GSI1PK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: schema.ControlSuppressionList}}},
		Codec: codec, Scope: list.Scope("mail-suppressions"), KeyAttr: []string{schema.PK, schema.SK, schema.GSI1PK, schema.GSI1SK}, Request: req,
	}, &its)
	if err != nil {
		return list.Page[mail.Suppression]{}, err
	}
	out := make([]mail.Suppression, 0, len(its))
	for _, it := range its {
		at, _ := time.Parse(time.RFC3339, it.At)
		out = append(out, mail.Suppression{Address: it.Address, Reason: it.Reason, Detail: it.Detail, At: at})
	}
	return list.Page[mail.Suppression]{Items: out, NextCursor: next}, nil
}

// Lift takes an address off the list and returns what it was suppressed
// for; not_found (mail_suppression) when it is not on it. The entry is read
// first (consistently): when the delete's answer is lost and its retry
// finds its own delete, the old item is gone with the answer, and the entry
// read is what was lifted (owntoken.OldItem).
func (s Suppressions) Lift(ctx context.Context, address string) (mail.Suppression, error) {
	k := dynamo.Key(key(address), suppressedSK)
	before, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return mail.Suppression{}, fmt.Errorf("read mail suppression: %w", err)
	}
	if len(before.Item) == 0 {
		return mail.Suppression{}, errs.NotFound("mail_suppression")
	}
	out, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k,
		ConditionExpression: aws.String("attribute_exists(pk)"), ReturnValues: types.ReturnValueAllOld})
	if dynamo.ConditionFailed(err) {
		return mail.Suppression{}, errs.NotFound("mail_suppression") // lifted meanwhile
	}
	if err != nil {
		return mail.Suppression{}, fmt.Errorf("delete mail suppression: %w", err)
	}
	old := owntoken.OldItem(out.Attributes, out.ResultMetadata, before.Item)
	var it item
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return mail.Suppression{}, err
	}
	at, _ := time.Parse(time.RFC3339, it.At)
	return mail.Suppression{Address: it.Address, Reason: it.Reason, Detail: it.Detail, At: at}, nil
}

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

	"github.com/issuetracker/issuetracker/internal/dynamo"
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
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
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
	av, err := attributevalue.MarshalMap(item{PK: key(sup.Address), SK: suppressedSK, Address: mail.NormalizeAddress(sup.Address),
		Reason: sup.Reason, Detail: sup.Detail, At: sup.At.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return fmt.Errorf("put mail suppression: %w", err)
	}
	return nil
}

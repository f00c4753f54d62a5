// Package systemdb keeps the platform's system settings in the control
// table: one item, pk "SETTINGS", sk "SYSTEM".
package systemdb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/system"
)

const settingsSK = "SYSTEM"

type item struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	system.SystemSettings
}

// Store implements system.Store.
type Store struct {
	DB    *dynamodb.Client
	Table string // the control table
}

var _ system.Store = Store{}

// New returns the store on the control table of names.
func New(db *dynamodb.Client, names schema.Names) Store { return Store{DB: db, Table: names.Control()} }

var errUnset = errs.NotFound("settings")

// Get implements system.Store.
func (s Store) Get(ctx context.Context) (system.SystemSettings, error) {
	var it item
	err := dynamo.GetItem(ctx, s.DB, s.Table, dynamo.Key(schema.ControlSettings, settingsSK), &it, "system settings", errUnset)
	if err == errUnset {
		return system.Defaults, nil
	}
	if err != nil {
		return system.SystemSettings{}, err
	}
	return it.SystemSettings, nil
}

// Put implements system.Store.
func (s Store) Put(ctx context.Context, st system.SystemSettings) error {
	av, err := attributevalue.MarshalMap(item{PK: schema.ControlSettings, SK: settingsSK, SystemSettings: st})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return fmt.Errorf("put system settings: %w", err)
	}
	return nil
}

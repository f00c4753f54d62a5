// Package dynamo holds what every DynamoDB store (<domain>db) shares: the
// key of an item, one-item reads, pages of a Query with signed cursors
// (internal/list), the translation of driver errors into internal/errs, and
// tables created from internal/schema.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// CreateTableInput renders a schema table as CreateTable input (on-demand).
func CreateTableInput(t schema.Table, name string) *dynamodb.CreateTableInput {
	attrs := map[string]types.ScalarAttributeType{}
	add := func(a schema.Attr) { attrs[a.Name] = types.ScalarAttributeType(a.Type) }
	key := func(pk, sk schema.Attr) []types.KeySchemaElement {
		add(pk)
		ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
		if sk.Name != "" {
			add(sk)
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   key(t.PartitionKey, t.SortKey),
	}
	if t.Stream != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true),
			StreamViewType: types.StreamViewType(t.Stream)}
	}
	for _, ix := range t.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  key(ix.PartitionKey, ix.SortKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	for n, ty := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(n), AttributeType: ty})
	}
	return in
}

// EnsureTable creates the table if it does not exist, waits until it is
// active and enables TTL. Safe to call again.
func EnsureTable(ctx context.Context, db *dynamodb.Client, t schema.Table, name string) error {
	_, err := db.CreateTable(ctx, CreateTableInput(t, name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if inUse != nil {
		if err := addMissingIndexes(ctx, db, t, name); err != nil {
			return err
		}
	}
	if t.TTLAttribute != "" {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)},
		})
		// Enabling TTL twice is a ValidationException ("already enabled"): fine.
		var ve interface{ ErrorCode() string }
		if err != nil && !(errors.As(err, &ve) && ve.ErrorCode() == "ValidationException") {
			return fmt.Errorf("enable ttl on %s: %w", name, err)
		}
	}
	return nil
}

// addMissingIndexes adds the schema's indexes an existing table lacks (a
// local table made before the schema gained them), one per UpdateTable as
// AWS requires, waiting for each to be active. In AWS the stack does this.
func addMissingIndexes(ctx context.Context, db *dynamodb.Client, t schema.Table, name string) error {
	want := CreateTableInput(t, name)
	for _, ix := range want.GlobalSecondaryIndexes {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", name, err)
		}
		if slices.ContainsFunc(out.Table.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(g.IndexName) == aws.ToString(ix.IndexName)
		}) {
			continue
		}
		var defs []types.AttributeDefinition
		for _, k := range ix.KeySchema {
			for _, d := range want.AttributeDefinitions {
				if aws.ToString(d.AttributeName) == aws.ToString(k.AttributeName) {
					defs = append(defs, d)
				}
			}
		}
		_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), AttributeDefinitions: defs,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection}}}})
		// ResourceInUse: the index is being created already (our own call,
		// retried by the SDK after a timeout, or a concurrent start): wait.
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("add index %s to %s: %w", aws.ToString(ix.IndexName), name, err)
		}
		if err := waitIndexActive(ctx, db, name, aws.ToString(ix.IndexName)); err != nil {
			return err
		}
	}
	return nil
}

func waitIndexActive(ctx context.Context, db *dynamodb.Client, table, index string) error {
	// A deadline, not a count of polls: DynamoDB Local backfills a new index
	// on a background thread that a busy machine (the whole test suite on two
	// cores) can starve for over a minute even on an empty table.
	deadline := time.Now().Add(indexWait)
	for {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", table, err)
		}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) == index && g.IndexStatus == types.IndexStatusActive {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("index %s of %s did not become active within %s", index, table, indexWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// indexWait bounds the wait for one added index to become active.
const indexWait = 5 * time.Minute

// DeleteTable removes a table; a missing table is not an error.
func DeleteTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete table %s: %w", name, err)
	}
	return nil
}

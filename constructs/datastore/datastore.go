// Package datastore defines the DynamoDB tables of IssueTracker from the one
// schema definition in internal/schema: the pooled application table, each
// Platinum tenant's silo table (same keys and indexes) and the control plane.
package datastore

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// Props configures a Table.
type Props struct {
	// Schema is the key schema, indexes and TTL attribute. Required.
	Schema *schema.Table
	// TableName is the physical name, from schema.Names so the runtime and
	// the local deployer agree on it. Required.
	TableName string
	// RemovalPolicy applies when the resource leaves the stack.
	// Default: RETAIN (tenant data outlives its stack).
	RemovalPolicy awscdk.RemovalPolicy
	// DeletionProtection blocks DeleteTable. Default: true.
	DeletionProtection *bool
	// EncryptionKey is a customer-managed KMS key.
	// Default: nil, encryption at rest with the AWS-managed key (no key cost).
	EncryptionKey awskms.IKey
}

// Table is one on-demand table with point-in-time recovery, encryption at
// rest, TTL and retention on stack deletion.
type Table struct {
	constructs.Construct
	Table  awsdynamodb.Table
	Name   string
	Schema schema.Table
}

// PooledProps are the props of the pooled application table.
func PooledProps(n schema.Names) *Props {
	return &Props{Schema: &schema.App, TableName: n.App()}
}

// SiloProps are the props of a Platinum tenant's dedicated table: the same
// definition as the pooled table, another name.
func SiloProps(n schema.Names, tenantID string) *Props {
	return &Props{Schema: &schema.App, TableName: n.Silo(tenantID)}
}

// ControlProps are the props of the control-plane table.
func ControlProps(n schema.Names) *Props {
	return &Props{Schema: &schema.Control, TableName: n.Control()}
}

// New defines a table. It panics when a required prop is missing, like any
// construct given invalid props.
func New(scope constructs.Construct, id string, props *Props) *Table {
	if props == nil || props.Schema == nil || props.TableName == "" {
		panic(fmt.Sprintf("datastore %s: Schema and TableName are required", id))
	}
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	protect := props.DeletionProtection
	if protect == nil {
		protect = jsii.Bool(true)
	}
	encryption := awsdynamodb.TableEncryption_AWS_MANAGED
	if props.EncryptionKey != nil {
		encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
	}
	def := *props.Schema

	c := constructs.NewConstruct(scope, jsii.String(id))
	tp := &awsdynamodb.TableProps{
		TableName:    jsii.String(props.TableName),
		PartitionKey: attr(def.PartitionKey),
		SortKey:      optAttr(def.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:          encryption,
		EncryptionKey:       props.EncryptionKey,
		TimeToLiveAttribute: optString(def.TTLAttribute),
		RemovalPolicy:       removal,
		DeletionProtection:  protect,
	}
	if def.Stream != "" {
		tp.Stream = streamView(def.Stream)
	}
	t := awsdynamodb.NewTable(c, jsii.String("Table"), tp)
	for _, ix := range def.Indexes {
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   attr(ix.PartitionKey),
			SortKey:        optAttr(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return &Table{Construct: c, Table: t, Name: props.TableName, Schema: def}
}

func attr(a schema.Attr) *awsdynamodb.Attribute {
	typ := awsdynamodb.AttributeType_STRING
	switch a.Type {
	case schema.Number:
		typ = awsdynamodb.AttributeType_NUMBER
	case schema.String:
	default:
		panic(fmt.Sprintf("datastore: attribute %s has unsupported type %q", a.Name, a.Type))
	}
	return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: typ}
}

func optAttr(a schema.Attr) *awsdynamodb.Attribute {
	if a.Name == "" {
		return nil
	}
	return attr(a)
}

// streamView maps the schema's stream view.
func streamView(v schema.StreamView) awsdynamodb.StreamViewType {
	switch v {
	case schema.NewAndOldImages:
		return awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES
	}
	panic(fmt.Sprintf("datastore: unsupported stream view %q", v))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

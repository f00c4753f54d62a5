// Package directory defines the global tenant directory table
// (schema.Directory, read and written by internal/cells): a DynamoDB global
// table in the directory stack's Region with a replica in every other
// Region that has a cell, so a sign-in or an authorizer reads its own
// Region's replica.
package directory

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// Props configures the directory.
type Props struct {
	// TableName is schema.Names.Directory() of the deployment. Required.
	TableName string
	// ReplicaRegions are the other Regions that hold a cell. Default: none.
	ReplicaRegions []string
}

// Directory is the global table.
type Directory struct {
	constructs.Construct
	Table awsdynamodb.TableV2
}

func attr(a schema.Attr) *awsdynamodb.Attribute {
	typ := awsdynamodb.AttributeType_STRING
	if a.Type == schema.Number {
		typ = awsdynamodb.AttributeType_NUMBER
	}
	return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: typ}
}

// New defines the global table from schema.Directory: on demand,
// point-in-time recovery, deletion protection, retained with the stack.
func New(scope constructs.Construct, id string, props *Props) *Directory {
	if props == nil || props.TableName == "" {
		panic(fmt.Sprintf("directory %s: TableName is required", id))
	}
	def := schema.Directory
	c := constructs.NewConstruct(scope, jsii.String(id))
	var replicas []*awsdynamodb.ReplicaTableProps
	for _, r := range props.ReplicaRegions {
		replicas = append(replicas, &awsdynamodb.ReplicaTableProps{Region: jsii.String(r)})
	}
	t := awsdynamodb.NewTableV2(c, jsii.String("Table"), &awsdynamodb.TablePropsV2{
		TableName:    jsii.String(props.TableName),
		PartitionKey: attr(def.PartitionKey),
		SortKey:      attr(def.SortKey),
		Billing:      awsdynamodb.Billing_OnDemand(nil),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		Replicas:           &replicas,
	})
	return &Directory{Construct: c, Table: t}
}

// Package streamconsumer defines a consumer of a DynamoDB table's change
// stream: a Go function (constructs/gofunction) with an event source
// mapping on the stream that batches records, filters them (the consumer's
// changes.Filter rendered as a Lambda filter pattern), halves a failing
// batch to find the bad record, retries a bounded number of times within a
// bounded record age, and then sends the batch's description to a
// failure queue (DLQ). The caller watches the queue (alarm on its first
// message) and the function's IteratorAge (monitoring.WatchStreamConsumer).
//
// DynamoDB Streams advises at most two readers per shard: each stream of
// IssueTracker has at most two consumers, analytics and activity
// (docs/changes.md).
package streamconsumer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
)

// MaxConsumersPerStream is DynamoDB Streams' advice: more concurrent
// readers of one shard get throttled.
const MaxConsumersPerStream = 2

// Props configures a Consumer.
type Props struct {
	// Table whose stream is read; it must have one. Required.
	Table awsdynamodb.ITable
	// Function is the consumer's function, as gofunction builds it. Required.
	Function *gofunction.Props
	// FilterPattern is a Lambda event filtering pattern (JSON); "" passes
	// every record.
	FilterPattern string
	// BatchSize of an invocation. Default 100.
	BatchSize float64
	// MaxBatchingWindow waits for fuller batches. Default 0 (no wait: lag
	// matters more than invocations here).
	MaxBatchingWindow awscdk.Duration
	// RetryAttempts of a failing batch (each halving it). Default 8.
	RetryAttempts float64
	// MaxRecordAge: older records go to the DLQ. Default 6 hours.
	MaxRecordAge awscdk.Duration
	// ParallelizationFactor: concurrent batches per shard (records of one
	// item stay in order). Default 1.
	ParallelizationFactor float64
}

// Consumer is the function, its mapping and its failure queue.
type Consumer struct {
	constructs.Construct
	Function *gofunction.Function
	Mapping  awslambdaeventsources.DynamoEventSource
	DLQ      awssqs.Queue
}

// New defines the consumer. It panics on missing props.
func New(scope constructs.Construct, id string, props *Props) *Consumer {
	if props == nil || props.Table == nil || props.Function == nil {
		panic(fmt.Sprintf("streamconsumer %s: Table and Function are required", id))
	}
	p := *props
	if p.BatchSize == 0 {
		p.BatchSize = 100
	}
	if p.RetryAttempts == 0 {
		p.RetryAttempts = 8
	}
	if p.MaxRecordAge == nil {
		p.MaxRecordAge = awscdk.Duration_Hours(jsii.Number(6))
	}
	if p.ParallelizationFactor == 0 {
		p.ParallelizationFactor = 1
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	fn := gofunction.New(c, "Fn", p.Function)
	dlq := awssqs.NewQueue(c, jsii.String("Failures"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	src := awslambdaeventsources.NewDynamoEventSource(p.Table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:      awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:             jsii.Number(p.BatchSize),
		MaxBatchingWindow:     p.MaxBatchingWindow,
		BisectBatchOnError:    jsii.Bool(true),
		RetryAttempts:         jsii.Number(p.RetryAttempts),
		MaxRecordAge:          p.MaxRecordAge,
		ParallelizationFactor: jsii.Number(p.ParallelizationFactor),
		OnFailure:             awslambdaeventsources.NewSqsDlq(dlq),
		Filters:               filters(p.FilterPattern),
	})
	fn.Function.AddEventSource(src)
	stableMappingID(c, fn.Function)
	return &Consumer{Construct: c, Function: fn, Mapping: src, DLQ: dlq}
}

func filters(pattern string) *[]*map[string]interface{} {
	if pattern == "" {
		return nil
	}
	var check map[string]any
	if err := json.Unmarshal([]byte(pattern), &check); err != nil {
		panic(fmt.Sprintf("streamconsumer: filter pattern is not JSON: %v", err))
	}
	return &[]*map[string]interface{}{{"pattern": pattern}}
}

// stableMappingID names the event source mapping after the consumer's path
// in its stack. CDK names it after the table's unique id, which includes
// the stack's name (so the tenant's id): with this, two tenant stacks differ
// only in names, never in logical ids, and the local cloud can give a
// tenant its template from another's (stacks.TenantTemplates).
func stableMappingID(c constructs.Construct, fn awslambda.Function) {
	stackPath := *awscdk.Stack_Of(c).Node().Path()
	rel := strings.TrimPrefix(strings.TrimPrefix(*c.Node().Path(), stackPath), "/")
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, rel) + "StreamMapping"
	for _, child := range *fn.Node().Children() {
		if !strings.HasPrefix(*child.Node().Id(), "DynamoDBEventSource") {
			continue
		}
		if cfn, ok := child.Node().DefaultChild().(awscdk.CfnResource); ok {
			cfn.OverrideLogicalId(jsii.String(id))
		}
	}
}

package app

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/changes"
)

// AnalyticsConsumer is the analytics consumer of the change stream on db:
// the one the stream-analytics function runs in AWS and the local poller
// runs in `make dev` and the tests.
func AnalyticsConsumer(db analyticsdb.Store) changes.Consumer {
	return analyticsdb.Consumer{Service: &analytics.Service{Store: db}}
}

// ServeAnalyticsStream runs this process as a stream-analytics function: an
// event source mapping on a tenant table's stream (the pooled table, or a
// Platinum tenant's) invokes it with batches of records. It writes only
// analytics items, with its own role (limited to keys T#*#AN#*): it is not
// a request on behalf of a tenant, and it never reads an issue.
func ServeAnalyticsStream() {
	useLambdaLogging("stream-analytics", os.Stdout)
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.Load(context.Background(), e)
	if err != nil {
		log.Fatalf("stream-analytics: %v", err)
	}
	c := AnalyticsConsumer(analyticsdb.Store{DB: awsx.DynamoDB(cfg, e)})
	lambda.Start(changes.LambdaHandler(c, analyticsdb.Filter))
}

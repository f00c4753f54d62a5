// Package analyticswire wires the analytics reports (the analytics
// function) and the analytics consumer of the change stream (the
// stream-analytics function).
package analyticswire

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsapi"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/routes"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
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
	core.UseLambdaLogging(routes.FnStreamAnalytics, os.Stdout)
	core.MustHaveEnvironment(routes.FnStreamAnalytics)
	e, err := core.LoadAWS()
	if err != nil {
		log.Fatalf("stream-analytics: %v", err)
	}
	db := awsx.DynamoDB(e.AWS, e.Endpoints)
	// The tenant homes are the platform's control table's (through the
	// platform role in a tenant stack of another account).
	c := changes.HomeOnly(analyticsdb.ConsumerName, HomesFromEnv(core.PlatformControl(e, db)), db, AnalyticsConsumer(analyticsdb.Store{DB: db}))
	lambda.Start(changes.LambdaHandler(c, analyticsdb.Filter))
}

// Homes reads a tenant's home from the registry; a tenant not (or no
// longer) in it has none, and its changes are skipped. So has a deleted
// one: an offboarded tenant, or one moved to another cell, whose old copy
// this cell deletes after the grace period.
func Homes(reg tenant.Registry) changes.HomeFunc {
	return func(ctx context.Context, id string) (changes.Home, error) {
		t, ok, err := tenant.Housed(ctx, reg, id)
		if !ok {
			return changes.Home{}, err
		}
		return changes.Home{Table: t.Table, LogSince: t.KeyLogSince}, nil
	}
}

// HomesFromEnv is Homes on the registry in the control table this
// process's environment names (envvars.TablePrefix): a stream function
// sees only the changes of each tenant's current home, as the local
// pollers do, so a tier migration's copy (and the deletion of the old
// copy) is neither counted nor notified. Its role may read tenant records
// of the control table (infra/stacks/streams.go).
func HomesFromEnv(db *dynamodb.Client) changes.HomeFunc {
	return Homes(tenantdb.New(db, schema.Names{Prefix: core.EnvOr(envvars.TablePrefix, schema.DefaultPrefix)}))
}

// Analytics is the analytics function: metrics and reports.
var Analytics = core.Wiring{Fn: routes.FnAnalytics, Operations: Operations}

// Operations are the analytics reports on d's tables, with the issue
// directory for their user and team filters.
func Operations(d core.Deps) httpapi.Operations {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return analyticsapi.Operations(analyticsapi.Deps{Service: &analytics.Service{Store: analyticsdb.Store{DB: d.DB}, Now: now},
		Directory: &issuedb.Directory{DB: d.DB}, Now: now})
}

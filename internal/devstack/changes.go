package devstack

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// ChangeConsumers are the local stream pollers of the consumers of the
// tenant tables' change streams, each running the handler its function
// runs in AWS: analytics and activity (notifications; window is its mail
// batching window; webhooks on hooks; the files of deleted issues through
// files, their bytes given back to meter), the two readers a stream may have (docs/changes.md).
// Checkpoints live in the control table, so a restarted `make dev` resumes
// where it stopped.
//
// Both see only the changes of each tenant's current home (changes.HomeOnly):
// a tier migration's copy and the deletion of the old copy are skipped.
func ChangeConsumers(db *dynamodb.Client, streams *dynamodbstreams.Client, names schema.Names, window time.Duration, hooks webhook.Queue, files attachmentdb.Purger, meter *usage.Meter, log io.Writer) []*streampoller.Poller {
	home := app.Homes(tenantdb.New(db, names))
	return []*streampoller.Poller{{
		Name: analyticsdb.ConsumerName, DB: db, Streams: streams,
		Consumer:    changes.HomeOnly(analyticsdb.ConsumerName, home, db, app.AnalyticsConsumer(analyticsdb.Store{DB: db})),
		Filter:      analyticsdb.Filter,
		Tables:      TenantTables(db, names),
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()},
		Log:         slog.New(slog.NewTextHandler(logOr(log), nil)),
	}, {
		Name: notifydb.ConsumerName, DB: db, Streams: streams,
		Consumer:    changes.HomeOnly(notifydb.ConsumerName, home, db, app.ActivityConsumer(db, window, hooks, files, meter)),
		Filter:      notifydb.Filter,
		Tables:      TenantTables(db, names),
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()},
		Log:         slog.New(slog.NewTextHandler(logOr(log), nil)),
	}}
}

// TenantTables lists the tables with tenant data: the pooled table and the
// table of every tenant in the registry (Platinum tenants onboarded
// meanwhile have their own), as an event source mapping exists per table.
func TenantTables(db *dynamodb.Client, names schema.Names) func(context.Context) ([]string, error) {
	return tablesWith(db, names, names.App())
}

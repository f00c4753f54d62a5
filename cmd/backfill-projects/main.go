// Command backfill-projects moves issues written before projects into each
// tenant's default project (projectdb.Migration): idempotent and resumable,
// so run it again after a failure, or as often as you like:
//
//	go run ./cmd/backfill-projects                 # every tenant of the registry
//	go run ./cmd/backfill-projects -tenant acme    # one tenant
//
// Tables are named with -prefix (schema.Names; default the deployed
// platform's). DynamoDB is AWS's unless ITR_DYNAMODB_ENDPOINT names a local
// one. Run it after the deploy that adds gsi7 and gsi8 (docs/data-model.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backfill-projects:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backfill-projects", flag.ContinueOnError)
	only := fs.String("tenant", "", "migrate only this tenant (default: every tenant)")
	prefix := fs.String("prefix", "", "table name prefix (default: "+schema.DefaultPrefix+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e := awsx.EndpointsFromEnv()
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return err
	}
	return backfill(ctx, awsx.DynamoDB(cfg, e), schema.Names{Prefix: *prefix}, *only, out)
}

// backfill migrates the tenants of the registry on names' control table
// that have data (a table): one, or all.
func backfill(ctx context.Context, db *dynamodb.Client, names schema.Names, only string, out io.Writer) error {
	reg := tenantdb.New(db, names)
	var ts []tenant.Tenant
	if only != "" {
		t, err := reg.Get(ctx, only)
		if err != nil {
			return fmt.Errorf("tenant %s: %w", only, err)
		}
		ts = []tenant.Tenant{t}
	} else {
		var err error
		if ts, err = tenant.All(ctx, reg); err != nil {
			return err
		}
	}
	m := projectdb.Migration{Projects: projectdb.Store{DB: db}, Issues: issuedb.Store{DB: db}}
	for _, t := range ts {
		if t.Table == "" {
			fmt.Fprintf(out, "%s: no table (%s), skipped\n", t.ID, t.Status)
			continue
		}
		p, err := m.Run(ctx, t.Scope(), 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s (%s): %d issues in the default project, %d pages this run, done\n", t.ID, t.Table, p.Moved, p.Pages)
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

var analyticsUsage = fmt.Sprintf(`usage: issuetracker analytics <command> [flags]

  backfill --tenant ID | --all [--resume] [--aws]
        rebuild a tenant's analytics rollups from its issues, history and comments
        (idempotent; --resume continues after the last saved page)
  seed --tenant ID [--days 45] [--per-day 4] [--seed 1]
        create and work backdated issues over simulated days (make dev demos);
        the running platform's analytics consumer applies them in seconds

Against the running local platform (.local/dev/platform.json), or with --aws
against the account of your credentials (%s names the tables).
`, envvars.TablePrefix)

func analyticsCmd(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, analyticsUsage)
		os.Exit(2)
	}
	switch args[0] {
	case "backfill":
		return backfill(args[1:])
	case "seed":
		return seedHistory(args[1:])
	}
	fmt.Fprint(os.Stderr, analyticsUsage)
	os.Exit(2)
	return nil
}

// target is the DynamoDB client and table names: the local platform's, or
// the deployed ones with --aws.
func target(ctx context.Context, useAWS bool) (*dynamodb.Client, schema.Names, error) {
	if useAWS {
		e := awsx.EndpointsFromEnv()
		cfg, err := awsconfig.Load(ctx, e)
		if err != nil {
			return nil, schema.Names{}, err
		}
		return awsx.DynamoDB(cfg, e), schema.Names{Prefix: envStr(envvars.TablePrefix, schema.DefaultPrefix)}, nil
	}
	_, state, err := stateDir()
	if err != nil {
		return nil, schema.Names{}, err
	}
	p, err := devstack.ReadPlatform(filepath.Join(state, "platform.json"))
	if err != nil {
		return nil, schema.Names{}, err
	}
	e := awsx.Endpoints{DynamoDB: p.DynamoDBEndpoint}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, schema.Names{}, err
	}
	return awsx.DynamoDB(cfg, e), schema.Names{Prefix: p.Prefix}, nil
}

func backfill(args []string) error {
	fs := flag.NewFlagSet("analytics backfill", flag.ExitOnError)
	id := fs.String("tenant", "", "tenant id")
	all := fs.Bool("all", false, "every tenant that is not deleted")
	resume := fs.Bool("resume", false, "continue after the last saved page of an earlier run")
	useAWS := fs.Bool("aws", false, "the deployed platform (credentials and "+envvars.TablePrefix+" from the environment)")
	_ = fs.Parse(args)
	if (*id == "") == !*all {
		return errors.New("analytics backfill needs --tenant ID or --all")
	}
	ctx := context.Background()
	db, names, err := target(ctx, *useAWS)
	if err != nil {
		return err
	}
	reg := tenantdb.New(db, names)
	var tenants []tenant.Tenant
	if *all {
		if tenants, err = tenant.All(ctx, reg); err != nil {
			return err
		}
	} else {
		t, err := reg.Get(ctx, *id)
		if err != nil {
			return err
		}
		tenants = []tenant.Tenant{t}
	}
	rb := analyticsdb.Rebuild{DB: db, Service: &analytics.Service{Store: analyticsdb.Store{DB: db}}}
	for _, t := range tenants {
		if t.Status == tenant.StatusDeleted || t.Table == "" {
			continue
		}
		start := time.Now()
		rb.Progress = func(done int) { fmt.Printf("\r%s: %d issues", t.ID, done) }
		n, err := rb.Run(ctx, t.Scope(), *resume)
		fmt.Println()
		if err != nil {
			return fmt.Errorf("backfill %s (rerun with --resume to continue): %w", t.ID, err)
		}
		fmt.Printf("%s: rebuilt from %d issues in %s\n", t.ID, n, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func seedHistory(args []string) error {
	fs := flag.NewFlagSet("analytics seed", flag.ExitOnError)
	id := fs.String("tenant", "acme", "tenant id")
	days := fs.Int("days", 45, "days of history, ending now")
	perDay := fs.Int("per-day", 4, "issues filed per day on average")
	seed := fs.Uint64("seed", 1, "random seed")
	_ = fs.Parse(args)
	ctx := context.Background()
	db, names, err := target(ctx, false)
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := devstack.SeedHistory(ctx, db, names, devstack.HistorySeed{TenantID: *id, Days: *days, PerDay: *perDay, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d backdated issues over %d days in %s; the running `make dev` applies them to the analytics within seconds\n",
		*id, n, *days, time.Since(start).Round(time.Millisecond))
	return nil
}

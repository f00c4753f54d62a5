// Command restore writes a tenant's export archive (offboarding's
// issuetracker-export/1: gzip of JSON lines) back into a table, the inverse
// of the export, then reads the tenant's items back and compares checksums:
//
//	go run ./cmd/restore -archive acme.jsonl.gz -table IssueTracker-App
//
// DynamoDB is AWS's unless ITR_DYNAMODB_ENDPOINT names a local one. See the
// restore runbook in docs/deploy.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "restore:", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("archive", "", "the export archive (a file)")
	table := flag.String("table", "", "the table to write into (default: the archive's tenant's table)")
	var lim tenantdata.Limits
	flag.Int64Var(&lim.Compressed, "max-compressed", tenantdata.DefaultLimits.Compressed, "refuse an archive of more bytes")
	flag.Int64Var(&lim.Uncompressed, "max-uncompressed", tenantdata.DefaultLimits.Uncompressed, "refuse an archive that inflates to more bytes")
	flag.IntVar(&lim.Items, "max-items", tenantdata.DefaultLimits.Items, "refuse an archive of more items")
	flag.IntVar(&lim.Line, "max-line", tenantdata.DefaultLimits.Line, "refuse an archive with a longer line (one item)")
	flag.Parse()
	if *path == "" {
		return fmt.Errorf("-archive is required")
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := tenantdata.ReadArchiveLimited(f, lim)
	if err != nil {
		return err
	}
	if *table == "" {
		*table = a.Tenant.Table
	}
	ctx := context.Background()
	e := awsx.EndpointsFromEnv()
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return err
	}
	s := tenantdata.Store{DB: awsx.DynamoDB(cfg, e)}
	n, err := s.Import(ctx, a, *table)
	if err != nil {
		return err
	}
	t := a.Tenant
	t.Table = *table
	back, err := s.Items(ctx, t)
	if err != nil {
		return err
	}
	want, got := tenantdata.Checksum(a.Items), tenantdata.Checksum(back)
	fmt.Printf("restored %d items of %s into %s\narchive checksum  %s\nrestored checksum %s\n", n, t.ID, *table, want, got)
	if want != got {
		return fmt.Errorf("the table holds other items of %s than the archive (%d read back): was it empty?", t.ID, len(back))
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command migrates every tenant of the registry that has a table (the
// items written by the code before projects: projectdb's legacy fixture),
// skips one without, answers the same when run again, and -tenant limits
// it to one tenant.
func TestBackfillMigratesEveryTenantOfTheRegistry(t *testing.T) {
	db, names := testenv.Tables(t)
	ctx := context.Background()
	reg := tenantdb.New(db, names)
	now := time.Now().UTC()
	for _, tn := range []tenant.Tenant{
		{ID: "acme", Name: "Acme", Tier: tiers.Standard, Status: tenant.StatusActive, APIKey: "key-acme", Table: names.App()},
		{ID: "globex", Name: "Globex", Tier: tiers.Basic, Status: tenant.StatusActive, APIKey: "key-globex", Table: names.App()},
		{ID: "gone", Name: "Gone", Tier: tiers.Basic, Status: tenant.StatusDeleted, APIKey: "key-gone"},
	} {
		tn.CreatedAt, tn.UpdatedAt = now, now
		require.NoError(t, reg.Create(ctx, tn))
	}
	b, err := os.ReadFile("../../internal/project/projectdb/testdata/legacy_items_34ccf9e.json")
	require.NoError(t, err)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(b, &items))
	for _, it := range items {
		m, err := attributevalue.MarshalMap(it)
		require.NoError(t, err)
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(names.App()), Item: m})
		require.NoError(t, err)
	}
	ps := &project.Service{Store: &projectdb.Store{DB: db}, Users: &issuedb.Directory{DB: db}}
	svc := &issue.Service{Store: &issuedb.Store{DB: db}, Directory: &issuedb.Directory{DB: db}, Projects: &project.Issues{Service: ps}}
	inDefault := func(tenantID string) int {
		p := tenancy.Principal{TenantID: tenantID, UserID: "ann", Role: roles.Admin, Tier: tiers.Standard, Table: names.App()}
		pg, err := svc.List(ctx, p, issue.ListQuery{Sort: issue.SortUpdated, Limit: 50, Filter: issue.Filter{Projects: []string{project.DefaultID}}})
		require.NoError(t, err)
		return len(pg.Items)
	}
	require.Zero(t, inDefault("acme"))

	var out bytes.Buffer
	require.NoError(t, backfill(ctx, db, names, "globex", &out))
	assert.Equal(t, "globex ("+names.App()+"): 1 issues in the default project, 1 pages this run, done\n", out.String())
	assert.Zero(t, inDefault("acme"), "-tenant globex leaves acme alone")
	assert.Equal(t, 1, inDefault("globex"))

	for range 2 { // again: the same answer, nothing moves twice
		out.Reset()
		require.NoError(t, backfill(ctx, db, names, "", &out))
		assert.Contains(t, out.String(), "acme ("+names.App()+"): 5 issues in the default project")
		assert.Contains(t, out.String(), "globex ("+names.App()+"): 1 issues in the default project")
		assert.Contains(t, out.String(), "gone: no table (deleted), skipped\n")
		assert.Equal(t, 5, inDefault("acme"))
		assert.Equal(t, 1, inDefault("globex"))
	}
	err = backfill(ctx, db, names, "nobody", &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tenant nobody")
}

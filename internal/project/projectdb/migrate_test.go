package projectdb_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// legacyFixture is every item of a table after the code at commit 34ccf9e
// (before projects) created, labelled, assigned, moved, commented and
// deleted issues of acme, and one issue of globex.
const legacyFixture = "testdata/legacy_items_34ccf9e.json"

func load(t *testing.T, db *dynamodb.Client, table string, tenants ...string) {
	t.Helper()
	b, err := os.ReadFile(legacyFixture)
	require.NoError(t, err)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(b, &items))
	for _, it := range items {
		if tid, _, _ := schema.ParseTenantKey(it["pk"].(string)); !contains(tenants, tid) {
			continue
		}
		m, err := attributevalue.MarshalMap(it)
		require.NoError(t, err)
		_, err = db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: m})
		require.NoError(t, err)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func services(db *dynamodb.Client) *issue.Service {
	ps := &project.Service{Store: &projectdb.Store{DB: db}, Users: &issuedb.Directory{DB: db}}
	return &issue.Service{Store: &issuedb.Store{DB: db}, Directory: &issuedb.Directory{DB: db}, Projects: &project.Issues{Service: ps}}
}

func TestMigrationOfDataWrittenBeforeProjects(t *testing.T) {
	db, names := testenv.Tables(t)
	silo := names.Silo("acme")
	require.NoError(t, dynamo.EnsureTable(context.Background(), db, schema.App, silo))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, silo) })
	load(t, db, names.App(), "acme", "globex") // pooled: two tenants share the table
	load(t, db, silo, "acme")                  // Platinum: acme's own table
	t.Run("pooled", func(t *testing.T) { migrate(t, db, names.App(), true) })
	t.Run("Platinum", func(t *testing.T) { migrate(t, db, silo, false) })
}

func migrate(t *testing.T, db *dynamodb.Client, table string, withGlobex bool) {
	ctx := context.Background()
	acme := tenancy.Principal{TenantID: "acme", UserID: "ann", Role: roles.Admin, Tier: tiers.Standard, Table: table}
	globex := tenancy.Principal{TenantID: "globex", UserID: "gus", Role: roles.Admin, Tier: tiers.Standard, Table: table}
	svc := services(db)
	inDefault := func(p tenancy.Principal) []string {
		pg, err := svc.List(ctx, p, issue.ListQuery{Sort: issue.SortUpdated, Limit: 50, Filter: issue.Filter{Projects: []string{project.DefaultID}}})
		require.NoError(t, err)
		var keys []string
		for _, i := range pg.Items {
			keys = append(keys, i.Key)
		}
		return keys
	}
	// Before: the old keys resolve, but no issue is in the project index.
	before, err := svc.Load(ctx, acme, "ACME-3")
	require.NoError(t, err)
	assert.Equal(t, project.DefaultID, before.ProjectID, "an issue without a project is the default project's")
	assert.Empty(t, inDefault(acme))

	m := projectdb.Migration{Projects: projectdb.Store{DB: db}, Issues: issuedb.Store{DB: db}, PageSize: 2}
	// Interrupted after one page, then resumed where it stopped.
	p, err := m.Run(ctx, acme.Scope(), 1)
	require.NoError(t, err)
	assert.Equal(t, projectdb.Progress{Moved: 2, Pages: 1}, p)
	assert.Len(t, inDefault(acme), 2)
	p, err = m.Run(ctx, acme.Scope(), 0)
	require.NoError(t, err)
	assert.True(t, p.Done)
	assert.Equal(t, 5, p.Moved, "five live issues (one was deleted before)")
	// Again: nothing to do.
	p, err = m.Run(ctx, acme.Scope(), 0)
	require.NoError(t, err)
	assert.Equal(t, projectdb.Progress{Moved: 5, Done: true}, p)

	assert.ElementsMatch(t, []string{"ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-5"}, inDefault(acme))
	for _, k := range []string{"ACME-1", "acme-5"} {
		_, err := svc.Load(ctx, acme, k)
		assert.NoError(t, err, k)
	}
	after, err := svc.Load(ctx, acme, "ACME-3")
	require.NoError(t, err)
	assert.Equal(t, before.Version, after.Version, "the issue itself did not change")
	assert.Equal(t, before.Title, after.Title)
	_, err = svc.Load(ctx, acme, "ACME-6")
	assert.Error(t, err, "the deleted issue stays gone")

	// New issues continue the old numbering in the default project.
	i, err := svc.Create(ctx, acme, issue.CreateIssue{Title: "After the migration"})
	require.NoError(t, err)
	assert.Equal(t, "ACME-7", i.Key, "6 was the deleted issue's: never reused")
	ps := &project.Service{Store: &projectdb.Store{DB: db}, Users: &issuedb.Directory{DB: db}}
	d, err := ps.Get(ctx, acme, "ACME")
	require.NoError(t, err)
	assert.Equal(t, project.DefaultID, d.ID)

	if withGlobex { // only the migrated tenant moved
		_, err := svc.Load(ctx, globex, "GLOBEX-1")
		require.NoError(t, err)
		assert.Empty(t, inDefault(globex), "globex was not migrated")
		_, err = svc.Load(ctx, globex, "ACME-1")
		assert.True(t, errs.Is(err, errs.KindNotFound), "another tenant's key: %v", err)
	}
}

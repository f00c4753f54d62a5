package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The class of issue 20's last data-plane gap: a function that builds a
// DynamoDB client of its own and reads tenants' tables with it names a
// Platinum tenant's table in the platform's account, where a tenant in an
// AWS account of its own has none (its table is in its account, reached
// through the second hop of internal/tenantcreds). Every tenant-data read
// goes through Deps.DB (core.BaseFromEnv, core.TenantCreds); a function's
// own client is built only where it cannot reach a tenant in another
// account, each for the reason given here. A new one fails this test
// until it is given a reason here, or uses Deps.DB.
func TestOnlyTheseBuildADynamoDBClientOfTheirOwn(t *testing.T) {
	t.Parallel()
	allowed := map[string]string{
		"internal/app/core/env.go":                    "BaseFromEnv: the base client that tenantcreds.Scoped wraps (Deps.DB), and the control table's",
		"internal/app/core/platformaccess.go":         "the platform's control table, through the platform role in a tenant's own account",
		"internal/app/activitywire/activitywire.go":   "the change stream's own table: a tenant in its own account has its own stream-activity function there",
		"internal/app/analyticswire/analyticswire.go": "the change stream's own table: a tenant in its own account has its own stream-analytics function there",
		"internal/app/lifecyclewire/lifecyclewire.go": "offboarding's Scan of a tenant's table in its own account, with the provisioning role's session",
		"functions/usermigration/main.go":             "the registry, through the platform role in a tenant's own account",
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, dir := range []string{"internal/app", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			src := string(b)
			if !strings.Contains(src, "awsx.DynamoDB(") && !strings.Contains(src, "dynamodb.NewFromConfig(") && !strings.Contains(src, "dynamodb.New(") {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			found[rel] = true
			if _, ok := allowed[rel]; !ok {
				t.Errorf("%s builds a DynamoDB client of its own: read tenants' tables through Deps.DB (internal/tenantcreds), or say here why it cannot reach a tenant in its own account", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for f := range allowed {
		if !found[f] {
			t.Errorf("%s no longer builds a client of its own: remove it from the list", f)
		}
	}
}

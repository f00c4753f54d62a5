package capacity_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/issuetracker/issuetracker/internal/capacity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const platformJSON = `{
  "Resources": {
    "Pooled": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "x-app", "GlobalSecondaryIndexes": [{}, {}, {}]}},
    "Control": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "x-control", "GlobalSecondaryIndexes": [{}]}},
    "R1": {"Type": "AWS::IAM::Role"}, "R2": {"Type": "AWS::IAM::Role"},
    "P": {"Type": "AWS::Cognito::UserPool"},
    "C": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"IdTokenValidity": 30, "TokenValidityUnits": {"IdToken": "minutes"}}},
    "S": {"Type": "AWS::ApiGateway::Stage", "Properties": {"MethodSettings": [{"ThrottlingRateLimit": 250}]}},
    "A": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {"AuthorizerResultTtlInSeconds": 60}},
    "U": {"Type": "AWS::ApiGateway::UsagePlan"},
    "M1": {"Type": "AWS::ApiGateway::Method"}, "M2": {"Type": "AWS::ApiGateway::Method"},
    "Res": {"Type": "AWS::ApiGateway::Resource"},
    "F": {"Type": "AWS::Lambda::Function"}
  },
  "Outputs": {"Api": {}, "Pool": {}}
}`

const tenantJSON = `{"Resources": {
  "T": {"Type": "AWS::DynamoDB::Table"}, "P": {"Type": "AWS::Cognito::UserPool"},
  "R": {"Type": "AWS::IAM::Role"}, "A1": {"Type": "AWS::CloudWatch::Alarm"}, "A2": {"Type": "AWS::CloudWatch::Alarm"}
}}`

func TestDesignFromTemplates(t *testing.T) {
	d, err := capacity.DesignFromTemplates([]byte(platformJSON), []byte(tenantJSON))
	require.NoError(t, err)
	assert.Equal(t, capacity.Design{
		PlatformResources: 13, PlatformLargest: "platform", PlatformTemplates: 1, PlatformTotalResources: 13, PlatformOutputs: 2, PlatformRoles: 2, PlatformTables: 2, PlatformPools: 1,
		PooledGSIs: 3, UsagePlans: 1, APIResources: 1, APIMethods: 2, Functions: 1,
		StageRateLimit: 250, AuthorizerTTL: 60, TokenHours: 0.5,
		TenantResources: 5, TenantRoles: 1, TenantTables: 1, TenantPools: 1, TenantAlarms: 2,
	}, d)

	_, err = capacity.DesignFromTemplates([]byte(`{"Resources": {"F": {"Type": "AWS::Lambda::Function"}}}`), []byte(tenantJSON))
	assert.ErrorContains(t, err, "stage throttle", "a template without the API is not the platform")
	_, err = capacity.DesignFromTemplates([]byte(`{}`), []byte(tenantJSON))
	assert.Error(t, err)
	_, err = capacity.DesignFromTemplates([]byte(`not json`), []byte(tenantJSON))
	assert.Error(t, err)
}

// The synthesized templates of the CDK snapshot tests are what `make
// capacity` counts: they must keep parsing into a plausible design.
func TestDesignFromTheSnapshotTemplates(t *testing.T) {
	d, err := capacity.DesignFromDir("../../infra/templates")
	require.NoError(t, err)
	assert.Positive(t, d.PlatformRoles)
	assert.Equal(t, 2, d.PlatformTables, "pooled and control tables")
	assert.Equal(t, 2, d.PlatformPools, "shared tenant pool and provider pool")
	assert.Equal(t, 4, d.UsagePlans, "one per tier")
	assert.Positive(t, d.PooledGSIs)
	assert.Positive(t, d.StageRateLimit)
	assert.Positive(t, d.AuthorizerTTL)
	assert.Equal(t, 1, d.TenantTables, "a Platinum tenant's table")
	assert.Equal(t, 1, d.TenantPools, "a Platinum tenant's pool")
	assert.Less(t, d.PlatformResources, 500, "CloudFormation's resources per template")
	// The API's resources and methods live in the route groups' nested
	// stacks: they are counted there, and the largest template is the one
	// the per-template quota watches.
	assert.Greater(t, d.APIMethods, 150, "methods of every nested stack")
	assert.Greater(t, d.APIResources, 50, "path resources of every nested stack")
	assert.Greater(t, d.PlatformTemplates, 2, "the platform and its nested stacks")
	assert.Greater(t, d.PlatformTotalResources, d.PlatformResources)
	assert.Equal(t, "IssueTracker-Platform", d.PlatformLargest, "the parent is still the largest template")
}

// A nested stack's resources count toward the design, and the largest
// template is the one the per-template quota reports.
func TestDesignCountsNestedStacks(t *testing.T) {
	dir := t.TempDir()
	nestedID := "ApiRoutesIssuesNestedStackRoutesIssuesNestedStackResource3800F474"
	parent := `{"Resources": {
    "S": {"Type": "AWS::ApiGateway::Stage", "Properties": {"MethodSettings": [{"ThrottlingRateLimit": 250}]}},
    "A": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {"AuthorizerResultTtlInSeconds": 60}},
    "M0": {"Type": "AWS::ApiGateway::Method"},
    "` + nestedID + `": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "x"}}}}`
	nested := `{"Resources": {"R": {"Type": "AWS::ApiGateway::Resource"}, "M1": {"Type": "AWS::ApiGateway::Method"},
    "M2": {"Type": "AWS::ApiGateway::Method"}, "M3": {"Type": "AWS::ApiGateway::Method"}, "M4": {"Type": "AWS::ApiGateway::Method"}}}`
	for name, body := range map[string]string{
		capacity.PlatformTemplate: parent, "IssueTracker-Platform.RoutesIssues.json": nested, capacity.TenantTemplate: tenantJSON,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	d, err := capacity.DesignFromDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 5, d.APIMethods)
	assert.Equal(t, 1, d.APIResources)
	assert.Equal(t, 2, d.PlatformTemplates)
	assert.Equal(t, 9, d.PlatformTotalResources)
	assert.Equal(t, 5, d.PlatformResources)
	assert.Equal(t, "IssueTracker-Platform/RoutesIssues", d.PlatformLargest)
}

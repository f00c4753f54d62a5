package cfntemplate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cfntemplate"
)

// A parent with a RestApi and two nested stacks, one of which nests a
// third, as CDK writes them: parameters carry the parent's references, the
// parent reads an output of a nested stack.
const (
	routesID = "ApiRoutesIssuesNestedStackRoutesIssuesNestedStackResource3800F474"
	opsID    = "ObservabilityNestedStackObservabilityNestedStackResourceCC056BCD"
	deepID   = "DeepNestedStackDeepNestedStackResource0123ABCD"
)

func nestedResource(id, hash string, params map[string]any) map[string]any {
	return map[string]any{"Type": cfntemplate.StackType, "Properties": map[string]any{
		"Parameters": params,
		"TemplateURL": map[string]any{"Fn::Join": []any{"", []any{"https://s3.us-east-1.", map[string]any{"Ref": "AWS::URLSuffix"},
			"/cdk-hnb659fds-assets-123456789012-us-east-1/" + hash + ".json"}}},
	}}
}

var (
	parent = map[string]any{
		"Resources": map[string]any{
			"Api":    map[string]any{"Type": "AWS::ApiGateway::RestApi"},
			routesID: nestedResource(routesID, "aaaa", map[string]any{"refApi": map[string]any{"Ref": "Api"}}),
			opsID:    nestedResource(opsID, "bbbb", map[string]any{}),
			"Deployment": map[string]any{"Type": "AWS::ApiGateway::Deployment",
				"Properties": map[string]any{"Description": map[string]any{"Fn::GetAtt": []any{routesID, "Outputs.Count"}}}},
		},
	}
	routes = map[string]any{
		"Parameters": map[string]any{"refApi": map[string]any{"Type": "String"}},
		"Resources": map[string]any{
			"Issues":    map[string]any{"Type": "AWS::ApiGateway::Resource", "Properties": map[string]any{"RestApiId": map[string]any{"Ref": "refApi"}, "PathPart": "issues"}},
			"IssuesGET": map[string]any{"Type": "AWS::ApiGateway::Method", "Properties": map[string]any{"RestApiId": map[string]any{"Ref": "refApi"}, "ResourceId": map[string]any{"Ref": "Issues"}}},
		},
		"Outputs": map[string]any{"Count": map[string]any{"Value": map[string]any{"Ref": "refApi"}}},
	}
	ops = map[string]any{"Resources": map[string]any{
		"Alarm": map[string]any{"Type": "AWS::CloudWatch::Alarm"},
		deepID:  nestedResource(deepID, "cccc", map[string]any{}),
	}}
	deep = map[string]any{"Resources": map[string]any{"Topic": map[string]any{"Type": "AWS::SNS::Topic"}}}
)

func write(t *testing.T, dir, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
}

// assembly writes the templates as cdk synth does.
func assembly(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "Platform.template.json", parent)
	write(t, dir, "PlatformApiRoutesIssues1234.nested.template.json", routes)
	write(t, dir, "PlatformObservability5678.nested.template.json", ops)
	write(t, dir, "PlatformObservabilityDeep9abc.nested.template.json", deep)
	write(t, dir, "Platform.assets.json", map[string]any{"version": "48.0.0", "files": map[string]any{
		"aaaa": map[string]any{"source": map[string]any{"path": "PlatformApiRoutesIssues1234.nested.template.json"}},
		"bbbb": map[string]any{"source": map[string]any{"path": "PlatformObservability5678.nested.template.json"}},
		"cccc": map[string]any{"source": map[string]any{"path": "PlatformObservabilityDeep9abc.nested.template.json"}},
		"dddd": map[string]any{"source": map[string]any{"path": "asset.dddd"}},
	}})
	return dir
}

// goldens writes them as test/infra's snapshots do.
func goldens(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "Platform.json", parent)
	write(t, dir, "Platform.RoutesIssues.json", routes)
	write(t, dir, "Platform.Observability.json", ops)
	write(t, dir, "Platform.Observability.Deep.json", deep)
	return dir
}

func TestLoadFindsNestedTemplatesInAnAssemblyAndInTheGoldens(t *testing.T) {
	for name, dir := range map[string]string{"assembly": assembly(t), "goldens": goldens(t)} {
		t.Run(name, func(t *testing.T) {
			s, err := cfntemplate.Load(dir, "Platform")
			require.NoError(t, err)
			var names []string
			for _, n := range s.All() {
				names = append(names, n.Name)
			}
			assert.Equal(t, []string{"Platform", "Platform/RoutesIssues", "Platform/Observability", "Platform/Observability/Deep"}, names, "parents first, nested stacks by logical id")

			flat, err := s.Flatten()
			require.NoError(t, err)
			res := flat["Resources"].(map[string]any)
			assert.Len(t, res, 4+2+2+1, "every resource of every template, nested stack resources included")
			assert.Equal(t, 1, cfntemplate.Count(flat, "AWS::ApiGateway::Method"))
			assert.Equal(t, 1, cfntemplate.Count(flat, "AWS::SNS::Topic"), "a nested stack's nested stack is flattened too")
			method := res["IssuesGET"].(map[string]any)["Properties"].(map[string]any)
			assert.Equal(t, map[string]any{"Ref": "Api"}, method["RestApiId"], "a parameter reads as the parent's value")
			assert.Equal(t, map[string]any{"Ref": "Issues"}, method["ResourceId"], "a reference inside the nested stack stays")
			dep := res["Deployment"].(map[string]any)["Properties"].(map[string]any)
			assert.Equal(t, map[string]any{"Ref": "Api"}, dep["Description"], "a nested output reads as its value")
			assert.Len(t, s.Resources(), 4, "the loaded template itself is as written")
		})
	}
}

func TestLoadAndFlattenErrors(t *testing.T) {
	_, err := cfntemplate.Load(t.TempDir(), "Platform")
	assert.ErrorIs(t, err, os.ErrNotExist)

	dir := goldens(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "Platform.RoutesIssues.json")))
	_, err = cfntemplate.Load(dir, "Platform")
	assert.ErrorContains(t, err, routesID, "a missing nested template names its stack")

	dir = goldens(t)
	clash := map[string]any{"Resources": map[string]any{"Api": map[string]any{"Type": "AWS::SNS::Topic"}}}
	write(t, dir, "Platform.RoutesIssues.json", clash)
	_, err = cfntemplate.LoadFlat(dir, "Platform")
	assert.ErrorContains(t, err, "resource Api is in Platform/RoutesIssues and in its parent")
}

func TestConstructID(t *testing.T) {
	assert.Equal(t, "Observability", cfntemplate.ConstructID(opsID))
	assert.Equal(t, "RoutesIssues", cfntemplate.ConstructID(routesID))
	assert.Equal(t, "Custom", cfntemplate.ConstructID("Custom"))
}

package localdeploy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

func event(t *testing.T, s string) map[string]any {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &ev))
	return ev
}

// The platform template's event rules, as the local cloud reads them: the
// bus, the pattern, and what each target gets.
func TestTheTemplatesEventRulesNameTheirBusPatternAndTargets(t *testing.T) {
	rules, err := platformTemplate(t).EventRules()
	require.NoError(t, err)
	byID := map[string]localdeploy.EventRule{}
	for _, r := range rules {
		byID[r.LogicalID] = r
		assert.Equal(t, "issuetracker", r.BusName, r.LogicalID)
		assert.True(t, r.Enabled, r.LogicalID)
	}
	require.Len(t, byID, 3, "the schedules are not event rules")

	outcome := byID["ProvisioningOnTenantStackOutcome3CAE3CAD"]
	require.Len(t, outcome.Targets, 1)
	assert.Equal(t, "onboarding", outcome.Targets[0].Function)
	assert.Equal(t, 8, outcome.Targets[0].MaxRetries)
	run := event(t, `{"source":"issuetracker.lifecycle","detail-type":"Tenant Lifecycle Run Requested","detail":{"tenantId":"acme"}}`)
	assert.True(t, outcome.Match(run))
	payload, err := outcome.Targets[0].Payload(run)
	require.NoError(t, err)
	assert.JSONEq(t, `{"source":"issuetracker.lifecycle","detail-type":"Tenant Lifecycle Run Requested","detail":{"tenantId":"acme"}}`, string(payload), "the whole event")

	deploy := byID["ProvisioningOnDeployRequested40DA5706"]
	require.Len(t, deploy.Targets, 1)
	assert.Empty(t, deploy.Targets[0].Function)
	assert.Equal(t, "AWS::StepFunctions::StateMachine", deploy.Targets[0].Type)
	req := event(t, `{"source":"issuetracker.onboarding","detail-type":"Tenant Stack Deploy Requested","detail":{"tenantId":"acme"}}`)
	assert.False(t, outcome.Match(req))
	assert.True(t, deploy.Match(req))
	assert.False(t, byID["ProvisioningOnDestroyRequestedF861E729"].Match(req))
	payload, err = deploy.Targets[0].Payload(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"action":"deploy","tenantId":"acme"}`, string(payload), "the rule's input transformer")
}

func TestEventPatternsMatchAsEventBridgeDoes(t *testing.T) {
	rule := func(p string) localdeploy.EventRule {
		var pat map[string]any
		require.NoError(t, json.Unmarshal([]byte(p), &pat))
		return localdeploy.EventRule{Pattern: pat}
	}
	ev := event(t, `{"source":"a","detail":{"n":3,"tags":["x","y"],"name":"stack-acme","ok":true}}`)
	for p, want := range map[string]bool{
		`{"source":["a","b"]}`:                          true,
		`{"source":["b"]}`:                              false,
		`{"detail":{"n":[3]}}`:                          true,
		`{"detail":{"n":["3"]}}`:                        false, // a string is not a number
		`{"detail":{"tags":["y"]}}`:                     true,  // any value of an array
		`{"detail":{"name":[{"prefix":"stack-"}]}}`:     true,
		`{"detail":{"name":[{"prefix":"other-"}]}}`:     false,
		`{"detail":{"gone":[{"exists":false}]}}`:        true,
		`{"detail":{"gone":[{"exists":true}]}}`:         false,
		`{"detail":{"ok":[true]},"source":["a"]}`:       true,
		`{"detail":{"ok":[true]},"source":["nope"]}`:    false,
		`{"detail-type":["Tenant Stack Succeeded"]}`:    false, // a field the event lacks
		`{"detail":{"name":{"deeper":["stack-acme"]}}}`: false,
	} {
		assert.Equal(t, want, rule(p).Match(ev), p)
	}
}

func TestInputTransformersFillTheirTemplate(t *testing.T) {
	ev := event(t, `{"source":"a","detail":{"tenantId":"acme","n":3,"quote":"say \"hi\""}}`)
	it := localdeploy.RuleTarget{InputTransformer: &localdeploy.InputTransformer{
		PathsMap: map[string]string{"t": "$.detail.tenantId", "n": "$.detail.n", "q": "$.detail.quote", "none": "$.detail.gone"},
		Template: `{"tenant":<t>,"n":<n>,"text":"<t> has <n>: <q>","missing":<none>,"literal":"<other>"}`,
	}}
	got, err := it.Payload(ev)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tenant":"acme","n":3,"text":"acme has 3: say \"hi\"","missing":null,"literal":"<other>"}`, string(got))

	path := localdeploy.RuleTarget{InputPath: "$.detail"}
	got, err = path.Payload(ev)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tenantId":"acme","n":3,"quote":"say \"hi\""}`, string(got))

	in := `{"job":"x"}`
	got, err = localdeploy.RuleTarget{Input: &in}.Payload(ev)
	require.NoError(t, err)
	assert.Equal(t, in, string(got))
}

// A pattern the local cloud cannot match is an error naming the rule, not
// a rule that silently never fires.
func TestAnEventPatternTheLocalCloudCannotMatchIsAnError(t *testing.T) {
	tmpl := platformTemplate(t)
	tmpl.Resources["ProvisioningOnDeployRequested40DA5706"].Properties["EventPattern"] = map[string]any{
		"detail": map[string]any{"size": []any{map[string]any{"numeric": []any{">", 3}}}}}
	_, err := tmpl.EventRules()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ProvisioningOnDeployRequested40DA5706")
	assert.Contains(t, err.Error(), "numeric")
}

package infra_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
)

// CloudFormation takes at most 500 resources per template (CDK refuses to
// synthesize more); every template keeps headroom under it, so a feature
// that adds routes or alarms fails here, with the count, before it fails a
// deploy. The platform keeps its alarms in a nested stack for this.
func TestEveryTemplateStaysUnderTheResourceLimit(t *testing.T) {
	ready(t)
	for name, tmpl := range synth.files {
		n := len(tmpl["Resources"].(map[string]any))
		t.Logf("%s: %d resources", name, n)
		if n > stacks.MaxTemplateResources {
			t.Errorf("%s has %d resources, more than the %d kept under CloudFormation's 500: move a part into a nested stack", name, n, stacks.MaxTemplateResources)
		}
	}
	if _, ok := synth.files[stacks.PlatformStackName+"/"+stacks.ObservabilityStackID]; !ok {
		t.Error("the platform's alarms are not in their nested stack")
	}
}

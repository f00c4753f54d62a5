package apikeys

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// PlansFromSSM reads every tier's usage plan id from the SSM parameters
// <prefix><tier> the platform stack writes (/issuetracker/usage-plans/basic,
// ...), in one GetParameters call: read once per cold start. A tier without
// its parameter is an error, so a half-configured deployment stops at cold
// start rather than at a tenant's onboarding.
func PlansFromSSM(ctx context.Context, c *ssm.Client, prefix string) (map[tiers.Name]string, error) {
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	byName := map[string]tiers.Name{}
	var names []string
	for _, t := range tiers.All() {
		byName[prefix+string(t.Name)] = t.Name
		names = append(names, prefix+string(t.Name))
	}
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		return nil, fmt.Errorf("read usage plan ids under %s: %w", prefix, err)
	}
	plans := map[tiers.Name]string{}
	for _, p := range out.Parameters {
		if t, ok := byName[*p.Name]; ok && p.Value != nil && *p.Value != "" {
			plans[t] = *p.Value
		}
	}
	for _, t := range tiers.All() {
		if plans[t.Name] == "" {
			return nil, fmt.Errorf("no usage plan id for tier %s (SSM parameter %s%s)", t.Name, prefix, t.Name)
		}
	}
	return plans, nil
}

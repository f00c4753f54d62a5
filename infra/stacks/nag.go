package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag runs the cdk-nag AwsSolutions checks on everything in app.
// Findings become error and warning annotations; `cdk synth` fails on errors.
func ApplyNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// why is one suppression: the rule and the reason it does not apply here.
type why struct{ rule, reason string }

func suppress(scope any, children bool, ws ...why) {
	s := make([]*cdknag.NagPackSuppression, len(ws))
	for i, w := range ws {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(w.rule), Reason: jsii.String(w.reason)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &s, jsii.Bool(children))
}

func suppressPlatform(p *Platform) {}

func suppressTenant(t *Tenant) {}

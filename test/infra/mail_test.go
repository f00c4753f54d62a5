package infra_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/mail"
)

// The functions that mail (verification codes, invitations) may send with
// SES only from the configured identity and From address; no other
// function may send at all.
func TestOnlyTheMailSendersMaySendAndOnlyFromTheConfiguredIdentity(t *testing.T) {
	ready(t)
	identityARN := `"arn:aws:ses:us-east-1:123456789012:identity/example.com"`
	for _, name := range stacks.FunctionNames() {
		sender := slices.Contains(stacks.MailSenders, name)
		var ses []map[string]any
		for _, s := range statements(t, roleOf(name)) {
			if strings.Contains(jsonOf(s["Action"]), `"ses:`) {
				ses = append(ses, s)
			}
		}
		if !sender {
			if len(ses) > 0 {
				t.Errorf("%s may use SES: %s", name, jsonOf(ses))
			}
			continue
		}
		if len(ses) != 1 {
			t.Fatalf("%s: %d SES statements, want 1: %s", name, len(ses), jsonOf(ses))
		}
		s := ses[0]
		if got := jsonOf(s["Action"]); got != `"ses:SendEmail"` {
			t.Errorf("%s is granted %s, want only ses:SendEmail", name, got)
		}
		if got := jsonOf(s["Resource"]); got != identityARN {
			t.Errorf("%s may send from %s, want the identity %s", name, got, identityARN)
		}
		if got := jsonOf(s["Condition"]); got != `{"StringEquals":{"ses:FromAddress":"no-reply@example.com"}}` {
			t.Errorf("%s: condition %s, want the From address", name, got)
		}
	}
}

func TestTheMailSendersAreToldTheSenderTheAddressAndTheWebApp(t *testing.T) {
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	for _, name := range stacks.FunctionNames() {
		env := jsonOf(props(fns[logicalID(synth.platform.Functions[name].Function.Node().DefaultChild())])["Environment"])
		want := []string{`"` + mail.EnvSender + `":"ses"`, `"` + mail.EnvFrom + `":"IssueTracker \u003cno-reply@example.com\u003e"`,
			// the web distribution's origin (constructs/webapp), never localhost
			`"` + mail.EnvWebBaseURL + `":{"Fn::Join":["",["https://",{"Fn::GetAtt":["WebDistribution`}
		for _, w := range want {
			if got := strings.Contains(env, w); got != slices.Contains(stacks.MailSenders, name) {
				t.Errorf("%s: environment has %s: %v, want %v", name, w, got, !got)
			}
		}
	}
}

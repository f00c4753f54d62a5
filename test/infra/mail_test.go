package infra_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/mail"
)

// The functions that mail (verification codes, invitations) may send with
// SES only from the configured identity and From address; no other
// function may send at all.
func TestOnlyTheMailSendersMaySendAndOnlyFromTheConfiguredIdentity(t *testing.T) {
	ready(t)
	identityARN := `"arn:aws:ses:us-east-1:123456789012:identity/example.com"`
	configSetARN := `"arn:aws:ses:us-east-1:123456789012:configuration-set/issuetracker-mail"`
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
		if got, want := jsonOf(s["Resource"]), "["+configSetARN+","+identityARN+"]"; got != want {
			t.Errorf("%s may send from %s, want the identity with the configuration set %s", name, got, want)
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
			`"` + envvars.MailConfigurationSet + `":"issuetracker-mail"`,
			// the web distribution's origin (constructs/webapp), never localhost
			`"` + mail.EnvWebBaseURL + `":{"Fn::Join":["",["https://",{"Fn::GetAtt":["WebDistribution`}
		for _, w := range want {
			if got := strings.Contains(env, w); got != slices.Contains(stacks.MailSenders, name) {
				t.Errorf("%s: environment has %s: %v, want %v", name, w, got, !got)
			}
		}
	}
}

// SES publishes bounces and complaints of every platform mail (its
// configuration set) to a topic the activity function reads; that function
// may write the suppression list and nothing else of the control table's
// items with it, and SES's own suppression stays on.
func TestBouncesAndComplaintsReachTheSuppressionList(t *testing.T) {
	ready(t)
	sets := resources(t, stacks.PlatformStackName, "AWS::SES::ConfigurationSet")
	if len(sets) != 1 {
		t.Fatalf("%d configuration sets, want 1", len(sets))
	}
	for _, cs := range sets {
		p := jsonOf(props(cs))
		for _, want := range []string{`"Name":"issuetracker-mail"`, `"SuppressedReasons":["BOUNCE","COMPLAINT"]`} {
			if !strings.Contains(p, want) {
				t.Errorf("configuration set %s lacks %s", p, want)
			}
		}
	}
	topicID := logicalID(synth.platform.MailEvents.Topic.Node().DefaultChild())
	dests := resources(t, stacks.PlatformStackName, "AWS::SES::ConfigurationSetEventDestination")
	if len(dests) != 1 {
		t.Fatalf("%d event destinations, want 1", len(dests))
	}
	for _, d := range dests {
		p := props(d)["EventDestination"].(map[string]any)
		if got := jsonOf(p["MatchingEventTypes"]); got != `["bounce","complaint"]` {
			t.Errorf("events = %s, want bounces and complaints", got)
		}
		if !strings.Contains(jsonOf(p["SnsDestination"]), topicID) || p["Enabled"] != true {
			t.Errorf("destination = %s, want the topic %s, enabled", jsonOf(p), topicID)
		}
	}
	activity := logicalID(synth.platform.StreamActivity.Function.Function.Node().DefaultChild())
	subscribed := false
	for _, s := range resources(t, stacks.PlatformStackName, "AWS::SNS::Subscription") {
		p := props(s)
		subscribed = subscribed || (ref(p["TopicArn"]) == topicID && p["Protocol"] == "lambda" && ref(p["Endpoint"]) == activity)
	}
	if !subscribed {
		t.Error("the activity function does not subscribe to the mail events topic")
	}
	roleID := logicalID(synth.platform.StreamActivity.Function.Role.Node().DefaultChild())
	writes := 0
	for _, s := range statements(t, roleID) {
		if !strings.Contains(jsonOf(s["Action"]), "dynamodb:PutItem") || !strings.Contains(jsonOf(s["Resource"]), "ControlTable") {
			continue
		}
		writes++
		if got := jsonOf(s["Condition"]); got != `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["SUPPRESSED#*"]},"Null":{"dynamodb:LeadingKeys":"false"}}` {
			t.Errorf("the activity function writes the control table under %s, want the suppression list only", got)
		}
	}
	if writes != 1 {
		t.Errorf("%d control-table write grants of the activity function, want 1", writes)
	}
}

// The mail domain is the platform's SES identity: Easy DKIM with 2048-bit
// keys and signing on, a custom MAIL FROM subdomain, the mail configuration
// set as its default (bounces and complaints reach the suppression list),
// and the DKIM records as outputs; the senders' grant names this identity.
func TestTheMailDomainIsAnSESIdentityWithDKIMAndTheConfigurationSet(t *testing.T) {
	ready(t)
	ids := resources(t, stacks.PlatformStackName, "AWS::SES::EmailIdentity")
	if len(ids) != 1 {
		t.Fatalf("%d SES identities, want the mail domain's", len(ids))
	}
	csID := logicalID(synth.platform.MailEvents.ConfigurationSet.Node().DefaultChild())
	for _, r := range ids {
		p := props(r)
		if p["EmailIdentity"] != "example.com" {
			t.Errorf("identity %v, want the From address's domain example.com", p["EmailIdentity"])
		}
		if got := jsonOf(p["DkimAttributes"]); got != `{"SigningEnabled":true}` {
			t.Errorf("DKIM attributes %s, want signing on", got)
		}
		if got := jsonOf(p["DkimSigningAttributes"]); got != `{"NextSigningKeyLength":"RSA_2048_BIT"}` {
			t.Errorf("DKIM signing %s, want Easy DKIM with 2048-bit keys", got)
		}
		if got := jsonOf(p["MailFromAttributes"]); got != `{"BehaviorOnMxFailure":"USE_DEFAULT_VALUE","MailFromDomain":"bounce.example.com"}` {
			t.Errorf("MAIL FROM %s, want bounce.example.com", got)
		}
		if got := jsonOf(p["ConfigurationSetAttributes"]); !strings.Contains(got, csID) {
			t.Errorf("configuration set %s, want %s", got, csID)
		}
		if got := jsonOf(p["FeedbackAttributes"]); got != `{"EmailForwardingEnabled":false}` {
			t.Errorf("feedback %s, want events rather than forwarded mail", got)
		}
	}
	outputs, _ := synth.raw[stacks.PlatformStackName]["Outputs"].(map[string]any)
	for _, n := range []string{"1", "2", "3"} {
		for _, part := range []string{"Name", "Value"} {
			if o, ok := outputs["MailDkim"+n+part]; !ok || !strings.Contains(jsonOf(o), "DkimDNSTokenName"+n) && !strings.Contains(jsonOf(o), "DkimDNSTokenValue"+n) {
				t.Errorf("output MailDkim%s%s = %v, want the identity's DKIM token", n, part, o)
			}
		}
	}
}

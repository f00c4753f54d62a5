package stacks

import (
	"net/mail"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	itrmail "github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// MailSenders are the functions that send the platform's mail: registration
// (verification codes), users (invitations) and the lifecycle runners that
// run onboarding's invite_admin step (tenants: Root's approval and retries;
// onboarding: runs resumed by events) and billing (payment notices, usage
// threshold mails of the hourly job).
var MailSenders = []string{string(routes.FnRegistration), string(routes.FnUsers), string(routes.FnTenants), OnboardingFunction, string(routes.FnBilling)}

// Mail defaults: synth needs a From address; a deployment sets its own
// (context mailFrom, sesIdentity) and verifies the identity in SES first.
const DefaultMailFrom = "IssueTracker <no-reply@example.com>"

// sesIdentity is the SES identity the functions may send from: the
// configured one, else the From address's domain.
func (c Config) sesIdentity() string {
	if c.SESIdentity != "" {
		return c.SESIdentity
	}
	a, err := mail.ParseAddress(c.MailFrom)
	if err != nil {
		panic("stacks: mailFrom " + c.MailFrom + ": " + err.Error())
	}
	return a.Address[strings.LastIndex(a.Address, "@")+1:]
}

// SESIdentityARN is the identity's ARN in the stack's account and region.
func (p *Platform) SESIdentityARN() *string {
	return p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("identity"),
		ResourceName: jsii.String(p.Config.sesIdentity())})
}

// wireMail lets the mail senders send with SES v2, only from the configured
// identity and From address, and tells them the sender, the address and
// the web app (for the links in mails).
func (p *Platform) wireMail() {
	from, err := mail.ParseAddress(p.Config.MailFrom)
	if err != nil {
		panic("stacks: mailFrom " + p.Config.MailFrom + ": " + err.Error())
	}
	for _, name := range MailSenders {
		fn, ok := p.Functions[name]
		if !ok {
			continue
		}
		fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendPlatformMail"),
			Actions:   jsii.Strings("ses:SendEmail"),
			Resources: &[]*string{p.SESIdentityARN()},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"ses:FromAddress": from.Address,
			}},
		}))
		for k, v := range map[string]string{itrmail.EnvSender: itrmail.SenderSES, itrmail.EnvFrom: p.Config.MailFrom,
			itrmail.EnvWebBaseURL: p.Config.WebOrigin} {
			fn.Function.AddEnvironment(jsii.String(k), jsii.String(v), nil)
		}
	}
}

package stacks

import (
	"net/mail"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// MailSenders are the functions that send the platform's mail (their
// environment contract has envvars.MailSender): registration (verification
// codes), users (invitations), onboarding, which runs the invite_admin step in
// AWS, and billing (payment notices, usage threshold mails of the hourly job).
var MailSenders = functionsNeeding(envvars.MailSender)

// functionsNeeding lists the platform functions whose contract has v.
func functionsNeeding(v string) []string {
	var out []string
	for _, name := range FunctionNames() {
		if vars, _ := envvars.For(routes.Function(name)); slices.Contains(vars, v) {
			out = append(out, name)
		}
	}
	return out
}

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

// grantMail lets a mail sender send with SES v2, only from the configured
// identity and From address.
func (p *Platform) grantMail(f *gofunction.Function) {
	from, err := mail.ParseAddress(p.Config.MailFrom)
	if err != nil {
		panic("stacks: mailFrom " + p.Config.MailFrom + ": " + err.Error())
	}
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SendPlatformMail"),
		Actions:   jsii.Strings("ses:SendEmail"),
		Resources: &[]*string{p.SESIdentityARN()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
			"ses:FromAddress": from.Address,
		}},
	}))
}

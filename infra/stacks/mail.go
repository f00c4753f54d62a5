package stacks

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
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
// configured one, else the mail domain.
func (c Config) sesIdentity() string {
	if c.SESIdentity != "" {
		return c.SESIdentity
	}
	return c.mailDomain()
}

// mailDomain is the domain verified as the platform's SES identity: the
// configured one, else the From address's domain.
func (c Config) mailDomain() string {
	if c.MailDomain != "" {
		return c.MailDomain
	}
	a, err := mail.ParseAddress(c.MailFrom)
	if err != nil {
		panic("stacks: mailFrom " + c.MailFrom + ": " + err.Error())
	}
	return a.Address[strings.LastIndex(a.Address, "@")+1:]
}

// mailFromDomain is the identity's MAIL FROM domain (a subdomain of it).
func (c Config) mailFromDomain() string {
	if c.MailFromDomain != "" {
		if !strings.HasSuffix(c.MailFromDomain, "."+c.mailDomain()) {
			panic("stacks: mailFromDomain " + c.MailFromDomain + " is not a subdomain of " + c.mailDomain())
		}
		return c.MailFromDomain
	}
	return "bounce." + c.mailDomain()
}

// addMailIdentity verifies the mail domain as an SES identity: Easy DKIM
// (2048-bit keys, signing on), the custom MAIL FROM domain, and the mail
// configuration set as its default (bounce and complaint events reach the
// suppression list even for a send that names no set). The DNS records to
// publish are the stack's outputs (MailDkim1..3, names and values); with
// no hosted zone in the app, the operator publishes them, plus the MAIL
// FROM domain's MX and SPF records SES documents.
func (p *Platform) addMailIdentity() {
	id := awsses.NewEmailIdentity(p.Stack, jsii.String("MailIdentity"), &awsses.EmailIdentityProps{
		Identity:                    awsses.Identity_Domain(jsii.String(p.Config.mailDomain())),
		ConfigurationSet:            p.MailEvents.ConfigurationSet,
		DkimIdentity:                awsses.DkimIdentity_EasyDkim(awsses.EasyDkimSigningKeyLength_RSA_2048_BIT),
		DkimSigning:                 jsii.Bool(true),
		MailFromDomain:              jsii.String(p.Config.mailFromDomain()),
		MailFromBehaviorOnMxFailure: awsses.MailFromBehaviorOnMxFailure_USE_DEFAULT_VALUE,
		// Bounces and complaints travel as configuration set events, not
		// as mail to the Return-Path.
		FeedbackForwarding: jsii.Bool(false),
	})
	p.MailIdentity = id
	for i, t := range []struct{ name, value *string }{{id.DkimDnsTokenName1(), id.DkimDnsTokenValue1()},
		{id.DkimDnsTokenName2(), id.DkimDnsTokenValue2()}, {id.DkimDnsTokenName3(), id.DkimDnsTokenValue3()}} {
		n := fmt.Sprint(i + 1)
		awscdk.NewCfnOutput(p.Stack, jsii.String("MailDkim"+n+"Name"), &awscdk.CfnOutputProps{Value: t.name,
			Description: jsii.String("CNAME name of the mail domain's DKIM record " + n)})
		awscdk.NewCfnOutput(p.Stack, jsii.String("MailDkim"+n+"Value"), &awscdk.CfnOutputProps{Value: t.value,
			Description: jsii.String("CNAME value of the mail domain's DKIM record " + n)})
	}
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
		Resources: &[]*string{p.SESIdentityARN(), p.mailConfigurationSetARN()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
			"ses:FromAddress": from.Address,
		}},
	}))
}

// MailConfigurationSetName is the SES configuration set every platform
// mail is sent with (envvars.MailConfigurationSet).
func MailConfigurationSetName(prefix string) string { return prefix + "-mail" }

// MailEvents is the configuration set and the topic of its bounce and
// complaint events, which the activity function reads to put addresses on
// the platform's suppression list (internal/mail: never mailed again).
type MailEvents struct {
	ConfigurationSet awsses.ConfigurationSet
	Topic            awssns.Topic
}

// addMailEvents adds the configuration set (SES's own suppression of
// bounces and complaints for the account stays on behind ours: it keeps
// SES from sending, ours also keeps the platform from trying, locally too),
// its event destination and the activity function's subscription, with the
// one control-table write that needs.
func (p *Platform) addMailEvents() {
	topic := awssns.NewTopic(p.Stack, jsii.String("MailEvents"), &awssns.TopicProps{
		DisplayName: jsii.String("IssueTracker mail bounces and complaints"), EnforceSSL: jsii.Bool(true),
	})
	suppress(topic, why{"AwsSolutions-SNS2",
		"SES publishes bounce and complaint events here; a customer-managed key would need a key policy for SES and the subscriber for messages that carry only recipient addresses and SMTP status, kept by SNS for seconds.", nil})
	cs := awsses.NewConfigurationSet(p.Stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		ConfigurationSetName: jsii.String(MailConfigurationSetName(p.Config.Prefix)),
		SuppressionReasons:   awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
		ReputationMetrics:    jsii.Bool(true),
	})
	cs.AddEventDestination(jsii.String("BouncesAndComplaints"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(topic),
		Events:      &[]awsses.EmailSendingEvent{awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT},
	})
	fn := p.StreamActivity.Function
	topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fn.Function, nil))
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MailSuppressionsWrite"), Actions: jsii.Strings("dynamodb:PutItem"), Resources: &[]*string{p.Control.Table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{schema.ControlSuppressed + "*"}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	fn.Function.AddEnvironment(jsii.String(envvars.MailConfigurationSet), jsii.String(MailConfigurationSetName(p.Config.Prefix)), nil)
	p.MailEvents = &MailEvents{ConfigurationSet: cs, Topic: topic}
}

// mailConfigurationSetARN is the configuration set's ARN: sending with it
// is authorized on it too.
func (p *Platform) mailConfigurationSetARN() *string {
	return p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("configuration-set"),
		ResourceName: jsii.String(MailConfigurationSetName(p.Config.Prefix))})
}

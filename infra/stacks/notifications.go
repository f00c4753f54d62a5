package stacks

import (
	"net/mail"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/envvars"
	itrmail "github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/notify"
)

// MailScheduleRule runs the activity function's mail job every minute.
const MailScheduleRule = "NotificationMailSchedule"

// wireNotificationMail gives the platform's activity function what its
// mail job needs: the tenant registry (read), the Platinum tenants' tables
// (their pending mail and users: same leading-key limits), SES from the
// platform's identity and address, the cursor key (unsubscribe tokens are
// signed with it) and the API's URL (the unsubscribe link); and the
// schedule that invokes it with {"job": "send-notification-mail"}.
func (p *Platform) wireNotificationMail() {
	fn := p.StreamActivity.Function
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("TenantRegistryRead"), Actions: jsii.Strings("dynamodb:GetItem", "dynamodb:Query"),
		Resources: &[]*string{p.Control.Table.TableArn(), jsii.String(*p.Control.Table.TableArn() + "/index/*")},
	}))
	tenantTables := p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"),
		ResourceName: jsii.String(p.Config.Prefix + "-tenant-*")})
	// A slice, not a map: the statements keep their order in the template.
	for _, g := range []struct {
		sid      string
		patterns []string
		actions  *[]*string
	}{
		{"TenantTablesMailItems", []string{"T#*#MAILQ", "T#*#MAILBATCH#*", "T#*#NOTIFYPREF"},
			jsii.Strings("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem")},
		{"TenantTablesUsers", []string{"T#*#USER#*"}, jsii.Strings("dynamodb:GetItem", "dynamodb:Query")},
	} {
		fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(g.sid), Actions: g.actions, Resources: &[]*string{tenantTables},
			Conditions: &map[string]interface{}{
				"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": g.patterns},
				"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
			},
		}))
	}
	from, err := mail.ParseAddress(p.Config.MailFrom)
	if err != nil {
		panic("stacks: mailFrom " + p.Config.MailFrom + ": " + err.Error())
	}
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("SendNotificationMail"), Actions: jsii.Strings("ses:SendEmail"), Resources: &[]*string{p.SESIdentityARN(), p.mailConfigurationSetARN()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"ses:FromAddress": from.Address}},
	}))
	p.CursorKey.GrantRead(fn.Role, nil)
	for k, v := range map[string]*string{
		envvars.TablePrefix: jsii.String(p.Config.Prefix), envvars.CursorKeySecretARN: p.CursorKey.SecretArn(), envvars.APIBaseURL: p.API.URL(),
		envvars.MailSender: jsii.String(itrmail.SenderSES), envvars.MailFrom: jsii.String(p.Config.MailFrom), envvars.WebBaseURL: jsii.String(p.Config.WebOrigin),
	} {
		fn.Function.AddEnvironment(jsii.String(k), v, nil)
	}
	p.MailSchedule = awsevents.NewRule(p.Collaboration, jsii.String(MailScheduleRule), &awsevents.RuleProps{
		Description: jsii.String("Every minute: the activity function sends the notification mail that is due"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Function, &awseventstargets.LambdaFunctionProps{
			Event:         awsevents.RuleTargetInput_FromObject(map[string]any{"job": notify.JobSendMail}),
			RetryAttempts: jsii.Number(2),
		})},
	})
}

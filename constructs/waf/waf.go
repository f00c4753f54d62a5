// Package waf defines the AWS WAF web ACL in front of IssueTracker's edges:
// the AWS managed common rule set and known bad inputs, a rate-based rule
// per source IP, and the edge's request body limit (internal/edge), with
// logs that never hold a token. One construct serves both edges: Regional
// for the API stage (Associate), CloudFront for a web distribution (pass
// WebACL.Arn as the distribution's web ACL; the ACL must live in us-east-1).
// A blocked request is answered 403 by the edge it protects (on the API,
// API Gateway's WAF_FILTERED answer, which carries the edge's CORS headers).
package waf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/edge"
)

// Scope is where an ACL applies.
type Scope string

const (
	// Regional ACLs protect API Gateway stages (and ALBs) in their region.
	Regional Scope = "REGIONAL"
	// CloudFront ACLs protect distributions; they exist in us-east-1 only.
	CloudFront Scope = "CLOUDFRONT"
)

// Rule names, as they appear in metrics and logs.
const (
	RuleRateLimit    = "RateLimitPerSourceIP"
	RuleBodySize     = "BodySizeLimit"
	RuleCommon       = "AWSManagedRulesCommonRuleSet"
	RuleKnownBad     = "AWSManagedRulesKnownBadInputsRuleSet"
	managedRuleOwner = "AWS"
)

// DefaultCountOnly are the common rule set's rules that count instead of
// block: SizeRestrictions_BODY refuses bodies over 8 KB, and the BodySizeLimit
// rule enforces the edge's own limit instead; CrossSiteScripting_BODY
// refuses markup, which issue descriptions and comments legitimately quote
// (bug reports) and which the API only ever returns as JSON data that the
// web app renders escaped. Counting keeps them visible in the metrics.
var DefaultCountOnly = []string{"SizeRestrictions_BODY", "CrossSiteScripting_BODY"}

// Props configures a WebACL.
type Props struct {
	// Name of the ACL and prefix of its metrics and log group. Required.
	Name string
	// Scope. Default: Regional.
	Scope Scope
	// RateLimit is the number of requests one source IP may send per
	// RateWindowSeconds before it is blocked for the rest of the window.
	// Default: DefaultRateLimit.
	RateLimit float64
	// RateWindowSeconds: 60, 120, 300 or 600. Default: 300.
	RateWindowSeconds float64
	// MaxBodyBytes refuses larger request bodies; WAF inspects at most 64 KB
	// of a body. Default: edge.MaxBodyBytes.
	MaxBodyBytes int
	// CountOnly names rules of the common rule set that count instead of
	// block. Default: DefaultCountOnly.
	CountOnly []string
	// LogRetention of the ACL's log group. Default: three months.
	LogRetention awslogs.RetentionDays
}

// DefaultRateLimit: 20 requests a second from one address over five
// minutes, above what one person or one tenant's integration sends through
// a shared office address at the tiers' pooled rates, far below a flood.
const DefaultRateLimit = 6000

// WebACL is a web ACL with its rules and logging.
type WebACL struct {
	constructs.Construct
	ACL awswafv2.CfnWebACL
	// Arn is what an association or a CloudFront distribution names.
	Arn   *string
	Logs  awslogs.LogGroup
	Scope Scope
	props Props
}

// New defines a web ACL. It panics on bad props, and on a CloudFront ACL in
// a stack whose region is known and is not us-east-1.
func New(scope constructs.Construct, id string, props *Props) *WebACL {
	if props == nil || props.Name == "" {
		panic(fmt.Sprintf("waf %s: Name is required", id))
	}
	p := withDefaults(*props)
	if p.MaxBodyBytes > 64<<10 {
		panic(fmt.Sprintf("waf %s: MaxBodyBytes %d is more than WAF inspects (64 KB)", id, p.MaxBodyBytes))
	}
	if !slices.Contains([]float64{60, 120, 300, 600}, p.RateWindowSeconds) {
		panic(fmt.Sprintf("waf %s: RateWindowSeconds must be 60, 120, 300 or 600", id))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	if region := awscdk.Stack_Of(c).Region(); p.Scope == CloudFront && !*awscdk.Token_IsUnresolved(region) && *region != "us-east-1" {
		panic(fmt.Sprintf("waf %s: a CloudFront web ACL must be created in us-east-1, this stack is in %s", id, *region))
	}
	w := &WebACL{Construct: c, Scope: p.Scope, props: p}
	w.ACL = awswafv2.NewCfnWebACL(c, jsii.String("ACL"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(p.Name),
		Description:      jsii.String("IssueTracker " + strings.ToLower(string(p.Scope)) + " edge: managed rules, rate per IP, body size"),
		Scope:            jsii.String(string(p.Scope)),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility(p.Name),
		Rules:            w.rules(),
		// Inspect a body up to the limit, so the size rule sees all of it.
		AssociationConfig: &awswafv2.CfnWebACL_AssociationConfigProperty{RequestBody: &map[string]any{
			bodyResource(p.Scope): &awswafv2.CfnWebACL_RequestBodyAssociatedResourceTypeConfigProperty{
				DefaultSizeInspectionLimit: jsii.String(inspectionLimit(p.MaxBodyBytes)),
			},
		}},
	})
	w.Arn = w.ACL.AttrArn()
	w.addLogging()
	return w
}

func withDefaults(p Props) Props {
	if p.Scope == "" {
		p.Scope = Regional
	}
	if p.RateLimit == 0 {
		p.RateLimit = DefaultRateLimit
	}
	if p.RateWindowSeconds == 0 {
		p.RateWindowSeconds = 300
	}
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = edge.MaxBodyBytes
	}
	if p.CountOnly == nil {
		p.CountOnly = DefaultCountOnly
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	return p
}

// NewForCloudFront is New for a web distribution: a CloudFront-scoped ACL
// (the stack must be in us-east-1). Give the distribution WebACL.Arn.
func NewForCloudFront(scope constructs.Construct, id string, props *Props) *WebACL {
	p := Props{}
	if props != nil {
		p = *props
	}
	p.Scope = CloudFront
	return New(scope, id, &p)
}

// Associate puts a Regional ACL in front of resourceArn (an API Gateway
// stage: awsapigateway.Stage.StageArn()).
func (w *WebACL) Associate(id string, resourceArn *string) awswafv2.CfnWebACLAssociation {
	if w.Scope != Regional {
		panic("waf: a CloudFront web ACL is given to the distribution, not associated")
	}
	return awswafv2.NewCfnWebACLAssociation(w.Construct, jsii.String(id), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: resourceArn, WebAclArn: w.Arn,
	})
}

func (w *WebACL) rules() *[]any {
	p := w.props
	block := &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}}
	var counted []any
	for _, r := range p.CountOnly {
		counted = append(counted, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
			Name: jsii.String(r), ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
		})
	}
	managed := func(name string, prio float64, overrides []any) any {
		s := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String(managedRuleOwner), Name: jsii.String(name)}
		if len(overrides) > 0 {
			s.RuleActionOverrides = &overrides
		}
		return &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name), Priority: jsii.Number(prio),
			Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: s},
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			VisibilityConfig: visibility(p.Name + "-" + name),
		}
	}
	return &[]any{
		&awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(RuleRateLimit), Priority: jsii.Number(0), Action: block,
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				AggregateKeyType: jsii.String("IP"), Limit: jsii.Number(p.RateLimit), EvaluationWindowSec: jsii.Number(p.RateWindowSeconds),
			}},
			VisibilityConfig: visibility(p.Name + "-" + RuleRateLimit),
		},
		&awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(RuleBodySize), Priority: jsii.Number(1), Action: block,
			Statement: &awswafv2.CfnWebACL_StatementProperty{SizeConstraintStatement: &awswafv2.CfnWebACL_SizeConstraintStatementProperty{
				// A body beyond what WAF inspects is over the limit too (MATCH).
				FieldToMatch:        &awswafv2.CfnWebACL_FieldToMatchProperty{Body: &awswafv2.CfnWebACL_BodyProperty{OversizeHandling: jsii.String("MATCH")}},
				ComparisonOperator:  jsii.String("GT"),
				Size:                jsii.Number(float64(p.MaxBodyBytes)),
				TextTransformations: &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("NONE")}},
			}},
			VisibilityConfig: visibility(p.Name + "-" + RuleBodySize),
		},
		managed(RuleCommon, 2, counted),
		managed(RuleKnownBad, 3, nil),
	}
}

// addLogging sends the ACL's logs to a log group of its own, with the
// Authorization header redacted: logs never hold a token.
func (w *WebACL) addLogging() {
	// WAF takes only log groups named aws-waf-logs-*.
	name := "aws-waf-logs-" + w.props.Name
	w.Logs = awslogs.NewLogGroup(w.Construct, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(name), Retention: w.props.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The ARN without the ":*" suffix CDK's LogGroupArn has: WAF refuses it.
	arn := awscdk.Stack_Of(w.Construct).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: w.Logs.LogGroupName(),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	cfg := awswafv2.NewCfnLoggingConfiguration(w.Construct, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn:           w.Arn,
		LogDestinationConfigs: &[]any{arn},
		RedactedFields: &[]any{&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{
			SingleHeader: map[string]any{"Name": "authorization"},
		}},
	})
	cfg.Node().AddDependency(w.Logs)
}

func visibility(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String(metric), SampledRequestsEnabled: jsii.Bool(true),
	}
}

func bodyResource(s Scope) string {
	if s == CloudFront {
		return "CLOUDFRONT"
	}
	return "API_GATEWAY"
}

// inspectionLimit is the smallest WAF body inspection size that holds max.
func inspectionLimit(max int) string {
	for _, kb := range []int{16, 32, 48, 64} {
		if max <= kb<<10 {
			return fmt.Sprintf("KB_%d", kb)
		}
	}
	return "KB_64"
}

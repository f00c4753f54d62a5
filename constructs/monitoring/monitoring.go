// Package monitoring defines the alarms, the alert topic and the dashboard
// of IssueTracker. Create one Monitoring per stack, then Watch each function,
// API, table and Platinum tenant: every watched thing gets its alarms and a
// dashboard row, and every alarm notifies the one alert topic.
package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/telemetry"
)

// TenantNamespace, TenantServerErrors and TenantDimension name the EMF
// metric the functions emit per tenant for every 5XX answer; they are the
// runtime's own constants (internal/telemetry), so the alarm cannot watch a
// metric nobody writes.
const (
	TenantNamespace    = telemetry.Namespace
	TenantServerErrors = telemetry.MetricServerErrors
	TenantDimension    = telemetry.DimTenant
)

// Props configures Monitoring.
type Props struct {
	// Prefix of alarm, topic and dashboard names. Default: "issuetracker".
	Prefix string
	// Topic receives every alarm. Default: a new topic <Prefix>-alerts,
	// encrypted with a new customer-managed key CloudWatch may use.
	Topic awssns.ITopic
	// AlarmEmails subscribe to the new topic. Default: none.
	AlarmEmails []string
	// Dashboard creates a CloudWatch dashboard named <Prefix>. Default: true.
	Dashboard *bool
}

// Monitoring holds the alert topic, the alarms and the dashboard.
type Monitoring struct {
	constructs.Construct
	Topic     awssns.ITopic
	Dashboard awscloudwatch.Dashboard // nil when disabled
	Alarms    []awscloudwatch.Alarm
	prefix    string
	action    awscloudwatch.IAlarmAction
}

// TopicName is the alert topic's name for prefix, so tenant stacks can find
// the platform's topic without a cross-stack reference.
func TopicName(prefix string) string { return prefix + "-alerts" }

// ImportTopic returns the alert topic of the platform in scope's account and region.
func ImportTopic(scope constructs.Construct, id, prefix string) awssns.ITopic {
	arn := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:   jsii.String("sns"),
		Resource:  jsii.String(TopicName(prefix)),
		ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME,
	})
	return awssns.Topic_FromTopicArn(scope, jsii.String(id), arn)
}

// New defines the topic (unless given) and the dashboard.
func New(scope constructs.Construct, id string, props *Props) *Monitoring {
	p := Props{}
	if props != nil {
		p = *props
	}
	if p.Prefix == "" {
		p.Prefix = "issuetracker"
	}
	if p.Dashboard == nil {
		p.Dashboard = jsii.Bool(true)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitoring{Construct: c, prefix: p.Prefix, Topic: p.Topic}
	if m.Topic == nil {
		key := awskms.NewKey(c, jsii.String("AlertsKey"), &awskms.KeyProps{
			Description:       jsii.String("Encrypts the " + TopicName(p.Prefix) + " topic"),
			EnableKeyRotation: jsii.Bool(true),
		})
		// CloudWatch publishes alarms to the encrypted topic.
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			Resources:  jsii.Strings("*"),
		}), nil)
		topic := awssns.NewTopic(c, jsii.String("Alerts"), &awssns.TopicProps{
			TopicName:  jsii.String(TopicName(p.Prefix)),
			MasterKey:  key,
			EnforceSSL: jsii.Bool(true),
		})
		for _, e := range p.AlarmEmails {
			topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
		}
		m.Topic = topic
	}
	m.action = awscloudwatchactions.NewSnsAction(m.Topic)
	if *p.Dashboard {
		m.Dashboard = awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
			DashboardName: jsii.String(p.Prefix),
		})
	}
	return m
}

func five() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

func (m *Monitoring) alarm(id, name, desc string, metric awscloudwatch.IMetric, threshold float64, periods float64) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(m.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(m.prefix + "-" + name),
		AlarmDescription:   jsii.String(desc),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(periods),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(m.action)
	a.AddOkAction(m.action)
	m.Alarms = append(m.Alarms, a)
	return a
}

func (m *Monitoring) row(widgets ...awscloudwatch.IWidget) {
	if m.Dashboard != nil {
		m.Dashboard.AddWidgets(widgets...)
	}
}

func graph(title string, left ...awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8)})
}

// WatchFunction alarms on any error, any throttle, and a p99 duration above
// 80% of the function's timeout.
func (m *Monitoring) WatchFunction(name string, fn awslambda.IFunction, timeout awscdk.Duration) {
	opt := &awscloudwatch.MetricOptions{Period: five()}
	errs := fn.MetricErrors(opt)
	thr := fn.MetricThrottles(opt)
	p99 := fn.MetricDuration(&awscloudwatch.MetricOptions{Period: five(), Statistic: jsii.String("p99")})
	m.alarm("Fn-"+name+"-Errors", "fn-"+name+"-errors", fmt.Sprintf("Function %s returned errors", name), errs, 1, 1)
	m.alarm("Fn-"+name+"-Throttles", "fn-"+name+"-throttles", fmt.Sprintf("Function %s was throttled", name), thr, 1, 1)
	m.alarm("Fn-"+name+"-P99", "fn-"+name+"-p99-duration", fmt.Sprintf("Function %s p99 duration near its timeout", name),
		p99, *timeout.ToMilliseconds(nil)*0.8, 3)
	m.row(graph("λ "+name+" invocations / errors", fn.MetricInvocations(opt), errs, thr), graph("λ "+name+" p99 duration (ms)", p99))
}

// WatchAPI alarms on a 5XX rate above 1% and a p99 latency above 2 s.
func (m *Monitoring) WatchAPI(name string, api awsapigateway.RestApi) {
	opt := &awscloudwatch.MetricOptions{Period: five()}
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("100 * errors / MAX([requests, 1])"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"errors": api.MetricServerError(opt), "requests": api.MetricCount(opt)},
		Label:        jsii.String("5XX %"),
		Period:       five(),
	})
	p99 := api.MetricLatency(&awscloudwatch.MetricOptions{Period: five(), Statistic: jsii.String("p99")})
	m.alarm("Api-"+name+"-5xx", "api-"+name+"-5xx-rate", "API "+name+" answers more than 1% 5XX", rate, 1, 2)
	m.alarm("Api-"+name+"-P99", "api-"+name+"-p99-latency", "API "+name+" p99 latency above 2 s", p99, 2000, 3)
	m.row(graph("API requests / 4XX / 5XX", api.MetricCount(opt), api.MetricClientError(opt), api.MetricServerError(opt)),
		graph("API 5XX %", rate), graph("API p99 latency (ms)", p99))
}

// WatchQueue alarms as soon as a (dead-letter) queue holds a message.
func (m *Monitoring) WatchQueue(name string, q awssqs.IQueue, desc string) {
	visible := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five(), Statistic: jsii.String("Maximum")})
	m.alarm("Queue-"+name+"-NotEmpty", "queue-"+name+"-not-empty", desc, visible, 1, 1)
	m.row(graph("queue "+name+" messages", visible))
}

// WatchTable alarms on any throttled request and any system error.
func (m *Monitoring) WatchTable(name string, t awsdynamodb.ITable) {
	opt := &awscloudwatch.MetricOptions{Period: five(), Statistic: jsii.String("Sum")}
	thr := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("r + w"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"r": t.Metric(jsii.String("ReadThrottleEvents"), opt), "w": t.Metric(jsii.String("WriteThrottleEvents"), opt)},
		Label:        jsii.String("throttle events"),
		Period:       five(),
	})
	// The operations the runtime uses (an alarm takes at most 10 metrics).
	sys := t.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{Period: five(),
		Operations: &[]awsdynamodb.Operation{awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_BATCH_GET_ITEM,
			awsdynamodb.Operation_QUERY, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_UPDATE_ITEM,
			awsdynamodb.Operation_DELETE_ITEM, awsdynamodb.Operation_BATCH_WRITE_ITEM,
			awsdynamodb.Operation_TRANSACT_WRITE_ITEMS, awsdynamodb.Operation_TRANSACT_GET_ITEMS}})
	m.alarm("Table-"+name+"-Throttles", "table-"+name+"-throttles", "Table "+name+" throttled requests", thr, 1, 1)
	m.alarm("Table-"+name+"-SystemErrors", "table-"+name+"-system-errors", "Table "+name+" system errors", sys, 1, 1)
	m.row(graph("table "+name+" capacity", t.MetricConsumedReadCapacityUnits(opt), t.MetricConsumedWriteCapacityUnits(opt)),
		graph("table "+name+" throttles / errors", thr, sys))
}

// WatchTiers adds dashboard rows of the functions' own metrics (EMF, package
// telemetry) per tier: requests, 4XX/5XX answers and p99 latency, so the
// provider sees each tier's load against its usage plan.
func (m *Monitoring) WatchTiers(tierNames []string) {
	metric := func(name, tier, stat string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(telemetry.Namespace), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{telemetry.DimTier: jsii.String(tier)},
			Statistic:     jsii.String(stat), Period: five(), Label: jsii.String(tier),
		})
	}
	var reqs, errs5, errs4, p99 []awscloudwatch.IMetric
	for _, t := range tierNames {
		reqs = append(reqs, metric(telemetry.MetricRequests, t, "Sum"))
		errs5 = append(errs5, metric(telemetry.MetricServerErrors, t, "Sum"))
		errs4 = append(errs4, metric(telemetry.MetricClientErrors, t, "Sum"))
		p99 = append(p99, metric(telemetry.MetricLatency, t, "p99"))
	}
	m.row(graph("requests by tier", reqs...), graph("5XX by tier", errs5...), graph("4XX by tier", errs4...))
	m.row(graph("p99 latency by tier (ms)", p99...))
}

// WatchTenantUsage adds per-tenant usage to the dashboard: every tenant's
// requests and 5XX answers from the functions' EMF metrics (a SEARCH
// expression, so tenants created after the deploy appear without one), and
// the top tenants by requests over the dashboard's range from the
// functions' logs (Logs Insights over the EMF lines).
func (m *Monitoring) WatchTenantUsage(logGroups []awslogs.ILogGroup) {
	search := func(metric, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf("SEARCH('{%s,%s} MetricName=\"%s\"', 'Sum', 300)", telemetry.Namespace, telemetry.DimTenant, metric)),
			Label:      jsii.String(label), Period: five(),
		})
	}
	m.row(graph("requests by tenant", search(telemetry.MetricRequests, "requests")), graph("5XX by tenant", search(telemetry.MetricServerErrors, "5XX")))
	if m.Dashboard == nil || len(logGroups) == 0 {
		return
	}
	names := make([]*string, len(logGroups))
	for i, g := range logGroups {
		names[i] = g.LogGroupName()
	}
	m.Dashboard.AddWidgets(awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
		Title:         jsii.String("top tenants by requests"),
		LogGroupNames: &names,
		QueryLines: jsii.Strings("filter ispresent("+telemetry.DimTenant+")",
			"stats sum("+telemetry.MetricRequests+") as requests, sum("+telemetry.MetricServerErrors+") as errors_5xx by "+telemetry.DimTenant+", "+telemetry.DimTier,
			"sort requests desc", "limit 25"),
		Width: jsii.Number(16),
	}))
}

// WatchTenant alarms on a Platinum tenant's 5XX answers, from the EMF
// metric the functions emit per tenant.
func (m *Monitoring) WatchTenant(tenantID string) {
	errs := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(TenantNamespace),
		MetricName:    jsii.String(TenantServerErrors),
		DimensionsMap: &map[string]*string{TenantDimension: jsii.String(tenantID)},
		Statistic:     jsii.String("Sum"),
		Period:        five(),
	})
	// The construct id leaves the tenant out (one tenant per stack), so the
	// alarm's logical id is the same in every tenant stack.
	m.alarm("Tenant-5xx", "tenant-"+tenantID+"-5xx", "Tenant "+tenantID+" got 5XX answers", errs, 5, 1)
	m.row(graph("tenant "+tenantID+" 5XX", errs))
}

// WatchStreamConsumer watches a change-stream consumer: its function (as
// WatchFunction), its failure queue (alarm on the first failed batch, as
// WatchQueue) and its lag: the age of the last record read (IteratorAge,
// maximum) at or above maxAge for two periods.
func (m *Monitoring) WatchStreamConsumer(name string, fn awslambda.IFunction, timeout awscdk.Duration, dlq awssqs.IQueue, maxAge awscdk.Duration) {
	m.WatchFunction(name, fn, timeout)
	m.WatchQueue(name+"-failures", dlq, fmt.Sprintf("Stream consumer %s gave up on a batch of records (retries or record age exhausted): the message names the shard and sequence range; fix the cause, then run the consumer's backfill", name))
	age := fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")})
	m.alarm("Stream-"+name+"-IteratorAge", "stream-"+name+"-iterator-age",
		fmt.Sprintf("Stream consumer %s is more than %.0f s behind its table's changes", name, *maxAge.ToSeconds(nil)),
		age, *maxAge.ToMilliseconds(nil), 2)
	m.row(graph("stream "+name+" iterator age (ms)", age))
}

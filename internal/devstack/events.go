package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// The template mode runs the template's schedules and event source
// mappings (localdeploy.Schedules, EventSourceMappings) with the function
// processes, as EventBridge and Lambda's pollers would: a rule the template
// lacks runs nothing locally, and a rule or mapping runs the function the
// template names, with the event the template gives it.

// SQSPath is where the gateway's address serves the local SQS.
const SQSPath = "/_local/sqs"

// LifecyclePath is where the gateway's address runs tenant lifecycles and
// deploys Platinum tenant stacks for the lifecycle processes
// (localstacks.Handler).
const LifecyclePath = "/_local/lifecycle"

// LocalTimeScale is how much faster than the template's rate the local
// cloud runs a schedule (rate(1 hour) every 10 s), never more often than
// MinLocalPeriod: a developer sees an hourly job's effect within seconds.
const (
	LocalTimeScale = 360
	MinLocalPeriod = 5 * time.Second
)

// localPeriod is how often the local cloud runs a schedule of rate (every,
// when set, for all: tests).
func localPeriod(rate, every time.Duration) time.Duration {
	if every > 0 {
		return every
	}
	return max(rate/LocalTimeScale, MinLocalPeriod)
}

// invoker runs a function with an event: a process (lambdaproc.Function)
// or an in-process stand-in.
type invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

type invokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokeFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// timer is a schedule of the template as the local cloud runs it.
type timer struct {
	localdeploy.Schedule
	Every  time.Duration
	Target invoker
}

// templateTimers are the template's enabled rate schedules with the
// function each invokes (function finds it: nil when the local cloud has
// no such function, an error naming the schedule). A cron schedule (the
// monthly billing close) is not run locally; it is listed in skipped.
func templateTimers(scheds []localdeploy.Schedule, function func(name string) invoker, every time.Duration) (timers []timer, skipped []string, err error) {
	for _, s := range scheds {
		if !s.Enabled {
			skipped = append(skipped, s.LogicalID+" (disabled)")
			continue
		}
		if s.Rate == 0 {
			skipped = append(skipped, fmt.Sprintf("%s (%s: only rate schedules run locally)", s.LogicalID, s.Expression))
			continue
		}
		f := function(s.Function)
		if f == nil {
			return nil, nil, fmt.Errorf("schedule %s targets function %s, which the local cloud does not run", s.LogicalID, s.Function)
		}
		timers = append(timers, timer{Schedule: s, Every: localPeriod(s.Rate, every), Target: f})
	}
	return timers, skipped, nil
}

// run invokes the timer's function with the template's input every period
// until ctx ends; a failure is logged, naming the schedule and function.
func (t timer) run(ctx context.Context, log io.Writer) {
	schedule(ctx, t.Every, fmt.Sprintf("schedule %s (function %s)", t.LogicalID, t.Function), func(time.Time) error {
		_, err := t.Target.Invoke(ctx, []byte(t.Input))
		return err
	})
}

// lifecycleMaintenance is the input of the template's lifecycle
// maintenance rule (an EventBridge event for the onboarding function).
const lifecycleMaintenance = "Lifecycle Maintenance Due"

// lifecycleStandIn stands in for the onboarding function in this process:
// the local platform runs tenant lifecycles in process (its
// onboarding.Service stands in for the onboarding function and the
// provisioning state machine, whose Platinum stacks the platform deploys
// itself: localstacks). It takes the events the template routes to the
// onboarding function that the local cloud produces: the maintenance
// schedule's, and the lifecycle run requests the function processes put
// on the local bus (the rule OnTenantStackOutcome routes them here, so a
// template without that rule runs no lifecycle, as in AWS). The state
// machine's outcome events are not produced locally.
func (s *Stack) lifecycleStandIn() invoker {
	return invokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev struct {
			Source     string              `json:"source"`
			DetailType string              `json:"detail-type"`
			Detail     stackevents.Request `json:"detail"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("the local lifecycle takes EventBridge events, not %s", payload)
		}
		switch {
		case ev.DetailType == lifecycleMaintenance:
			return nil, s.Lifecycle.Maintain(ctx)
		case ev.Source == stackevents.SourceLifecycle && ev.DetailType == stackevents.DetailTypeRunRequested && ev.Detail.TenantID != "":
			return nil, s.Lifecycle.Driver.Start(ctx, ev.Detail.TenantID)
		}
		return nil, fmt.Errorf("the local lifecycle runs the %q and %q events only, not %s", lifecycleMaintenance, stackevents.DetailTypeRunRequested, payload)
	})
}

// processConsumer hands each batch to a function process as the Lambda
// event of a stream mapping; the function's error fails the batch (the
// poller retries it, then records it failed, as the mapping's retries and
// failure destination do).
func processConsumer(f invoker, name string) changes.Consumer {
	return changes.ConsumerFunc(func(ctx context.Context, batch []changes.Change) error {
		ev, err := changes.ToLambda(batch)
		if err != nil {
			return err
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if _, err := f.Invoke(ctx, payload); err != nil {
			return fmt.Errorf("function %s: %w", name, err)
		}
		return nil
	})
}

// checkpointNames keep the checkpoints of the in-process consumers, so a
// switch between modes resumes the stream where the other mode stopped.
var checkpointNames = map[string]string{"stream-analytics": analyticsdb.ConsumerName, "stream-activity": notifydb.ConsumerName}

// mappingPollers are the template's stream mappings as local pollers: each
// reads the mapped table's stream (a Platinum tenant's table is read by
// its own stack's mappings: runTenantStack) with the mapping's filter,
// batch size, retries, record age and bisection, hands batches to
// consumer(m), and sends a batch given up to failures(m), the mapping's
// on-failure destination (nil: recorded in the control table).
func mappingPollers(maps []localdeploy.StreamMapping, physical map[string]string, db *dynamodb.Client, streams *dynamodbstreams.Client,
	names schema.Names, consumer func(m localdeploy.StreamMapping) (changes.Consumer, error),
	failures func(m localdeploy.StreamMapping) streampoller.Destination, log io.Writer) ([]*streampoller.Poller, error) {
	var out []*streampoller.Poller
	for _, m := range maps {
		table := physical[m.Table]
		if table == "" {
			return nil, fmt.Errorf("stream mapping %s: table %s was not deployed locally", m.LogicalID, m.Table)
		}
		c, err := consumer(m)
		if err != nil {
			return nil, fmt.Errorf("stream mapping %s: %w", m.LogicalID, err)
		}
		name := checkpointNames[m.Function]
		if name == "" {
			name = m.Function
		}
		p := &streampoller.Poller{Name: name, DB: db, Streams: streams, Consumer: c, Filter: m.Filter,
			Tables:    func(context.Context) ([]string, error) { return []string{table}, nil },
			BatchSize: int32(m.BatchSize), MaxRecordAge: m.MaxRecordAge, Bisect: m.Bisect, Parallel: m.ParallelizationFactor,
			FunctionARN: "arn:aws:lambda:" + lambdaproc.Region + ":000000000000:function:" + m.Function,
			Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()},
			Log:         slog.New(slog.NewTextHandler(logOr(log), nil))}
		// MaximumRetryAttempts -1 (the template's default) is no limit: the
		// batch is retried until its records are too old.
		p.MaxAttempts = -1
		if m.MaxRetries >= 0 {
			p.MaxAttempts = m.MaxRetries + 1
		}
		if failures != nil {
			p.OnFailure = failures(m)
		}
		out = append(out, p)
	}
	return out, nil
}

// tablesWith lists table and the tables of the tenants with their own
// (Platinum), for the in-process consumers (ChangeConsumers).
func tablesWith(db *dynamodb.Client, names schema.Names, table string) func(context.Context) ([]string, error) {
	reg := tenantdb.New(db, names)
	return func(ctx context.Context) ([]string, error) {
		out := []string{table}
		all, err := tenant.All(ctx, reg)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			if t.Table != "" && t.Status != tenant.StatusDeleted && !slices.Contains(out, t.Table) {
				out = append(out, t.Table)
			}
		}
		return out, nil
	}
}

// describeEvents is the log line of what the template's events run.
func describeEvents(timers []timer, skipped []string, maps []localdeploy.StreamMapping, queues []localdeploy.QueueMapping, failureQueue func(localdeploy.StreamMapping) string) string {
	var b strings.Builder
	for _, t := range timers {
		fmt.Fprintf(&b, "events | schedule %s %s -> %s every %s locally\n", t.LogicalID, t.Expression, t.Function, t.Every)
	}
	for _, s := range skipped {
		fmt.Fprintf(&b, "events | schedule %s not run locally\n", s)
	}
	for _, m := range maps {
		b.WriteString(describeMapping(m, m.Function, failureQueue))
	}
	for _, q := range queues {
		fmt.Fprintf(&b, "events | queue mapping %s: queue %s (%s) -> %s (%d at once)\n", q.LogicalID, q.Queue, q.QueueName, q.Function, queueWorkers(q))
	}
	return b.String()
}

// describeMapping is the log line of a stream mapping run by function fn,
// its failures sent to the local queue failureQueue(m) names.
func describeMapping(m localdeploy.StreamMapping, fn string, failureQueue func(localdeploy.StreamMapping) string) string {
	var b strings.Builder
	retries := "unlimited"
	if m.MaxRetries >= 0 {
		retries = strconv.Itoa(m.MaxRetries)
	}
	age := "unlimited"
	if m.MaxRecordAge > 0 {
		age = m.MaxRecordAge.String()
	}
	fmt.Fprintf(&b, "events | stream mapping %s: table %s -> %s (batch %d, retries %s, max record age %s, bisect %t", m.LogicalID, m.Table, fn, m.BatchSize, retries, age, m.Bisect)
	if q := failureQueue(m); q != "" {
		fmt.Fprintf(&b, ", failures -> local queue %s", q)
	} else {
		b.WriteString(", failures recorded in the control table (no OnFailure)")
	}
	if m.ParallelizationFactor > 1 {
		fmt.Fprintf(&b, ", up to %d batches per shard at once, each key in order", m.ParallelizationFactor)
	}
	b.WriteString(")\n")
	return b.String()
}

// runTemplateEvents starts the template's schedules, stream mappings and
// queue mapping on the function processes. The processes send to the
// mapped queue through the local SQS (SQSPath; the queue is the
// platform's MemQueue). The onboarding function's maintenance runs in
// this process (lifecycleStandIn).
func (s *Stack) runTemplateEvents(cfg Config, applied localdeploy.Result, deps app.Deps, awsCfg aws.Config, e awsx.Endpoints) error {
	scheds, err := s.template.Schedules()
	if err != nil {
		return err
	}
	maps, queues, err := s.template.EventSourceMappings()
	if err != nil {
		return err
	}
	timers, skipped, err := templateTimers(scheds, s.function, cfg.ScheduleEvery)
	if err != nil {
		return err
	}
	phys := map[string]string{}
	for _, r := range applied.Applied {
		phys[r.LogicalID] = r.PhysicalID
	}
	s.streams = awsconfig.Streams(awsCfg, e)
	failures := s.failureQueues(s.template, "")
	pollers, err := mappingPollers(maps, phys, deps.ControlDB, s.streams, deps.Names, func(m localdeploy.StreamMapping) (changes.Consumer, error) {
		f := s.function(m.Function)
		if f == nil {
			return nil, fmt.Errorf("the template maps it to function %s, which the local cloud does not run", m.Function)
		}
		return processConsumer(f, m.Function), nil
	}, failures.destination, cfg.Log)
	if err != nil {
		return err
	}
	rules, err := s.template.EventRules()
	if err != nil {
		return err
	}
	routes, notRouted, err := templateBus(rules, s.function, localdeploy.PrefixRename(deps.Names.Prefix))
	if err != nil {
		return err
	}
	s.events = &bus{routes: routes, ctx: s.bgCtx, log: s.Functions.Log(), backoff: time.Second}
	fmt.Fprint(s.Functions.Log(), describeEvents(timers, skipped, maps, queues, failures.name)+describeBus(routes, notRouted))
	for _, t := range timers {
		go t.run(s.bgCtx, cfg.Log)
	}
	s.addConsumers(pollers)
	s.registerRedrive(maps, pollers, failures)
	for _, p := range pollers {
		s.polling.Add(1)
		go func() {
			defer s.polling.Done()
			_ = p.Run(s.pollCtx)
		}()
	}
	s.queues = map[string]localcloud.SQSSender{}
	for _, q := range queues {
		f := s.function(q.Function)
		if f == nil {
			return fmt.Errorf("queue mapping %s: the template maps it to function %s, which the local cloud does not run", q.LogicalID, q.Function)
		}
		if len(s.queues) > 0 { // one MemQueue
			return fmt.Errorf("queue mapping %s: the local cloud runs one queue (the webhook queue), the template maps several", q.LogicalID)
		}
		// The queue's messages are webhook tasks: the local queue is the
		// platform's MemQueue (visibility, redrive after MaxReceives).
		send := func(body string, delay time.Duration) error {
			var t webhook.Task
			if err := json.Unmarshal([]byte(body), &t); err != nil {
				return fmt.Errorf("queue %s takes webhook tasks: %w", q.Queue, err)
			}
			return s.Webhooks.Send(context.Background(), t, delay)
		}
		// By its name (a URL the template builds) and by its logical id
		// (the local stand-in of a {"Ref": queue}).
		s.queues[q.QueueName], s.queues[q.Queue] = send, send
		s.polling.Add(1)
		go func() {
			defer s.polling.Done()
			s.Webhooks.Run(s.pollCtx, queueWorkers(q), sqsInvoker(f, q))
		}()
	}
	return nil
}

// queueWorkers is how many messages of q the local cloud hands to its
// function at once: the mapping's MaximumConcurrency, else the platform's
// default.
func queueWorkers(q localdeploy.QueueMapping) int {
	if q.MaxConcurrency > 0 {
		return q.MaxConcurrency
	}
	return app.LocalWebhookWorkers
}

// sqsInvoker hands one queued message to the mapped function as an SQS
// event (ReportBatchItemFailures: a reported failure is received again
// after the visibility timeout, as the function's own error is).
func sqsInvoker(f invoker, q localdeploy.QueueMapping) func(context.Context, webhook.Task) error {
	return func(ctx context.Context, t webhook.Task) error {
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		id := t.DeliveryID + "-" + strconv.Itoa(t.Attempt)
		ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: id, ReceiptHandle: id, Body: string(body),
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:000000000000:" + q.Queue, AWSRegion: "us-east-1"}}}
		payload, _ := json.Marshal(ev)
		out, err := f.Invoke(ctx, payload)
		if err != nil {
			return fmt.Errorf("function %s: %w", q.Function, err)
		}
		// Without ReportBatchItemFailures in the mapping, Lambda ignores a
		// reported failure (the message counts as handled).
		var res events.SQSEventResponse
		if err := json.Unmarshal(out, &res); err == nil && q.ReportBatchItemFailures && len(res.BatchItemFailures) > 0 {
			return fmt.Errorf("function %s reported the message failed", q.Function)
		}
		return nil
	}
}

// function is what runs the template's function name: its process, or
// the in-process stand-in of the onboarding function.
func (s *Stack) function(name string) invoker {
	if name == "onboarding" {
		return s.lifecycleStandIn()
	}
	if f := s.Functions.Function(name); f != nil {
		return f
	}
	return nil
}

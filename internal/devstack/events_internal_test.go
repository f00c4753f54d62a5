package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// recorder stands in for the function processes: it records which
// function got which event.
type recorder struct {
	mu  sync.Mutex
	got map[string][]string
}

func (r *recorder) function(name string) invoker {
	return invokeFunc(func(_ context.Context, payload []byte) ([]byte, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.got == nil {
			r.got = map[string][]string{}
		}
		r.got[name] = append(r.got[name], string(payload))
		return nil, nil
	})
}

func (r *recorder) calls() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for k, v := range r.got {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// runTimers runs the timers of tmpl against a recorder until each has
// fired once (not for a fixed 150 ms, which a loaded machine can pass
// before a 20 ms ticker's goroutine first runs).
func runTimers(t *testing.T, tmpl *localdeploy.Template) map[string][]string {
	t.Helper()
	scheds, err := tmpl.Schedules()
	require.NoError(t, err)
	rec := &recorder{}
	timers, _, err := templateTimers(scheds, rec.function, 20*time.Millisecond)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var fired sync.WaitGroup
	for _, tm := range timers {
		fired.Add(1)
		target, once := tm.Target, sync.Once{}
		tm.Target = invokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			defer once.Do(fired.Done)
			return target.Invoke(ctx, payload)
		})
		wg.Add(1)
		go func() { defer wg.Done(); tm.run(ctx, nil) }()
	}
	all := make(chan struct{})
	go func() { fired.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(eventually.Deadline):
		t.Errorf("not every timer fired within %s", eventually.Deadline)
	}
	cancel()
	wg.Wait()
	return rec.calls()
}

func platformTemplateForEvents(t *testing.T) *localdeploy.Template {
	tmpl, err := localdeploy.ReadTemplate(filepath.Join("..", "..", PlatformTemplate))
	require.NoError(t, err)
	return tmpl
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The local cloud runs the jobs the template schedules, no more: each with
// the function and the event the template names.
func TestTheTemplatesSchedulesAreWhatRunsLocally(t *testing.T) {
	got := runTimers(t, platformTemplateForEvents(t))
	assert.Equal(t, []string{"attachments", "billing", "issues", "onboarding", "stream-activity"}, keys(got))
	assert.Contains(t, got["billing"], `{"job":"hourly"}`)
	assert.NotContains(t, got["billing"], `{"job":"monthly_close"}`, "a cron schedule is not run locally")
	assert.Contains(t, got["issues"], `{"job":"maintain-tracker"}`)

	t.Run("a rule removed from the template: its job no longer runs", func(t *testing.T) {
		tmpl := platformTemplateForEvents(t)
		delete(tmpl.Resources, "UploadSweepScheduleFDD09EF0")
		got := runTimers(t, tmpl)
		assert.NotContains(t, keys(got), "attachments")
		assert.Contains(t, keys(got), "billing")
	})
	t.Run("a rule pointing at another function: that function gets the job", func(t *testing.T) {
		tmpl := platformTemplateForEvents(t)
		tg := tmpl.Resources["TrackerMaintenanceE3D77FDC"].Properties["Targets"].([]any)[0].(map[string]any)
		tg["Arn"] = map[string]any{"Fn::GetAtt": []any{"FnteamsFunction3836F51B", "Arn"}}
		got := runTimers(t, tmpl)
		assert.NotContains(t, keys(got), "issues")
		assert.Contains(t, got["teams"], `{"job":"maintain-tracker"}`)
	})
	t.Run("a schedule to a function the local cloud does not run stops the platform", func(t *testing.T) {
		scheds, err := platformTemplateForEvents(t).Schedules()
		require.NoError(t, err)
		_, _, err = templateTimers(scheds, func(string) invoker { return nil }, time.Second)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "which the local cloud does not run")
	})
}

func TestLocalPeriod(t *testing.T) {
	assert.Equal(t, 10*time.Second, localPeriod(time.Hour, 0))
	assert.Equal(t, MinLocalPeriod, localPeriod(time.Minute, 0))
	assert.Equal(t, time.Second, localPeriod(time.Hour, time.Second))
}

// A stream mapping runs the function the template names, with the
// template's filter; a mapping removed from the template reads nothing.
func TestTheTemplatesStreamMappingsAreWhatReadsLocally(t *testing.T) {
	pollers := func(tmpl *localdeploy.Template) map[string]changes.Filter {
		maps, _, err := tmpl.EventSourceMappings()
		require.NoError(t, err)
		out := map[string]changes.Filter{}
		ps, err := mappingPollers(maps, map[string]string{"PooledTableC7FA9781": "local-app"}, nil, nil, schema.Names{Prefix: "x"},
			func(m localdeploy.StreamMapping) (changes.Consumer, error) {
				out[m.Function] = m.Filter
				return changes.ConsumerFunc(func(context.Context, []changes.Change) error { return nil }), nil
			}, nil, nil)
		require.NoError(t, err)
		assert.Len(t, ps, len(out))
		return out
	}
	got := pollers(platformTemplateForEvents(t))
	assert.Equal(t, []string{"stream-activity", "stream-analytics"}, keysOf(got))
	assert.Equal(t, analyticsdb.Filter, got["stream-analytics"])

	tmpl := platformTemplateForEvents(t)
	tmpl.Resources["StreamAnalyticsStreamMapping"].Properties["FunctionName"] = map[string]any{"Ref": "FnteamsFunction3836F51B"}
	delete(tmpl.Resources, "StreamActivityStreamMapping")
	assert.Equal(t, []string{"teams"}, keysOf(pollers(tmpl)))

	// The mapping's ParallelizationFactor is the poller's.
	tmpl = platformTemplateForEvents(t)
	tmpl.Resources["StreamAnalyticsStreamMapping"].Properties["ParallelizationFactor"] = 4.0
	maps, _, err := tmpl.EventSourceMappings()
	require.NoError(t, err)
	ps, err := mappingPollers(maps, map[string]string{"PooledTableC7FA9781": "local-app"}, nil, nil, schema.Names{Prefix: "x"},
		func(localdeploy.StreamMapping) (changes.Consumer, error) {
			return changes.ConsumerFunc(func(context.Context, []changes.Change) error { return nil }), nil
		}, nil, nil)
	require.NoError(t, err)
	for i, m := range maps {
		want := map[bool]int{true: 4, false: 1}[m.Function == "stream-analytics"]
		assert.Equal(t, want, ps[i].Parallel, m.LogicalID)
		if want > 1 {
			assert.Contains(t, describeMapping(m, m.Function, func(localdeploy.StreamMapping) string { return "" }), "up to 4 batches per shard at once, each key in order")
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// routeEvent puts an entry on the local bus of tmpl's event rules (routed
// to a recorder) and delivers what the matching rules route, as put does
// in the background.
func routeEvent(t *testing.T, tmpl *localdeploy.Template, e localcloud.Event) map[string][]string {
	t.Helper()
	rules, err := tmpl.EventRules()
	require.NoError(t, err)
	rec := &recorder{}
	routes, _, err := templateBus(rules, rec.function, localdeploy.PrefixRename("it"))
	require.NoError(t, err)
	b := &bus{routes: routes}
	_, ds, err := b.dispatch(e)
	require.NoError(t, err)
	for _, d := range ds {
		b.deliver(d.busRoute, d.payload)
	}
	return rec.calls()
}

func runRequest(tenantID string) localcloud.Event {
	return localcloud.Event{Bus: "issuetracker", Source: stackevents.SourceLifecycle, DetailType: stackevents.DetailTypeRunRequested,
		Detail: `{"tenantId":"` + tenantID + `"}`, Time: time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)}
}

// What a function process puts on the local bus reaches the function the
// template's rule names, with the event EventBridge would deliver; a rule
// removed from the template no longer fires, one pointing at another
// function runs that one, and an event put on another bus matches nothing.
func TestTheTemplatesEventRulesAreWhatRoutesLocally(t *testing.T) {
	got := routeEvent(t, platformTemplateForEvents(t), runRequest("acme"))
	require.Equal(t, []string{"onboarding"}, keys(got))
	require.Len(t, got["onboarding"], 1)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(got["onboarding"][0]), &ev))
	assert.Equal(t, stackevents.SourceLifecycle, ev["source"])
	assert.Equal(t, stackevents.DetailTypeRunRequested, ev["detail-type"])
	assert.Equal(t, map[string]any{"tenantId": "acme"}, ev["detail"])
	assert.Equal(t, "2026-12-01T07:00:00Z", ev["time"])
	assert.NotEmpty(t, ev["id"])

	t.Run("a rule removed from the template: the event goes nowhere", func(t *testing.T) {
		tmpl := platformTemplateForEvents(t)
		delete(tmpl.Resources, "ProvisioningOnTenantStackOutcome3CAE3CAD")
		assert.Empty(t, routeEvent(t, tmpl, runRequest("acme")))
	})
	t.Run("a rule pointing at another function: that function gets the event", func(t *testing.T) {
		tmpl := platformTemplateForEvents(t)
		tg := tmpl.Resources["ProvisioningOnTenantStackOutcome3CAE3CAD"].Properties["Targets"].([]any)[0].(map[string]any)
		tg["Arn"] = map[string]any{"Fn::GetAtt": []any{"FnteamsFunction3836F51B", "Arn"}}
		assert.Equal(t, []string{"teams"}, keys(routeEvent(t, tmpl, runRequest("acme"))))
	})
	t.Run("a rule with an input transformer: the target gets the template filled", func(t *testing.T) {
		tmpl := platformTemplateForEvents(t)
		tg := tmpl.Resources["ProvisioningOnTenantStackOutcome3CAE3CAD"].Properties["Targets"].([]any)[0].(map[string]any)
		tg["InputTransformer"] = map[string]any{"InputPathsMap": map[string]any{"t": "$.detail.tenantId"},
			"InputTemplate": `{"tenant":<t>,"why":"run <t>"}`}
		got := routeEvent(t, tmpl, runRequest("acme"))
		assert.Equal(t, []string{`{"tenant":"acme","why":"run acme"}`}, got["onboarding"])
	})
	t.Run("an event of another source, or on another bus, matches no rule", func(t *testing.T) {
		other := runRequest("acme")
		other.Source = "someone.else"
		assert.Empty(t, routeEvent(t, platformTemplateForEvents(t), other))
		other = runRequest("acme")
		other.Bus = "default"
		assert.Empty(t, routeEvent(t, platformTemplateForEvents(t), other))
	})
	t.Run("the state machine's rules are listed, not run", func(t *testing.T) {
		rules, err := platformTemplateForEvents(t).EventRules()
		require.NoError(t, err)
		_, skipped, err := templateBus(rules, (&recorder{}).function, func(s string) string { return s })
		require.NoError(t, err)
		assert.Len(t, skipped, 2)
		for _, s := range skipped {
			assert.Contains(t, s, "AWS::StepFunctions::StateMachine")
		}
	})
	t.Run("a rule to a function the local cloud does not run stops the platform", func(t *testing.T) {
		rules, err := platformTemplateForEvents(t).EventRules()
		require.NoError(t, err)
		_, _, err = templateBus(rules, func(string) invoker { return nil }, func(s string) string { return s })
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ProvisioningOnTenantStackOutcome3CAE3CAD")
	})
}

// A target that fails is invoked again, up to its retry policy (at most
// busMaxAttempts times locally).
func TestABusTargetThatFailsIsRetriedUpToItsPolicy(t *testing.T) {
	calls := 0
	failing := invokeFunc(func(context.Context, []byte) ([]byte, error) { calls++; return nil, errors.New("boom") })
	b := &bus{backoff: time.Millisecond}
	b.deliver(busRoute{Target: localdeploy.RuleTarget{Function: "onboarding", MaxRetries: 8}, To: failing}, []byte(`{}`))
	assert.Equal(t, busMaxAttempts, calls)
	calls = 0
	b.deliver(busRoute{Target: localdeploy.RuleTarget{Function: "onboarding", MaxRetries: 0}, To: failing}, []byte(`{}`))
	assert.Equal(t, 1, calls, "no retries: one attempt")
}

// The queue mapping's settings as the local cloud applies them: a reported
// item failure fails the message only when the mapping reports them
// (FunctionResponseTypes), and the mapping's MaximumConcurrency is how
// many messages run at once.
func TestTheTemplatesQueueMappingSettingsApplyLocally(t *testing.T) {
	_, queues, err := platformTemplateForEvents(t).EventSourceMappings()
	require.NoError(t, err)
	require.Len(t, queues, 1)
	q := queues[0]
	assert.Equal(t, 20, queueWorkers(q))
	reports := invokeFunc(func(context.Context, []byte) ([]byte, error) {
		return []byte(`{"batchItemFailures":[{"itemIdentifier":"d1-1"}]}`), nil
	})
	task := webhook.Task{DeliveryID: "d1", Attempt: 1}
	assert.Error(t, sqsInvoker(reports, q)(context.Background(), task), "the template reports item failures")

	q.ReportBatchItemFailures, q.MaxConcurrency = false, 0
	assert.NoError(t, sqsInvoker(reports, q)(context.Background(), task), "without ReportBatchItemFailures Lambda ignores the report")
	assert.Equal(t, app.LocalWebhookWorkers, queueWorkers(q))
}

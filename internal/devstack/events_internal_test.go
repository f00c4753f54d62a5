package devstack

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/schema"
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

// runTimers runs the timers of tmpl for a while against a recorder.
func runTimers(t *testing.T, tmpl *localdeploy.Template) map[string][]string {
	t.Helper()
	scheds, err := tmpl.Schedules()
	require.NoError(t, err)
	rec := &recorder{}
	timers, _, err := templateTimers(scheds, rec.function, 20*time.Millisecond)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, tm := range timers {
		wg.Add(1)
		go func() { defer wg.Done(); tm.run(ctx, nil) }()
	}
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
			}, nil)
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
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

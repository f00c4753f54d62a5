package localdeploy_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
)

// The platform template's timers, as the local cloud reads them: each
// names the function it invokes and the event it gives it.
func TestTheTemplatesSchedulesNameTheirFunctionAndEvent(t *testing.T) {
	got, err := platformTemplate(t).Schedules()
	require.NoError(t, err)
	byID := map[string]localdeploy.Schedule{}
	for _, s := range got {
		byID[s.LogicalID] = s
		assert.True(t, s.Enabled, s.LogicalID)
	}
	type want struct {
		fn, input string
		rate      time.Duration
	}
	for id, w := range map[string]want{
		"BillingBillingHourly6A778D2D":             {"billing", `{"job":"hourly"}`, time.Hour},
		"BillingBillingMonthlyClose6C22E455":       {"billing", `{"job":"monthly_close"}`, 0},
		"NotificationMailScheduleB30FC992":         {"stream-activity", `{"job":"send-notification-mail"}`, time.Minute},
		"TrackerMaintenanceE3D77FDC":               {"issues", `{"job":"maintain-tracker"}`, time.Minute},
		"UploadSweepScheduleFDD09EF0":              {"attachments", `{"job":"sweep-uploads"}`, 15 * time.Minute},
		"ProvisioningLifecycleMaintenanceFF31F01D": {"onboarding", `{"detail":{},"detail-type":"Lifecycle Maintenance Due","source":"issuetracker.lifecycle"}`, 5 * time.Minute},
	} {
		s, ok := byID[id]
		if !assert.True(t, ok, "%s is not read as a schedule", id) {
			continue
		}
		assert.Equal(t, w.fn, s.Function, id)
		assert.JSONEq(t, w.input, s.Input, id)
		assert.Equal(t, w.rate, s.Rate, id)
	}
	// The rules that start the state machine on the bus's events are no timers.
	assert.Len(t, got, 6)
}

func TestTheTemplatesEventSourceMappings(t *testing.T) {
	streams, queues, err := platformTemplate(t).EventSourceMappings()
	require.NoError(t, err)
	byFn := map[string]localdeploy.StreamMapping{}
	for _, m := range streams {
		byFn[m.Function] = m
		assert.Equal(t, "PooledTableC7FA9781", m.Table)
		assert.Equal(t, 100, m.BatchSize)
		// The mapping's failure handling and scaling, as the template sets them.
		assert.Equal(t, 8, m.MaxRetries)
		assert.Equal(t, 6*time.Hour, m.MaxRecordAge, "MaximumRecordAgeInSeconds 21600")
		assert.True(t, m.Bisect, m.LogicalID)
		assert.Equal(t, 1, m.ParallelizationFactor)
		assert.NotEmpty(t, m.OnFailure, m.LogicalID)
		assert.Equal(t, "AWS::SQS::Queue", m.OnFailureType)
	}
	require.Len(t, byFn, 2)
	// The filters read back are the consumers' own (changes.Filter is the
	// source the CDK app renders them from).
	assert.Equal(t, analyticsdb.Filter, byFn["stream-analytics"].Filter)
	assert.Equal(t, notifydb.Filter, byFn["stream-activity"].Filter)
	require.Len(t, queues, 1)
	assert.Equal(t, "webhook-delivery", queues[0].Function)
	assert.Equal(t, "WebhookQueueA9D318EA", queues[0].Queue)
	assert.Equal(t, "issuetracker-webhooks", queues[0].QueueName)
	assert.Equal(t, 20, queues[0].MaxConcurrency)
	assert.True(t, queues[0].ReportBatchItemFailures)

	tenant, err := localdeploy.ReadTemplate(filepath.Join("..", "..", "infra", "templates", "IssueTracker-Tenant-acme.json"))
	require.NoError(t, err)
	ts, _, err := tenant.EventSourceMappings()
	require.NoError(t, err)
	assert.Len(t, ts, 2, "a Platinum stack maps its own table's stream")
}

func TestParseRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(1 hour)": time.Hour, "rate(2 days)": 48 * time.Hour} {
		got, err := localdeploy.ParseRate(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	_, err := localdeploy.ParseRate("cron(5 0 1 * ? *)")
	assert.Error(t, err)
}

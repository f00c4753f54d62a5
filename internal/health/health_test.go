package health_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsLogSummarisesEachFunction(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "metrics.log")
	f, err := os.Create(path)
	require.NoError(t, err)
	write := func(fn string, status int, ms int, ago time.Duration) {
		b, err := telemetry.EMF(telemetry.Record{Time: now.Add(-ago), Function: fn, Route: "GET /x", Status: status, Latency: time.Duration(ms) * time.Millisecond})
		require.NoError(t, err)
		_, err = f.Write(append(b, '\n'))
		require.NoError(t, err)
	}
	// issues: 100 answers in the window, latencies 1..100 ms, 2 of them 5xx, 3 throttled.
	for i := 1; i <= 100; i++ {
		status := 200
		switch {
		case i <= 2:
			status = 500
		case i <= 5:
			status = 429
		}
		write("issues", status, i, time.Minute)
	}
	// meta: healthy; and an old burst of errors outside the window.
	write("meta", 200, 3, time.Minute)
	for range 10 {
		write("meta", 500, 3, time.Hour)
	}
	require.NoError(t, f.Close())

	rep, err := health.MetricsLog{Path: path, Now: func() time.Time { return now }}.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "local-metrics", rep.Source)
	require.Len(t, rep.Functions, 2)
	is, meta := rep.Functions[0], rep.Functions[1]
	assert.Equal(t, "issues", is.Function)
	assert.Equal(t, 100, is.Requests)
	assert.Equal(t, 2, is.ServerErrors)
	assert.Equal(t, 3, is.Throttled)
	assert.InDelta(t, 0.02, is.ErrorRate, 1e-9)
	assert.InDelta(t, 95, is.P95MS, 1e-9)
	assert.Equal(t, health.StateAlarm, is.State, "2% 5xx is above the 1% alarm")
	assert.Equal(t, 1, meta.Requests, "lines older than the window are left out")
	assert.Equal(t, health.StateOK, meta.State)
	assert.Equal(t, health.StateAlarm, rep.State)
}

func TestMetricsLogWithoutAFileIsUnknownNotAnError(t *testing.T) {
	rep, err := health.MetricsLog{Path: filepath.Join(t.TempDir(), "none.log")}.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, health.StateUnknown, rep.State)
	assert.Empty(t, rep.Functions)
}

func TestMetricsLogReadsOnlyTheEndOfALargeFile(t *testing.T) {
	now := time.Now()
	path := filepath.Join(t.TempDir(), "metrics.log")
	var all []byte
	for i := 0; i < 2000; i++ {
		b, _ := telemetry.EMF(telemetry.Record{Time: now, Function: "issues", Status: 200, Latency: time.Millisecond})
		all = append(append(all, b...), '\n')
	}
	require.NoError(t, os.WriteFile(path, all, 0o644))
	rep, err := health.MetricsLog{Path: path, MaxBytes: int64(len(all) / 4)}.Health(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Functions, 1)
	assert.InDelta(t, 500, rep.Functions[0].Requests, 2, "a quarter of the lines; a cut first line is skipped")
}

func TestPercentile(t *testing.T) {
	assert.Equal(t, 0.0, health.Percentile(nil, 0.95))
	assert.Equal(t, 7.0, health.Percentile([]float64{7}, 0.95))
	assert.Equal(t, 10.0, health.Percentile([]float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.95))
}

// The local platform buffers its metrics log: the summary flushes it first,
// so requests answered a moment ago are counted.
func TestMetricsLogFlushesTheBufferedLinesBeforeReading(t *testing.T) {
	now := time.Now()
	path := filepath.Join(t.TempDir(), "metrics.log")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	sink := telemetry.NewBufferedSink(f, 64<<10, time.Hour)
	defer sink.Close()
	for range 3 {
		require.NoError(t, sink.Emit(telemetry.Record{Time: now, Function: "issues", Route: "GET /x", Status: 200, Latency: time.Millisecond}))
	}
	rep, err := health.MetricsLog{Path: path, Flush: sink.Flush}.Health(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Functions, 1)
	assert.Equal(t, 3, rep.Functions[0].Requests)
}

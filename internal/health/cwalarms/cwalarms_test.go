package cwalarms_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/health/cwalarms"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// templateAlarms are the alarm names of the synthesized platform (its
// nested Observability stack), as CloudFormation will create them. The
// path is the package folder's (go test's working directory), not one from
// runtime.Caller: built with -trimpath (the Makefile's GOFLAGS) that names
// the module path, not a folder.
func templateAlarms(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "infra", "templates", "IssueTracker-Platform.Observability.json"))
	require.NoError(t, err)
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct{ AlarmName string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &tpl))
	var names []string
	for _, r := range tpl.Resources {
		if r.Type == "AWS::CloudWatch::Alarm" {
			names = append(names, r.Properties.AlarmName)
		}
	}
	require.NotEmpty(t, names)
	return names
}

// fake answers DescribeAlarms from a list of alarms, a page of 10 at a
// time, filtering by prefix as CloudWatch does.
type fake struct {
	alarms []cwalarms.Alarm
	calls  []string // the tokens asked for
}

func (f *fake) DescribeAlarms(_ context.Context, prefix, token string) (cwalarms.Page, error) {
	f.calls = append(f.calls, token)
	var match []cwalarms.Alarm
	for _, a := range f.alarms {
		if strings.HasPrefix(a.AlarmName, prefix) {
			match = append(match, a)
		}
	}
	start := len(token)
	end := min(start+10, len(match))
	out := cwalarms.Page{MetricAlarms: match[start:end]}
	if end < len(match) {
		out.NextToken = strings.Repeat("x", end)
	}
	return out, nil
}

func TestHealthReadsEveryAlarmOfTheDeployment(t *testing.T) {
	names := templateAlarms(t)
	f := &fake{}
	for _, n := range names {
		st := "OK"
		if strings.HasSuffix(n, "fn-issues-errors") {
			st = "ALARM"
		}
		f.alarms = append(f.alarms, cwalarms.Alarm{AlarmName: n, StateValue: st, StateReason: "threshold", MetricName: "Errors"})
	}
	f.alarms = append(f.alarms, cwalarms.Alarm{AlarmName: "other-app-cpu", StateValue: "ALARM"})

	// The prefix the app passes: the deployment's table prefix and a dash
	// (constructs/monitoring names alarms "<prefix>-<name>").
	src := cwalarms.Source{API: f, Prefix: schema.DefaultPrefix + "-"}
	rep, err := src.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "cloudwatch", rep.Source)
	assert.Len(t, rep.Alarms, len(names), "every alarm of the template, none of another application")
	assert.Equal(t, health.StateAlarm, rep.State)
	assert.Equal(t, schema.DefaultPrefix+"-fn-issues-errors", rep.Alarms[0].Name, "alarming first")
	assert.Equal(t, health.StateOK, rep.Alarms[1].State)
	assert.Greater(t, len(f.calls), 1, "pages through NextToken")

	for i := range f.alarms {
		f.alarms[i].StateValue = "OK"
	}
	f.alarms[0].StateValue = "INSUFFICIENT_DATA"
	rep, err = src.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, health.StateUnknown, rep.State, "an alarm without data, none alarming")
}

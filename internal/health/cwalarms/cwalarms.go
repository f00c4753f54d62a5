// Package cwalarms reads the platform's health from CloudWatch: the state
// of every alarm the deployment created (their names start with the
// deployment's prefix; constructs/monitoring names them).
//
// CloudWatch is called with one hand-signed DescribeAlarms (Signed: the
// Smithy RPC v2 CBOR protocol the SDK's client speaks, the SDK's SigV4
// signer, smithy-go's CBOR encoder) instead of
// aws-sdk-go-v2/service/cloudwatch, which was ~250 KB of the tenants
// function for this one call (issue 19, docs/performance.md); a test
// checks the request against the SDK client's and the answer through both.
package cwalarms

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/issuetracker/issuetracker/internal/health"
)

// API is the DescribeAlarms call this package makes (Signed; a fake in
// tests): one page of the metric and composite alarms whose name starts
// with prefix, from token ("" for the first page).
type API interface {
	DescribeAlarms(ctx context.Context, prefix, token string) (Page, error)
}

// Page is a page of DescribeAlarms' answer.
type Page struct {
	MetricAlarms, CompositeAlarms []Alarm
	NextToken                     string
}

// Alarm is an alarm of a page (the fields used; MetricName is a metric
// alarm's).
type Alarm struct {
	AlarmName, StateValue, StateReason, MetricName string
	StateUpdatedTimestamp                          time.Time
}

// MaxPages bounds the read (100 alarms a page).
const MaxPages = 20

// Source implements health.Source with DescribeAlarms.
type Source struct {
	API API
	// Prefix starts every alarm name of the deployment ("issuetracker-").
	Prefix string
	Now    func() time.Time
}

var _ health.Source = Source{}

// Health implements health.Source: metric and composite alarms whose name
// starts with Prefix, alarming first, then by name.
func (s Source) Health(ctx context.Context) (health.PlatformHealth, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	rep := health.PlatformHealth{Source: "cloudwatch", GeneratedAt: now.UTC(), Alarms: []health.Alarm{}, Functions: []health.FunctionStats{}}
	token := ""
	for page := 0; page < MaxPages; page++ {
		out, err := s.API.DescribeAlarms(ctx, s.Prefix, token)
		if err != nil {
			return rep, fmt.Errorf("describe alarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			rep.Alarms = append(rep.Alarms, health.Alarm{Name: a.AlarmName, State: state(a.StateValue),
				Reason: a.StateReason, UpdatedAt: a.StateUpdatedTimestamp, Metric: a.MetricName})
		}
		for _, a := range out.CompositeAlarms {
			rep.Alarms = append(rep.Alarms, health.Alarm{Name: a.AlarmName, State: state(a.StateValue),
				Reason: a.StateReason, UpdatedAt: a.StateUpdatedTimestamp})
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	sort.SliceStable(rep.Alarms, func(i, j int) bool {
		ai, aj := rep.Alarms[i].State == health.StateAlarm, rep.Alarms[j].State == health.StateAlarm
		if ai != aj {
			return ai
		}
		return rep.Alarms[i].Name < rep.Alarms[j].Name
	})
	rep.State = health.Overall(rep.Alarms)
	return rep, nil
}

func state(v string) health.State {
	switch v {
	case "OK":
		return health.StateOK
	case "ALARM":
		return health.StateAlarm
	}
	return health.StateUnknown
}

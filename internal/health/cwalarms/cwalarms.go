// Package cwalarms reads the platform's health from CloudWatch: the state
// of every alarm the deployment created (their names start with the
// deployment's prefix; constructs/monitoring names them).
package cwalarms

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/issuetracker/issuetracker/internal/health"
)

// API is the part of the CloudWatch client this package calls (a fake in tests).
type API interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
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
	p := cloudwatch.NewDescribeAlarmsPaginator(s.API, &cloudwatch.DescribeAlarmsInput{
		AlarmNamePrefix: aws.String(s.Prefix), MaxRecords: aws.Int32(100),
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	for page := 0; p.HasMorePages() && page < MaxPages; page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return rep, fmt.Errorf("describe alarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			rep.Alarms = append(rep.Alarms, health.Alarm{Name: aws.ToString(a.AlarmName), State: state(a.StateValue),
				Reason: aws.ToString(a.StateReason), UpdatedAt: aws.ToTime(a.StateUpdatedTimestamp), Metric: aws.ToString(a.MetricName)})
		}
		for _, a := range out.CompositeAlarms {
			rep.Alarms = append(rep.Alarms, health.Alarm{Name: aws.ToString(a.AlarmName), State: state(a.StateValue),
				Reason: aws.ToString(a.StateReason), UpdatedAt: aws.ToTime(a.StateUpdatedTimestamp)})
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

func state(v types.StateValue) health.State {
	switch v {
	case types.StateValueOk:
		return health.StateOK
	case types.StateValueAlarm:
		return health.StateAlarm
	}
	return health.StateUnknown
}

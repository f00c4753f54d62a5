package analytics

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Bucket sizes of a report.
type Bucket string

const (
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week" // ISO weeks, Monday first
	BucketMonth Bucket = "month"
)

// MaxRangeDays is the longest report range; DefaultRangeDays the default.
const (
	MaxRangeDays     = 366
	DefaultRangeDays = 30
)

// Range is a report's days, inclusive, in the tenant's zone.
type Range struct {
	From, To string
	Bucket   Bucket
}

// ParseRange validates from, to and bucket (each may be empty: the last
// DefaultRangeDays days up to today, by day).
func ParseRange(from, to, bucket, today string) (Range, error) {
	r := Range{From: from, To: to, Bucket: Bucket(bucket)}
	if r.Bucket == "" {
		r.Bucket = BucketDay
	}
	switch r.Bucket {
	case BucketDay, BucketWeek, BucketMonth:
	default:
		return r, errs.Field("bucket", "must be one of day, week, month")
	}
	if r.To == "" {
		r.To = today
	}
	end, err := time.Parse(DayLayout, r.To)
	if err != nil {
		return r, errs.Field("to", "must be a date YYYY-MM-DD")
	}
	if r.From == "" {
		r.From = end.AddDate(0, 0, -(DefaultRangeDays - 1)).Format(DayLayout)
	}
	start, err := time.Parse(DayLayout, r.From)
	if err != nil {
		return r, errs.Field("from", "must be a date YYYY-MM-DD")
	}
	if end.Before(start) {
		e := errs.E(errs.KindInvalid, "range_inverted", "to (%s) is before from (%s)", r.To, r.From)
		e.Fields = []errs.FieldError{{Field: "to", Reason: "is before from"}}
		return r, e
	}
	if n := r.Days(); n > MaxRangeDays {
		e := errs.E(errs.KindInvalid, "range_too_long", "the range has %d days; at most %d", n, MaxRangeDays)
		e.Fields = []errs.FieldError{{Field: "from", Reason: fmt.Sprintf("at most %d days before to", MaxRangeDays)}}
		return r, e
	}
	return r, nil
}

func mustDay(s string) time.Time {
	t, err := time.Parse(DayLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Days is the number of days in the range.
func (r Range) Days() int {
	return int(math.Round(mustDay(r.To).Sub(mustDay(r.From)).Hours()/24)) + 1
}

// bucketOf is the first day of the bucket holding day, clipped to the range.
func (r Range) bucketOf(day string) string {
	t := mustDay(day)
	switch r.Bucket {
	case BucketWeek:
		t = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case BucketMonth:
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if s := t.Format(DayLayout); s > r.From {
		return s
	}
	return r.From
}

// buckets lists the range's buckets: first and last day of each.
func (r Range) buckets() [][2]string {
	var out [][2]string
	for d := mustDay(r.From); !d.After(mustDay(r.To)); d = d.AddDate(0, 0, 1) {
		day := d.Format(DayLayout)
		if b := r.bucketOf(day); len(out) == 0 || out[len(out)-1][0] != b {
			out = append(out, [2]string{b, day})
		} else {
			out[len(out)-1][1] = day
		}
	}
	return out
}

// Today is the date now in the tenant's zone.
func (s *Service) Today(set Settings) string { return newDayer(set).day(s.now()) }

// BucketFigures are one bucket's figures.
type BucketFigures struct {
	Start     string      `json:"start"`
	End       string      `json:"end"`
	Created   int64       `json:"created"`
	Resolved  int64       `json:"resolved"`
	Backlog   int64       `json:"backlog"` // open issues at the end of the bucket
	LeadTime  Percentiles `json:"lead_time"`
	CycleTime Percentiles `json:"cycle_time"`
}

// Totals are the figures of the whole range. Durations are in seconds.
type Totals struct {
	Created        int64       `json:"created"`
	Resolved       int64       `json:"resolved"`
	BacklogStart   int64       `json:"backlog_start"` // open issues before the first day
	BacklogEnd     int64       `json:"backlog_end"`
	CreationRate   float64     `json:"creation_rate_per_day"`
	ResolutionRate float64     `json:"resolution_rate_per_day"`
	Throughput     float64     `json:"throughput_per_week"`
	LeadTime       Percentiles `json:"lead_time"`
	CycleTime      Percentiles `json:"cycle_time"`
	FirstResponse  Percentiles `json:"first_response_time"`
}

// Report is an issue report of one scope.
type Report struct {
	TimeZone string          `json:"time_zone"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Bucket   Bucket          `json:"bucket"`
	Scope    string          `json:"scope"`
	Buckets  []BucketFigures `json:"buckets"`
	Totals   Totals          `json:"totals"`
}

// lastDay bounds the reads of days after a range: every day ahead of it.
const lastDay = "9999-12-31"

// Report computes the scope's figures over r: one Query of the scope's
// days from r.From on (the days after r.To give the backlog back from
// the gauge) and one of its gauge.
func (s *Service) Report(ctx context.Context, sc tenancy.Scope, scope string, r Range) (Report, error) {
	set, err := s.SettingsFor(ctx, sc)
	if err != nil {
		return Report{}, err
	}
	days, err := s.Store.Days(ctx, sc, scope, r.From, lastDay)
	if err != nil {
		return Report{}, err
	}
	open, err := s.gauge(ctx, sc, scope)
	if err != nil {
		return Report{}, err
	}
	rep := Report{TimeZone: set.ZoneAt(s.now()), From: r.From, To: r.To, Bucket: r.Bucket, Scope: scope}
	var after int64 // net change after the current day
	for _, d := range days {
		after += d.Net
	}
	byDay := map[string]DayRollup{}
	for _, d := range days {
		byDay[d.Day] = d
	}
	rep.Totals.BacklogStart = open.Open - after
	var lead, cycle, resp, bl, bc Dense
	backlog := rep.Totals.BacklogStart
	for _, b := range r.buckets() {
		f := BucketFigures{Start: b[0], End: b[1]}
		bl.Reset()
		bc.Reset()
		for d := mustDay(b[0]); !d.After(mustDay(b[1])); d = d.AddDate(0, 0, 1) {
			x, ok := byDay[d.Format(DayLayout)]
			if !ok {
				continue
			}
			f.Created += x.Created
			f.Resolved += x.Resolved
			backlog += x.Net
			bl.Add(x.Lead)
			bc.Add(x.Cycle)
			resp.Add(x.Response)
		}
		f.Backlog = backlog
		f.LeadTime, f.CycleTime = bl.Summary(), bc.Summary()
		lead.AddDense(bl)
		cycle.AddDense(bc)
		rep.Totals.Created += f.Created
		rep.Totals.Resolved += f.Resolved
		rep.Buckets = append(rep.Buckets, f)
	}
	rep.Totals.BacklogEnd = backlog
	n := float64(r.Days())
	rep.Totals.CreationRate = round2(float64(rep.Totals.Created) / n)
	rep.Totals.ResolutionRate = round2(float64(rep.Totals.Resolved) / n)
	rep.Totals.Throughput = round2(float64(rep.Totals.Resolved) * 7 / n)
	rep.Totals.LeadTime, rep.Totals.CycleTime, rep.Totals.FirstResponse = lead.Summary(), cycle.Summary(), resp.Summary()
	return rep, nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func (s *Service) gauge(ctx context.Context, sc tenancy.Scope, scope string) (Gauge, error) {
	gs, err := s.Store.Gauges(ctx, sc, scope)
	if err != nil {
		return Gauge{}, err
	}
	for _, g := range gs {
		if g.Scope == scope {
			return g, nil
		}
	}
	return Gauge{Scope: scope}, nil
}

// GroupBy is a workload grouping.
type GroupBy string

const (
	ByAssignee GroupBy = "assignee"
	ByTeam     GroupBy = "team"
	ByPriority GroupBy = "priority"
	ByCategory GroupBy = "category"
)

// ParseGroupBy validates a group_by value.
func ParseGroupBy(s string) (GroupBy, error) {
	switch g := GroupBy(s); g {
	case ByAssignee, ByTeam, ByPriority, ByCategory:
		return g, nil
	}
	return "", errs.Field("group_by", "must be one of assignee, team, priority, category")
}

// WorkloadItem is the open issues of one group.
type WorkloadItem struct {
	Key        string `json:"key"`
	Open       int64  `json:"open"`
	InProgress int64  `json:"in_progress"`
}

// Workload is the open issues now, grouped.
type Workload struct {
	GroupBy GroupBy        `json:"group_by"`
	Items   []WorkloadItem `json:"items"`
	Total   WorkloadItem   `json:"total"`
}

// Workload reads the gauges of one dimension (one Query) and the
// tenant's (one more).
func (s *Service) Workload(ctx context.Context, sc tenancy.Scope, g GroupBy) (Workload, error) {
	w := Workload{GroupBy: g, Items: []WorkloadItem{}}
	all, err := s.gauge(ctx, sc, ScopeAll)
	if err != nil {
		return w, err
	}
	w.Total = WorkloadItem{Key: "all", Open: all.Open, InProgress: all.Started}
	if g == ByCategory {
		w.Items = append(w.Items, WorkloadItem{Key: "unstarted", Open: all.Open - all.Started},
			WorkloadItem{Key: "started", Open: all.Started, InProgress: all.Started})
		return w, nil
	}
	prefix := map[GroupBy]string{ByAssignee: UserScope(""), ByTeam: TeamScope(""), ByPriority: PriorityScope("")}[g]
	gs, err := s.Store.Gauges(ctx, sc, prefix)
	if err != nil {
		return w, err
	}
	for _, x := range gs {
		if x.Open != 0 {
			w.Items = append(w.Items, WorkloadItem{Key: strings.TrimPrefix(x.Scope, prefix), Open: x.Open, InProgress: x.Started})
		}
	}
	if g == ByAssignee {
		none, err := s.gauge(ctx, sc, ScopeUnowned)
		if err != nil {
			return w, err
		}
		var teams int64
		tg, err := s.Store.Gauges(ctx, sc, TeamScope(""))
		if err != nil {
			return w, err
		}
		for _, x := range tg {
			teams += x.Open
		}
		if unassigned := none.Open + teams; unassigned != 0 {
			w.Items = append(w.Items, WorkloadItem{Key: "unassigned", Open: unassigned})
		}
	}
	return w, nil
}

// Velocity is a team's resolved issues per week.
type Velocity struct {
	TeamID  string       `json:"team_id"`
	From    string       `json:"from"`
	To      string       `json:"to"`
	Weeks   []WeekFigure `json:"weeks"`
	Average float64      `json:"average_per_week"`
}

// WeekFigure is one week's resolved count.
type WeekFigure struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Resolved int64  `json:"resolved"`
}

// Velocity is the team's throughput by ISO week over r.
func (s *Service) Velocity(ctx context.Context, sc tenancy.Scope, teamID string, r Range) (Velocity, error) {
	r.Bucket = BucketWeek
	rep, err := s.Report(ctx, sc, TeamScope(teamID), r)
	if err != nil {
		return Velocity{}, err
	}
	v := Velocity{TeamID: teamID, From: r.From, To: r.To, Weeks: []WeekFigure{}}
	for _, b := range rep.Buckets {
		v.Weeks = append(v.Weeks, WeekFigure{Start: b.Start, End: b.End, Resolved: b.Resolved})
	}
	v.Average = rep.Totals.Throughput
	return v, nil
}

// UserPerformance is one person's figures: issues completed while
// assigned to them, their first responses, their open issues now.
type UserPerformance struct {
	UserID        string       `json:"user_id"`
	From          string       `json:"from"`
	To            string       `json:"to"`
	Bucket        Bucket       `json:"bucket"`
	Completed     int64        `json:"completed"`
	Buckets       []UserBucket `json:"buckets"`
	FirstResponse Percentiles  `json:"first_response_time"`
	LeadTime      Percentiles  `json:"lead_time"`
	CycleTime     Percentiles  `json:"cycle_time"`
	Workload      WorkloadItem `json:"workload"`
}

// UserBucket is one bucket of a person's figures.
type UserBucket struct {
	Start     string `json:"start"`
	End       string `json:"end"`
	Completed int64  `json:"completed"`
	Responses int64  `json:"first_responses"`
}

// UserPerformance reads the person's assignee scope and responder scope.
func (s *Service) UserPerformance(ctx context.Context, sc tenancy.Scope, userID string, r Range) (UserPerformance, error) {
	rep, err := s.Report(ctx, sc, UserScope(userID), r)
	if err != nil {
		return UserPerformance{}, err
	}
	days, err := s.Store.Days(ctx, sc, ResponderScope(userID), r.From, r.To)
	if err != nil {
		return UserPerformance{}, err
	}
	u := UserPerformance{UserID: userID, From: r.From, To: r.To, Bucket: r.Bucket, Completed: rep.Totals.Resolved,
		LeadTime: rep.Totals.LeadTime, CycleTime: rep.Totals.CycleTime, Buckets: []UserBucket{}}
	resp := Histogram{}
	perBucket := map[string]int64{}
	for _, d := range days {
		resp.Add(d.Response)
		perBucket[r.bucketOf(d.Day)] += d.Response.Count()
	}
	for _, b := range rep.Buckets {
		u.Buckets = append(u.Buckets, UserBucket{Start: b.Start, End: b.End, Completed: b.Resolved, Responses: perBucket[b.Start]})
	}
	u.FirstResponse = resp.Summary()
	g, err := s.gauge(ctx, sc, UserScope(userID))
	if err != nil {
		return u, err
	}
	u.Workload = WorkloadItem{Key: userID, Open: g.Open, InProgress: g.Started}
	return u, nil
}

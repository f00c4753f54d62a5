package usage

import (
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Metric names a limited quantity of a tier.
type Metric string

const (
	MetricCalls   Metric = "api_calls" // API calls this month against the monthly quota
	MetricStorage Metric = "storage"   // item + attachment bytes against the tier's storage
	MetricSeats   Metric = "seats"     // users against the tier's user limit
)

// Level is how close a quantity is to its limit.
type Level string

const (
	LevelOK      Level = "ok"
	LevelWarning Level = "warning" // at least WarnAt of the limit
	LevelLimit   Level = "limit"   // at or over the limit
)

// Thresholds: a warning at 80%, the limit at 100%.
const (
	WarnAt  = 0.8
	LimitAt = 1.0
)

// LevelOf judges used against limit (0: unlimited, always ok).
func LevelOf(used, limit int64) Level {
	switch {
	case limit <= 0:
		return LevelOK
	case float64(used) >= LimitAt*float64(limit):
		return LevelLimit
	case float64(used) >= WarnAt*float64(limit):
		return LevelWarning
	}
	return LevelOK
}

// Gauge is one quantity against its limit.
type Gauge struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"` // 0: unlimited
	// Percent of the limit used, rounded down; 0 when unlimited.
	Percent int   `json:"percent"`
	Level   Level `json:"level"`
}

// NewGauge builds a gauge.
func NewGauge(used, limit int64) Gauge {
	g := Gauge{Used: used, Limit: limit, Level: LevelOf(used, limit)}
	if limit > 0 {
		g.Percent = int(used * 100 / limit)
	}
	return g
}

// Warning is a quantity at or past a threshold.
type Warning struct {
	Metric  Metric `json:"metric"`
	Level   Level  `json:"level"`
	Percent int    `json:"percent"`
	Message string `json:"message"`
}

// Day is one day of the month's series.
type Day struct {
	Date        string `json:"date"`
	Calls       int64  `json:"calls"`
	ActiveUsers int64  `json:"active_users"`
}

// ActiveUsers are distinct users seen today, this ISO week and this month.
type ActiveUsers struct {
	Daily   int64 `json:"daily"`
	Weekly  int64 `json:"weekly"`
	Monthly int64 `json:"monthly"`
}

// Report is a tenant's usage against its tier, as its Super Admin sees it.
type Report struct {
	TenantID    string      `json:"tenant_id"`
	Tier        tiers.Name  `json:"tier"`
	Month       string      `json:"month"`
	Calls       Gauge       `json:"api_calls"`
	Seats       Gauge       `json:"seats"`
	Storage     Gauge       `json:"storage"`
	StorageUse  Storage     `json:"storage_breakdown"`
	ActiveUsers ActiveUsers `json:"active_users"`
	Days        []Day       `json:"days"`
	Warnings    []Warning   `json:"warnings"`
	// FlushSeconds is how far behind the call and active-user figures may
	// be (the functions' flush interval).
	FlushSeconds int `json:"lag_seconds"`
}

// ReportInput is what a report is built from (read by the caller).
type ReportInput struct {
	TenantID string
	Tier     tiers.Tier
	Now      time.Time
	Month    Month
	Weekly   int64
	Storage  Storage
	Seats    int64
}

// BuildReport judges the month's figures against the tier's limits.
func BuildReport(in ReportInput) Report {
	t := in.Tier
	r := Report{TenantID: in.TenantID, Tier: t.Name, Month: MonthKey(in.Now),
		Calls:        NewGauge(in.Month.Calls, t.MonthlyQuota),
		Seats:        NewGauge(in.Seats, int64(t.MaxUsers)),
		Storage:      NewGauge(in.Storage.Total(), t.StorageBytes),
		StorageUse:   in.Storage,
		FlushSeconds: int(DefaultFlushInterval.Seconds()),
		Warnings:     []Warning{}, Days: []Day{}}
	r.ActiveUsers = ActiveUsers{Weekly: in.Weekly, Monthly: in.Month.MonthlyActive}
	today := in.Now.UTC().Day()
	start := time.Date(in.Now.UTC().Year(), in.Now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	for d := 1; d <= today; d++ {
		day := Day{Date: start.AddDate(0, 0, d-1).Format(time.DateOnly)}
		if d <= len(in.Month.DailyCalls) {
			day.Calls = in.Month.DailyCalls[d-1]
		}
		if d <= len(in.Month.DailyActive) {
			day.ActiveUsers = in.Month.DailyActive[d-1]
		}
		if d == today {
			r.ActiveUsers.Daily = day.ActiveUsers
		}
		r.Days = append(r.Days, day)
	}
	for _, w := range []struct {
		m Metric
		g Gauge
	}{{MetricCalls, r.Calls}, {MetricSeats, r.Seats}, {MetricStorage, r.Storage}} {
		if w.g.Level != LevelOK {
			r.Warnings = append(r.Warnings, NewWarning(w.m, w.g, t))
		}
	}
	return r
}

// NewWarning words a gauge past a threshold.
func NewWarning(m Metric, g Gauge, t tiers.Tier) Warning {
	what := map[Metric]string{MetricCalls: "of this month's API calls", MetricSeats: "of the users", MetricStorage: "of the storage"}[m]
	msg := fmt.Sprintf("%d%% %s of the %s tier used", g.Percent, what, t.DisplayName)
	if g.Level == LevelLimit {
		msg = fmt.Sprintf("the %s tier's limit %s is reached (%d%%)", t.DisplayName, what, g.Percent)
		if m == MetricCalls {
			msg += ": requests are refused until the month ends or the tier is upgraded"
		}
	}
	return Warning{Metric: m, Level: g.Level, Percent: g.Percent, Message: msg}
}

package localdeploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/gobuild"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Schedule is a timer of the template that invokes one of its Go
// functions: an EventBridge rule with a ScheduleExpression, or an
// EventBridge Scheduler schedule.
type Schedule struct {
	LogicalID, Type string
	Description     string
	// Expression is the template's: rate(...) or cron(...).
	Expression string
	// Rate is the period of a rate(...) expression; 0 for a cron.
	Rate time.Duration
	// Function is the target's function name (its folder: "billing").
	Function string
	// Input is the constant event the target receives ("{}" when none).
	Input   string
	Enabled bool
}

// StreamMapping is an event source mapping of a DynamoDB table's stream
// to a Go function.
type StreamMapping struct {
	LogicalID string
	// Table is the table's logical id (its physical name is the deployer's).
	Table     string
	Function  string
	BatchSize int
	// Filter is the mapping's filter criteria read back as a changes.Filter
	// (sort keys and prefixes); empty passes every record.
	Filter     changes.Filter
	MaxRetries int
	// MaxRecordAge is MaximumRecordAgeInSeconds (0 when the template sets
	// none or -1: no limit but the stream's 24 hours).
	MaxRecordAge time.Duration
	// Bisect is BisectBatchOnFunctionError: a failing batch is split in
	// two and each half retried, so one bad record does not hold back the
	// others.
	Bisect bool
	// ParallelizationFactor is how many batches of one shard Lambda
	// handles at once (1 when the template sets none).
	ParallelizationFactor int
	// OnFailure is the logical id of the mapping's failure destination
	// (DestinationConfig.OnFailure, an SQS queue or SNS topic) and
	// OnFailureType its resource type; empty when the template sets none
	// (Lambda then drops the batches that keep failing).
	OnFailure, OnFailureType string
}

// QueueMapping is an event source mapping of an SQS queue to a Go function.
type QueueMapping struct {
	LogicalID, Queue, Function string
	// QueueName is the queue's name: its QueueName, else its logical id
	// (the last part of the URL the functions send to).
	QueueName string
	BatchSize int
	// MaxConcurrency is the mapping's ScalingConfig.MaximumConcurrency:
	// how many functions it runs at once (0: no cap but the function's).
	MaxConcurrency int
	// ReportBatchItemFailures: the function reports which messages failed
	// (FunctionResponseTypes); without it, an error fails the whole batch.
	ReportBatchItemFailures bool
}

var rateExpr = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// ParseRate reads a rate(...) expression's period.
func ParseRate(expr string) (time.Duration, error) {
	m := rateExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("not a rate expression: %q", expr)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit, nil
}

// Schedules are the template's schedules whose target is one of its Go
// functions (rules and schedules that start a state machine, or match
// events rather than time, are not schedules).
func (t *Template) Schedules() ([]Schedule, error) {
	var out []Schedule
	for _, typ := range []string{"AWS::Events::Rule", "AWS::Scheduler::Schedule"} {
		for _, id := range t.IDs(typ) {
			p := t.Resources[id].Properties
			expr, _ := p["ScheduleExpression"].(string)
			if expr == "" {
				continue
			}
			var targets []any
			if typ == "AWS::Events::Rule" {
				targets, _ = p["Targets"].([]any)
			} else if tg, ok := p["Target"]; ok {
				targets = []any{tg}
			}
			for _, tg := range targets {
				tm, _ := tg.(map[string]any)
				fn, ok := t.goFunction(tm["Arn"])
				if !ok {
					continue
				}
				s := Schedule{LogicalID: id, Type: typ, Expression: expr, Function: fn, Input: "{}"}
				s.Description, _ = p["Description"].(string)
				state, _ := p["State"].(string)
				s.Enabled = state == "" || state == "ENABLED"
				if in, ok := tm["Input"].(string); ok {
					s.Input = in
				}
				if strings.HasPrefix(expr, "rate(") {
					var err error
					if s.Rate, err = ParseRate(expr); err != nil {
						return nil, fmt.Errorf("%s: %w", id, err)
					}
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// goFunction is the Go function a target's Arn ({"Fn::GetAtt": [fn,
// "Arn"]} or {"Ref": fn}) names.
func (t *Template) goFunction(arn any) (string, bool) {
	m, _ := arn.(map[string]any)
	var id string
	if a, ok := m["Fn::GetAtt"].([]any); ok && len(a) == 2 && a[1] == "Arn" {
		id, _ = a[0].(string)
	} else if r, ok := m["Ref"].(string); ok {
		id = r
	}
	r, ok := t.Resources[id]
	if !ok || r.Type != TypeFunction {
		return "", false
	}
	src, _ := r.Metadata[gobuild.SourceMetadata].(string)
	if src == "" {
		return "", false
	}
	return src[strings.LastIndex(src, "/")+1:], true
}

// EventSourceMappings are the template's mappings to its Go functions:
// DynamoDB streams and SQS queues. A mapping of another source is an error
// (the local cloud would silently not run it).
func (t *Template) EventSourceMappings() ([]StreamMapping, []QueueMapping, error) {
	var streams []StreamMapping
	var queues []QueueMapping
	for _, id := range t.IDs("AWS::Lambda::EventSourceMapping") {
		p := t.Resources[id].Properties
		fn, ok := t.goFunction(p["FunctionName"])
		if !ok {
			return nil, nil, fmt.Errorf("event source mapping %s: its FunctionName %v is no Go function of the template", id, p["FunctionName"])
		}
		src, _ := p["EventSourceArn"].(map[string]any)
		att, _ := src["Fn::GetAtt"].([]any)
		if len(att) != 2 {
			return nil, nil, fmt.Errorf("event source mapping %s: unsupported EventSourceArn %v", id, p["EventSourceArn"])
		}
		srcID, _ := att[0].(string)
		batch := 100
		if b, ok := p["BatchSize"].(float64); ok {
			batch = int(b)
		}
		switch typ := t.Resources[srcID].Type; {
		case typ == "AWS::DynamoDB::Table" && att[1] == "StreamArn":
			m := StreamMapping{LogicalID: id, Table: srcID, Function: fn, BatchSize: batch, MaxRetries: -1, ParallelizationFactor: 1}
			if r, ok := p["MaximumRetryAttempts"].(float64); ok {
				m.MaxRetries = int(r)
			}
			if a, ok := p["MaximumRecordAgeInSeconds"].(float64); ok && a > 0 {
				m.MaxRecordAge = time.Duration(a) * time.Second
			}
			m.Bisect, _ = p["BisectBatchOnFunctionError"].(bool)
			if n, ok := p["ParallelizationFactor"].(float64); ok {
				m.ParallelizationFactor = int(n)
			}
			if dc, ok := p["DestinationConfig"].(map[string]any); ok {
				of, _ := dc["OnFailure"].(map[string]any)
				if d := targetID(of["Destination"]); d != "" {
					m.OnFailure = d
					if r, ok := t.Resources[d]; ok {
						m.OnFailureType = r.Type
					}
				}
			}
			f, err := filterOf(p["FilterCriteria"])
			if err != nil {
				return nil, nil, fmt.Errorf("event source mapping %s: %w", id, err)
			}
			m.Filter = f
			streams = append(streams, m)
		case typ == "AWS::SQS::Queue" && att[1] == "Arn":
			name, _ := t.Resources[srcID].Properties["QueueName"].(string)
			if name == "" {
				name = srcID
			}
			q := QueueMapping{LogicalID: id, Queue: srcID, QueueName: name, Function: fn, BatchSize: batch}
			if sc, ok := p["ScalingConfig"].(map[string]any); ok {
				if n, ok := sc["MaximumConcurrency"].(float64); ok {
					q.MaxConcurrency = int(n)
				}
			}
			types, _ := p["FunctionResponseTypes"].([]any)
			for _, x := range types {
				if x == "ReportBatchItemFailures" {
					q.ReportBatchItemFailures = true
				}
			}
			queues = append(queues, q)
		default:
			return nil, nil, fmt.Errorf("event source mapping %s: source %s (%s) is not emulated locally", id, srcID, typ)
		}
	}
	return streams, queues, nil
}

// filterOf reads filter criteria of the form changes.Filter.Pattern
// renders ({"dynamodb":{"Keys":{"sk":{"S":["ISSUE",{"prefix":"ACT#"}]}}}});
// another pattern is an error rather than a filter applied wrongly.
func filterOf(v any) (changes.Filter, error) {
	var f changes.Filter
	fc, _ := v.(map[string]any)
	fs, _ := fc["Filters"].([]any)
	for _, x := range fs {
		pat, _ := x.(map[string]any)["Pattern"].(string)
		var p struct {
			DynamoDB struct {
				Keys map[string]struct {
					S []json.RawMessage `json:"S"`
				} `json:"Keys"`
			} `json:"dynamodb"`
		}
		if err := json.Unmarshal([]byte(pat), &p); err != nil {
			return f, fmt.Errorf("filter pattern %q: %w", pat, err)
		}
		sk, ok := p.DynamoDB.Keys[schema.SK]
		if !ok || len(p.DynamoDB.Keys) != 1 {
			return f, fmt.Errorf("filter pattern %q: the local cloud emulates filters on the sort key only", pat)
		}
		for _, raw := range sk.S {
			var exact string
			if json.Unmarshal(raw, &exact) == nil {
				f.SortKeys = append(f.SortKeys, exact)
				continue
			}
			var pre struct {
				Prefix *string `json:"prefix"`
			}
			if err := json.Unmarshal(raw, &pre); err != nil || pre.Prefix == nil {
				return f, fmt.Errorf("filter pattern %q: unsupported value %s", pat, raw)
			}
			f.SortKeyPrefixes = append(f.SortKeyPrefixes, *pre.Prefix)
		}
	}
	return f, nil
}

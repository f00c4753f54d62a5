package localdeploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// EventRule is an EventBridge rule of the template that matches events
// (an EventPattern) rather than time: the local cloud routes the events
// put on its bus (the function processes' PutEvents) to its targets, as
// EventBridge does.
type EventRule struct {
	LogicalID, Description string
	// BusName is the name of the rule's bus (the template's, before the
	// local cloud's rename); "default" when the rule names none.
	BusName string
	// Pattern is the rule's event pattern, checked when read: only what
	// Match implements is accepted.
	Pattern map[string]any
	Enabled bool
	Targets []RuleTarget
}

// RuleTarget is one target of an event rule.
type RuleTarget struct {
	ID string
	// Function is the target's Go function (its folder); empty when the
	// target is another resource (Resource, of type Type: the provisioning
	// state machine).
	Function       string
	Resource, Type string
	// Input (a constant event), InputPath or InputTransformer shape what
	// the target receives; none of them: the whole event.
	Input            *string
	InputPath        string
	InputTransformer *InputTransformer
	// MaxRetries is the target's RetryPolicy.MaximumRetryAttempts
	// (EventBridge's default, 185, when the template sets none).
	MaxRetries int
}

// InputTransformer is a target's InputTransformer: each path of PathsMap
// read from the event, then put into Template in place of <name>.
type InputTransformer struct {
	PathsMap map[string]string
	Template string
}

// EventBridge's default retry policy (185 attempts over 24 hours).
const defaultRuleRetries = 185

// EventRules are the template's event-pattern rules (schedules are
// Schedules'). A pattern or target the local cloud cannot apply is an
// error naming the rule, rather than a rule that silently never fires.
func (t *Template) EventRules() ([]EventRule, error) {
	var out []EventRule
	for _, id := range t.IDs("AWS::Events::Rule") {
		p := t.Resources[id].Properties
		raw, ok := p["EventPattern"]
		if !ok {
			continue
		}
		pat, ok := raw.(map[string]any)
		if !ok {
			// CloudFormation also takes the pattern as a JSON string.
			s, _ := raw.(string)
			if err := json.Unmarshal([]byte(s), &pat); err != nil {
				return nil, fmt.Errorf("rule %s: event pattern %v: %v", id, raw, err)
			}
		}
		if err := checkPattern(pat); err != nil {
			return nil, fmt.Errorf("rule %s: %w", id, err)
		}
		r := EventRule{LogicalID: id, Pattern: pat, BusName: "default"}
		r.Description, _ = p["Description"].(string)
		state, _ := p["State"].(string)
		r.Enabled = state == "" || state == "ENABLED"
		if b, ok := p["EventBusName"]; ok {
			name, err := t.busName(b)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", id, err)
			}
			r.BusName = name
		}
		targets, _ := p["Targets"].([]any)
		for _, x := range targets {
			tm, _ := x.(map[string]any)
			tg := RuleTarget{MaxRetries: defaultRuleRetries}
			tg.ID, _ = tm["Id"].(string)
			if fn, ok := t.goFunction(tm["Arn"]); ok {
				tg.Function = fn
			} else {
				tg.Resource = targetID(tm["Arn"])
				if r, ok := t.Resources[tg.Resource]; ok {
					tg.Type = r.Type
				}
			}
			if s, ok := tm["Input"].(string); ok {
				tg.Input = &s
			}
			tg.InputPath, _ = tm["InputPath"].(string)
			if it, ok := tm["InputTransformer"].(map[string]any); ok {
				tr := &InputTransformer{PathsMap: map[string]string{}}
				tr.Template, _ = it["InputTemplate"].(string)
				paths, _ := it["InputPathsMap"].(map[string]any)
				for k, v := range paths {
					s, _ := v.(string)
					if _, err := jsonPath(s); err != nil {
						return nil, fmt.Errorf("rule %s, target %s: input path %s: %w", id, tg.ID, k, err)
					}
					tr.PathsMap[k] = s
				}
				tg.InputTransformer = tr
			}
			if tg.InputPath != "" {
				if _, err := jsonPath(tg.InputPath); err != nil {
					return nil, fmt.Errorf("rule %s, target %s: %w", id, tg.ID, err)
				}
			}
			if rp, ok := tm["RetryPolicy"].(map[string]any); ok {
				if n, ok := rp["MaximumRetryAttempts"].(float64); ok {
					tg.MaxRetries = int(n)
				}
			}
			r.Targets = append(r.Targets, tg)
		}
		out = append(out, r)
	}
	return out, nil
}

// busName is the name of the bus an EventBusName names: a literal, or a
// {"Ref"} / {"Fn::GetAtt": [bus, "Name"]} to a bus of the template.
func (t *Template) busName(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	id := targetID(v)
	r, ok := t.Resources[id]
	if !ok || r.Type != "AWS::Events::EventBus" {
		return "", fmt.Errorf("event bus %v is no bus of the template", v)
	}
	name, _ := r.Properties["Name"].(string)
	if name == "" {
		return "", fmt.Errorf("event bus %s has no Name", id)
	}
	return name, nil
}

// targetID is the logical id a {"Ref"} or {"Fn::GetAtt"} names.
func targetID(v any) string {
	m, _ := v.(map[string]any)
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if a, ok := m["Fn::GetAtt"].([]any); ok && len(a) == 2 {
		s, _ := a[0].(string)
		return s
	}
	return ""
}

// checkPattern accepts the part of EventBridge's pattern language Match
// implements: objects of fields whose leaves are arrays of exact values
// (strings, numbers, booleans, null) or of {"prefix": "..."} and
// {"exists": bool}.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
//
// Hand-written: quamina (the Go library of this language) is not on this
// machine's module proxy, and the platform's rules use exact values only.
func checkPattern(p map[string]any) error {
	for k, v := range p {
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v); err != nil {
				return fmt.Errorf("%s.%w", k, err)
			}
		case []any:
			for _, x := range v {
				op, ok := x.(map[string]any)
				if !ok {
					continue
				}
				if len(op) != 1 {
					return fmt.Errorf("%s: the local cloud matches one operator per value, not %v", k, op)
				}
				for name, arg := range op {
					_, isString := arg.(string)
					_, isBool := arg.(bool)
					if !(name == "prefix" && isString) && !(name == "exists" && isBool) {
						return fmt.Errorf("%s: the local cloud does not match %q patterns", k, name)
					}
				}
			}
		default:
			return fmt.Errorf("%s: a pattern's leaves are arrays, not %v", k, v)
		}
	}
	return nil
}

// Match reports whether the event (EventBridge's envelope: source,
// detail-type, detail...) matches the rule's pattern.
func (r EventRule) Match(event map[string]any) bool {
	return matchObject(r.Pattern, event)
}

func matchObject(p map[string]any, ev map[string]any) bool {
	for k, want := range p {
		got, present := ev[k]
		switch want := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matchObject(want, sub) {
				return false
			}
		case []any:
			if !matchLeaf(want, got, present) {
				return false
			}
		}
	}
	return true
}

// matchLeaf: any of the pattern's values matches the event's value (or,
// for an array in the event, any of its values).
func matchLeaf(want []any, got any, present bool) bool {
	vals := []any{got}
	if arr, ok := got.([]any); ok {
		vals = arr
	}
	for _, w := range want {
		if op, ok := w.(map[string]any); ok {
			if e, ok := op["exists"].(bool); ok {
				if e == present {
					return true
				}
				continue
			}
			pre, _ := op["prefix"].(string)
			for _, v := range vals {
				if s, ok := v.(string); ok && present && strings.HasPrefix(s, pre) {
					return true
				}
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range vals {
			if fmt.Sprint(v) == fmt.Sprint(w) && sameKind(v, w) {
				return true
			}
		}
	}
	return false
}

func sameKind(a, b any) bool {
	return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}

// Payload is what the target receives for the event: its constant Input,
// the part of the event InputPath selects, the InputTransformer's
// template filled from the event, or the whole event.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
func (tg RuleTarget) Payload(event map[string]any) ([]byte, error) {
	switch {
	case tg.Input != nil:
		return []byte(*tg.Input), nil
	case tg.InputPath != "":
		v, _ := lookup(event, tg.InputPath)
		return json.Marshal(v)
	case tg.InputTransformer != nil:
		return tg.InputTransformer.apply(event)
	}
	return json.Marshal(event)
}

var placeholder = regexp.MustCompile(`<([A-Za-z0-9_.\-]+)>`)

// apply fills the template: a placeholder inside a JSON string gets the
// value's text, one outside a string the value as JSON (a string quoted),
// as EventBridge does; a path the event lacks is null (empty inside a
// string).
func (it *InputTransformer) apply(event map[string]any) ([]byte, error) {
	values := map[string]any{}
	for k, p := range it.PathsMap {
		values[k], _ = lookup(event, p)
	}
	var b strings.Builder
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(it.Template, -1) {
		name := it.Template[m[2]:m[3]]
		v, known := values[name]
		if !known && !isReserved(name) {
			continue // not a placeholder of the map: literal text
		}
		if isReserved(name) {
			v = reserved(name, event)
		}
		b.WriteString(it.Template[last:m[0]])
		last = m[1]
		if inString(it.Template[:m[0]]) {
			if s, ok := v.(string); ok {
				enc, _ := json.Marshal(s)
				b.Write(enc[1 : len(enc)-1])
			} else if v != nil {
				enc, _ := json.Marshal(v)
				b.Write(enc)
			}
			continue
		}
		enc, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(enc)
	}
	b.WriteString(it.Template[last:])
	return []byte(b.String()), nil
}

func isReserved(name string) bool {
	return name == "aws.events.event" || name == "aws.events.rule-name"
}

func reserved(name string, event map[string]any) any {
	if name == "aws.events.event" {
		return event
	}
	return nil
}

// inString reports whether the text ends inside a JSON string.
func inString(s string) bool {
	in, esc := false, false
	for _, c := range s {
		switch {
		case esc:
			esc = false
		case c == '\\' && in:
			esc = true
		case c == '"':
			in = !in
		}
	}
	return in
}

// jsonPath reads a path of the form $.a.b (the form EventBridge's input
// paths take for an event's fields) into its parts.
func jsonPath(p string) ([]string, error) {
	if p == "$" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "$.") {
		return nil, fmt.Errorf("the local cloud reads paths $.a.b..., not %q", p)
	}
	parts := strings.Split(p[2:], ".")
	for _, x := range parts {
		if x == "" || strings.ContainsAny(x, "[]*") {
			return nil, fmt.Errorf("the local cloud reads paths $.a.b..., not %q", p)
		}
	}
	return parts, nil
}

func lookup(event map[string]any, p string) (any, bool) {
	parts, err := jsonPath(p)
	if err != nil {
		return nil, false
	}
	var cur any = event
	for _, k := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

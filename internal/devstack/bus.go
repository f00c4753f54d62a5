package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

// EventsPath is where the gateway's address serves the local EventBridge
// (PutEvents) of the function processes (envvars.EventsEndpoint).
const EventsPath = "/_local/events"

// busRoute is a target of one of the template's event rules, as the local
// cloud runs it.
type busRoute struct {
	Rule   localdeploy.EventRule
	Target localdeploy.RuleTarget
	Bus    string
	To     invoker
}

// bus routes the events put on the local EventBridge to the targets of
// the template's event rules that match them, as EventBridge does: each
// target gets its payload (the whole event, or the target's Input,
// InputPath or InputTransformer), asynchronously, retried up to the
// target's retry policy (at most busMaxAttempts times locally). An event
// no rule matches goes nowhere, as in AWS.
type bus struct {
	routes []busRoute
	ctx    context.Context
	log    io.Writer
	// backoff is the wait before a retry (doubled each time).
	backoff time.Duration
}

// busMaxAttempts bounds the local retries of a target that fails (the
// platform's rule allows 8 over 6 hours in AWS).
const busMaxAttempts = 3

// templateBus reads the template's event rules: a rule targeting a Go
// function routes to it (function finds it: nil is an error naming the
// rule); another target (the provisioning state machine) is listed in
// skipped, as are disabled rules. rename gives a bus its local name.
func templateBus(rules []localdeploy.EventRule, function func(name string) invoker, rename func(string) string) (routes []busRoute, skipped []string, err error) {
	for _, r := range rules {
		if !r.Enabled {
			skipped = append(skipped, r.LogicalID+" (disabled)")
			continue
		}
		for _, tg := range r.Targets {
			if tg.Function == "" {
				skipped = append(skipped, fmt.Sprintf("%s -> %s (%s: not emulated locally)", r.LogicalID, tg.Resource, tg.Type))
				continue
			}
			f := function(tg.Function)
			if f == nil {
				return nil, nil, fmt.Errorf("rule %s targets function %s, which the local cloud does not run", r.LogicalID, tg.Function)
			}
			routes = append(routes, busRoute{Rule: r, Target: tg, Bus: rename(r.BusName), To: f})
		}
	}
	return routes, skipped, nil
}

// envelope is the event EventBridge delivers for an entry.
func envelope(e localcloud.Event, id string) (map[string]any, error) {
	var detail any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		return nil, fmt.Errorf("the entry's detail: %w", err)
	}
	res := make([]any, 0, len(e.Resources))
	for _, r := range e.Resources {
		res = append(res, r)
	}
	return map[string]any{"version": "0", "id": id, "detail-type": e.DetailType, "source": e.Source,
		"account": "000000000000", "time": e.Time.Format(time.RFC3339), "region": "us-east-1",
		"resources": res, "detail": detail}, nil
}

// put takes an entry of PutEvents: its event goes to every matching
// route's target, in the background.
func (b *bus) put(e localcloud.Event) (string, error) {
	if b == nil {
		return "", fmt.Errorf("the local cloud routes no events (in-process mode)")
	}
	id, ds, err := b.dispatch(e)
	if err != nil {
		return "", err
	}
	for _, d := range ds {
		fmt.Fprintf(logOr(b.log), "events | %s %q on %s -> rule %s -> %s\n", e.Source, e.DetailType, e.Bus, d.Rule.LogicalID, d.Target.Function)
		go b.deliver(d.busRoute, d.payload)
	}
	return id, nil
}

// delivery is an event's payload for one route.
type delivery struct {
	busRoute
	payload []byte
}

// dispatch is the event of the entry (its id) and what each route whose
// rule matches it delivers.
func (b *bus) dispatch(e localcloud.Event) (string, []delivery, error) {
	id := localcloud.NewEventID()
	ev, err := envelope(e, id)
	if err != nil {
		return "", nil, err
	}
	var out []delivery
	for _, r := range b.matching(e.Bus, ev) {
		payload, err := r.Target.Payload(ev)
		if err != nil {
			return "", nil, fmt.Errorf("rule %s, target %s: %w", r.Rule.LogicalID, r.Target.ID, err)
		}
		out = append(out, delivery{r, payload})
	}
	return id, out, nil
}

// matching are the routes of the bus whose rule matches the event.
func (b *bus) matching(busName string, ev map[string]any) []busRoute {
	var out []busRoute
	for _, r := range b.routes {
		if r.Bus == busName && r.Rule.Match(ev) {
			out = append(out, r)
		}
	}
	return out
}

func (b *bus) deliver(r busRoute, payload []byte) {
	ctx := b.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	attempts := min(r.Target.MaxRetries+1, busMaxAttempts)
	wait := b.backoff
	for i := 1; ; i++ {
		_, err := r.To.Invoke(ctx, payload)
		if err == nil {
			return
		}
		if i >= attempts || ctx.Err() != nil {
			fmt.Fprintf(logOr(b.log), "events | rule %s: function %s failed %d time(s), the event is dropped locally (AWS: the target's dead-letter queue): %v\n",
				r.Rule.LogicalID, r.Target.Function, i, err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// describeBus is the log line of what the template's event rules route.
func describeBus(routes []busRoute, skipped []string) string {
	var b strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&b, "events | rule %s on bus %s -> %s\n", r.Rule.LogicalID, r.Bus, r.Target.Function)
	}
	for _, s := range skipped {
		fmt.Fprintf(&b, "events | rule %s not run locally\n", s)
	}
	return b.String()
}

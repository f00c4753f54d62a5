package apikeys

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// PlanFetchTimeout bounds the read of the usage plan ids.
const PlanFetchTimeout = 3 * time.Second

// LazyPlans are the usage plan ids, read on first use with
// PlanFetchTimeout and kept for the cold start; a failed read is an error
// of the operation that needed them (its message names the parameters)
// and is tried again on the next.
type LazyPlans struct {
	Load func(context.Context) (map[tiers.Name]string, error)

	mu    sync.Mutex
	plans map[tiers.Name]string
}

// Get returns the plan ids, reading them the first time.
func (l *LazyPlans) Get(ctx context.Context) (map[tiers.Name]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.plans != nil {
		return l.plans, nil
	}
	ctx, cancel := context.WithTimeout(ctx, PlanFetchTimeout)
	defer cancel()
	plans, err := l.Load(ctx)
	if err != nil {
		return nil, err
	}
	l.plans = plans
	return plans, nil
}

// LazyPlansFromSSM are PlansFromSSM read on first use (LazyPlans): the
// functions that manage keys no longer read SSM at cold start, nor stop
// when it fails; only the key operations wait for it.
func LazyPlansFromSSM(c SSM, prefix string) *LazyPlans {
	return &LazyPlans{Load: func(ctx context.Context) (map[tiers.Name]string, error) { return PlansFromSSM(ctx, c, prefix) }}
}

// PlansFromSSM reads every tier's usage plan id from the SSM parameters
// <prefix><tier> the platform stack writes (/issuetracker/usage-plans/basic,
// ...), in one GetParameters call. A tier without its parameter is an
// error naming the parameter.
func PlansFromSSM(ctx context.Context, c SSM, prefix string) (map[tiers.Name]string, error) {
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	byName := map[string]tiers.Name{}
	var names []string
	for _, t := range tiers.All() {
		byName[prefix+string(t.Name)] = t.Name
		names = append(names, prefix+string(t.Name))
	}
	out, err := c.GetParameters(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read usage plan ids under %s: %w", prefix, err)
	}
	plans := map[tiers.Name]string{}
	for name, value := range out {
		if t, ok := byName[name]; ok && value != "" {
			plans[t] = value
		}
	}
	for _, t := range tiers.All() {
		if plans[t.Name] == "" {
			return nil, fmt.Errorf("no usage plan id for tier %s (SSM parameter %s%s)", t.Name, prefix, t.Name)
		}
	}
	return plans, nil
}

package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// HistorySeed describes the backdated history SeedHistory writes.
type HistorySeed struct {
	TenantID string
	Days     int // how many days back the history starts
	PerDay   int // issues created per day (on average)
	Seed     uint64
	// Now is the end of the history. Default: time.Now.
	Now time.Time
}

// SeedHistory creates and works backdated issues over simulated days for a
// demo of the analytics: each day some issues are filed by the tenant's
// people, assigned, started, commented on by others and resolved, some
// reopened. It runs the real issue handlers in-process with a simulated
// clock (the gateway's clock cannot be moved), so every write goes through
// the issue store and reaches the analytics through the change stream like
// any other. It returns the number of issues created.
func SeedHistory(ctx context.Context, db *dynamodb.Client, names schema.Names, h HistorySeed) (int, error) {
	if h.Now.IsZero() {
		h.Now = time.Now().UTC()
	}
	t, err := tenantdb.New(db, names).Get(ctx, h.TenantID)
	if err != nil {
		return 0, err
	}
	page, err := peopledb.UserDB{DB: db}.List(ctx, t.Scope(), list.Request{Limit: 50})
	if err != nil {
		return 0, err
	}
	if len(page.Items) == 0 {
		return 0, fmt.Errorf("tenant %s has no users to act", t.ID)
	}
	var mu sync.Mutex
	clock := h.Now
	c := &caller{deps: app.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Names: names,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}, fns: map[routes.Function]*lambdahttp.Adapter{}}
	set := func(at time.Time) { mu.Lock(); clock = at; mu.Unlock() }
	var team string
	if tp, err := (peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}).Teams(ctx, t.Scope(), list.Request{Limit: 1}); err == nil && len(tp.Items) > 0 {
		team = tp.Items[0].ID
	}
	as := func(u people.User) tenancy.Principal {
		return tenancy.Principal{TenantID: t.ID, UserID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Tier: t.Tier, Table: t.Table}
	}
	rng := rand.New(rand.NewPCG(h.Seed, 13))
	start := h.Now.AddDate(0, 0, -h.Days)
	created := 0
	for d := range h.Days {
		n := rng.IntN(2*h.PerDay + 1)
		for range n {
			at := start.AddDate(0, 0, d).Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			reporter := page.Items[rng.IntN(len(page.Items))]
			body := map[string]any{"title": fmt.Sprintf("Seeded issue from day %d", d+1),
				"priority": issue.Priorities[rng.IntN(len(issue.Priorities))], "type": issue.Types[rng.IntN(len(issue.Types))]}
			switch x := rng.IntN(3); {
			case x == 0 && team != "":
				body["team_id"] = team
			case x == 1:
				body["assignee_id"] = page.Items[rng.IntN(len(page.Items))].ID
			}
			set(at)
			var i issue.Issue
			if err := c.do(ctx, as(reporter), "POST", "/v1/issues", body, &i); err != nil {
				return created, err
			}
			created++
			status := issue.Open
			for step := 0; step < 4 && rng.IntN(5) > 0; step++ {
				at = at.Add(time.Duration(rng.Int64N(int64(36 * time.Hour))))
				if at.After(h.Now) {
					break
				}
				actor := as(page.Items[rng.IntN(len(page.Items))])
				set(at)
				if rng.IntN(3) == 0 {
					if err := c.do(ctx, actor, "POST", "/v1/issues/"+i.ID+"/comments", map[string]any{"body": "Looking into it."}, nil); err != nil {
						return created, err
					}
					continue
				}
				next := issue.Next(status)
				to := next[rng.IntN(len(next))]
				if status != issue.Closed && rng.IntN(2) == 0 {
					to = issue.Closed // most work gets done
				}
				if err := c.do(ctx, actor, "POST", "/v1/issues/"+i.ID+"/transitions", map[string]any{"to": to}, nil); err != nil {
					return created, err
				}
				status = to
			}
		}
	}
	return created, nil
}

// caller invokes function handlers in-process, as the gateway does.
type caller struct {
	deps app.Deps
	mu   sync.Mutex
	fns  map[routes.Function]*lambdahttp.Adapter
}

func (c *caller) do(ctx context.Context, p tenancy.Principal, method, path string, body, out any) error {
	u, _ := url.Parse(path)
	rt, params, ok, _ := routes.Match(method, u.Path)
	if !ok {
		return fmt.Errorf("no route %s %s", method, path)
	}
	c.mu.Lock()
	ad, ok := c.fns[rt.Function]
	if !ok {
		h, err := app.Function(rt.Function, c.deps)
		if err != nil {
			c.mu.Unlock()
			return err
		}
		ad = lambdahttp.New(h)
		c.fns[rt.Function] = ad
	}
	c.mu.Unlock()
	raw, _ := json.Marshal(body)
	hdr := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"seed"}}
	res, err := ad.Invoke(ctx, lambdahttp.Event(rt, params, p.AuthorizerContext(), method, u, raw, hdr))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, res.Body)
	}
	if out != nil {
		return json.NewDecoder(bytes.NewReader([]byte(res.Body))).Decode(out)
	}
	return nil
}

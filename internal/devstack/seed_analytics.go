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
	sim, err := newHistorySim(ctx, db, names, h)
	if err != nil {
		return 0, err
	}
	start := h.Now.AddDate(0, 0, -h.Days)
	created := 0
	for d := range h.Days {
		for range sim.rng.IntN(2*h.PerDay + 1) {
			at := start.AddDate(0, 0, d).Add(time.Duration(sim.rng.Int64N(int64(24 * time.Hour))))
			i, err := sim.file(ctx, d, at)
			if err != nil {
				return created, err
			}
			created++
			if err := sim.work(ctx, i, at); err != nil {
				return created, err
			}
		}
	}
	return created, nil
}

// historySim is SeedHistory's simulation: the tenant's people acting
// through the real handlers at a clock the simulation moves.
type historySim struct {
	h      HistorySeed
	tenant tenancy.Principal // the tenant part; the user part is set per actor
	users  []people.User
	team   string
	rng    *rand.Rand
	c      *caller
	mu     sync.Mutex
	clock  time.Time
}

func newHistorySim(ctx context.Context, db *dynamodb.Client, names schema.Names, h HistorySeed) (*historySim, error) {
	t, err := tenantdb.New(db, names).Get(ctx, h.TenantID)
	if err != nil {
		return nil, err
	}
	page, err := peopledb.UserDB{DB: db}.List(ctx, t.Scope(), list.Request{Limit: 50})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, fmt.Errorf("tenant %s has no users to act", t.ID)
	}
	s := &historySim{h: h, users: page.Items, rng: rand.New(rand.NewPCG(h.Seed, 13)), clock: h.Now,
		tenant: tenancy.Principal{TenantID: t.ID, Tier: t.Tier, Table: t.Table}}
	s.c = &caller{deps: app.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Names: names, Now: s.now},
		fns: map[routes.Function]*lambdahttp.Adapter{}}
	if tp, err := (peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}).Teams(ctx, t.Scope(), list.Request{Limit: 1}); err == nil && len(tp.Items) > 0 {
		s.team = tp.Items[0].ID
	}
	return s, nil
}

func (s *historySim) now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.clock }

func (s *historySim) set(at time.Time) { s.mu.Lock(); s.clock = at; s.mu.Unlock() }

// someone is a random person of the tenant, as the principal they act as.
func (s *historySim) someone() (people.User, tenancy.Principal) {
	u := s.users[s.rng.IntN(len(s.users))]
	p := s.tenant
	p.UserID, p.Username, p.Email, p.Role = u.ID, u.Username, u.Email, u.Role
	return u, p
}

// file creates an issue on day d at the given time, assigned to a team, a
// person or no one.
func (s *historySim) file(ctx context.Context, d int, at time.Time) (issue.Issue, error) {
	_, reporter := s.someone()
	body := map[string]any{"title": fmt.Sprintf("Seeded issue from day %d", d+1),
		"priority": issue.Priorities[s.rng.IntN(len(issue.Priorities))], "type": issue.Types[s.rng.IntN(len(issue.Types))]}
	switch x := s.rng.IntN(3); {
	case x == 0 && s.team != "":
		body["team_id"] = s.team
	case x == 1:
		assignee, _ := s.someone()
		body["assignee_id"] = assignee.ID
	}
	s.set(at)
	var i issue.Issue
	err := s.c.do(ctx, reporter, "POST", "/v1/issues", body, &i)
	return i, err
}

// work moves a new issue along: up to four steps, each a comment or a
// transition (most work gets closed), never past the end of the history.
func (s *historySim) work(ctx context.Context, i issue.Issue, at time.Time) error {
	status := issue.Open
	for step := 0; step < 4 && s.rng.IntN(5) > 0; step++ {
		at = at.Add(time.Duration(s.rng.Int64N(int64(36 * time.Hour))))
		if at.After(s.h.Now) {
			return nil
		}
		_, actor := s.someone()
		s.set(at)
		if s.rng.IntN(3) == 0 {
			if err := s.c.do(ctx, actor, "POST", "/v1/issues/"+i.ID+"/comments", map[string]any{"body": "Looking into it."}, nil); err != nil {
				return err
			}
			continue
		}
		next := issue.Next(status)
		to := next[s.rng.IntN(len(next))]
		if status != issue.Closed && s.rng.IntN(2) == 0 {
			to = issue.Closed
		}
		if err := s.c.do(ctx, actor, "POST", "/v1/issues/"+i.ID+"/transitions", map[string]any{"to": to}, nil); err != nil {
			return err
		}
		status = to
	}
	return nil
}

// caller invokes function handlers in-process, as the gateway does.
type caller struct {
	deps app.Deps
	mu   sync.Mutex
	fns  map[routes.Function]*lambdahttp.Adapter
}

func (c *caller) do(ctx context.Context, p tenancy.Principal, method, path string, body, out any) error {
	u, _ := url.Parse(path)
	rt, params, ok := routes.Match(method, u.Path)
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
		ad = lambdahttp.New(h, c.deps.CORSOrigins)
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

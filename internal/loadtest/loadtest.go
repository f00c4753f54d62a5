// Package loadtest is the load generator of `make load`, `make soak` and
// `make chaos`: simulated users of several tenants of different tiers run a
// mixed workload (reads, lists, search, creates, updates with If-Match,
// comments) through the local platform's gateway with vegeta, then the same
// operations' DynamoDB calls run raw at the same concurrency against the same
// DynamoDB Local, so the platform's throughput reads as a ratio of the
// database's. Every write acknowledged is kept in a Ledger and read back.
package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tiers"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/sync/errgroup"
)

// Tenant is a load tenant: pooled, of one tier, with Users simulated users.
type Tenant struct {
	ID    string
	Tier  tiers.Name
	Users int
}

// DefaultTenants are one tenant per pooled tier (Platinum's dedicated table
// would need a CDK synth per run; its request path is the same code).
var DefaultTenants = []Tenant{
	{ID: "load-basic", Tier: tiers.Basic, Users: 3},
	{ID: "load-standard", Tier: tiers.Standard, Users: 3},
	{ID: "load-premium", Tier: tiers.Premium, Users: 3},
}

// RawName is the name of the raw DynamoDB phase.
const RawName = "raw DynamoDB"

// Config of a load run.
type Config struct {
	Platform devstack.Platform
	Tenants  []Tenant // DefaultTenants when empty
	Mix      Mix      // DefaultMix when nil
	Workers  int      // concurrent clients in all, shared out among the tenants
	Duration time.Duration
	// Preload issues per tenant before the run, so reads have targets.
	Preload int
	// Timeout of one request (vegeta's client).
	Timeout time.Duration
}

// Load is a prepared run: tenants seeded, users signed in, issues preloaded.
type Load struct {
	cfg    Config
	states []*tenantState
	Ledger *Ledger
	client *http.Client
}

type workload struct {
	base string
	mix  Mix
}

// Prepare seeds the load tenants and their users (idempotent), signs every
// user in and preloads issues.
func Prepare(ctx context.Context, cfg Config) (*Load, error) {
	if len(cfg.Tenants) == 0 {
		cfg.Tenants = DefaultTenants
	}
	if cfg.Mix == nil {
		cfg.Mix = DefaultMix
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	pl := cfg.Platform
	e := awsx.Endpoints{DynamoDB: pl.DynamoDBEndpoint, Cognito: pl.CognitoEndpoint, S3: pl.S3Endpoint}
	awsCfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	db, cog := awsx.DynamoDB(awsCfg, e), cognito.NewClient(awsCfg, e)
	pools := cognito.Pools{C: cog}
	l := &Load{cfg: cfg, Ledger: newLedger(), client: newClient(cfg.Workers, cfg.Timeout)}
	for _, t := range cfg.Tenants {
		dt := devstack.DemoTenant{ID: t.ID, Name: "Load " + string(t.Tier), Tier: t.Tier}
		for u := range t.Users {
			dt.Users = append(dt.Users, devstack.DemoUser{Email: fmt.Sprintf("user%d@%s.test", u+1, t.ID), Role: roles.User, TenantID: t.ID})
		}
		if err := devstack.SeedTenant(ctx, db, cog, pl, dt); err != nil {
			return nil, fmt.Errorf("seed %s: %w", t.ID, err)
		}
		var tokens []string
		for _, u := range dt.Users {
			tok, err := cognitotest.PasswordLogin(ctx, pools.C, pl.TenantClientID, u.Email, devstack.DemoPassword)
			if err != nil {
				return nil, fmt.Errorf("sign in %s: %w", u.Email, err)
			}
			tokens = append(tokens, tok.IDToken)
		}
		l.states = append(l.states, newTenantState(t, tokens))
	}
	if err := l.preload(ctx, cfg.Preload); err != nil {
		return nil, err
	}
	return l, nil
}

func newClient(workers int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: workers + 8, MaxIdleConns: workers + 8, IdleConnTimeout: 90 * time.Second,
	}}
}

// preload creates n issues per tenant through the API (they join the ledger).
func (l *Load) preload(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	w := workload{base: l.cfg.Platform.GatewayURL, mix: Mix{OpCreate: 1}}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, ts := range l.states {
		next := w.targeter(ts)
		for range n {
			g.Go(func() error {
				var t vegeta.Target
				_ = next(&t)
				status, body, err := l.createWithRetries(ctx, t)
				if err != nil {
					return fmt.Errorf("preload %s: %w", ts.spec.ID, err)
				}
				if status != http.StatusCreated {
					return fmt.Errorf("preload %s: status %d: %s", ts.spec.ID, status, body)
				}
				l.record(OpCreate, ts, status, body, t.URL, time.Now(), "")
				return nil
			})
		}
	}
	return g.Wait()
}

// preloadTries bounds createWithRetries: a freshly started DynamoDB Local
// on a busy machine can keep a create past the gateway's 29 s (504).
const preloadTries = 4

// preloadBackoff is the first wait between tries (doubled each time).
var preloadBackoff = time.Second

// createWithRetries sends t, and again (the same Idempotency-Key, so one
// issue at most) after a transport error or a 429, 503 or 504, as a client
// that retries should; backing off 1 s, 2 s, 4 s.
func (l *Load) createWithRetries(ctx context.Context, t vegeta.Target) (int, json.RawMessage, error) {
	var last error
	for try := range preloadTries {
		if try > 0 {
			select {
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			case <-time.After(preloadBackoff << (try - 1)):
			}
		}
		req, err := t.Request()
		if err != nil {
			return 0, nil, err
		}
		res, err := l.client.Do(req.WithContext(ctx))
		if err != nil {
			last = err
			continue
		}
		var body json.RawMessage
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			last = fmt.Errorf("status %d: %s", res.StatusCode, body)
			continue
		}
		return res.StatusCode, body, nil
	}
	return 0, nil, fmt.Errorf("%d tries: %w", preloadTries, last)
}

// record keeps what a 2xx answer acknowledged and what it taught the
// workload (issue ids, versions).
func (l *Load) record(op Op, ts *tenantState, status int, body []byte, u string, at time.Time, requestID string) {
	if op == OpRead && status == http.StatusNotFound {
		_, id, _ := strings.Cut(strings.SplitN(u, "#", 2)[0], "/v1/issues/") // the gateway's or the floor's
		l.Ledger.readNotFound(ts.spec.ID, id)
	}
	if status < 200 || status > 299 {
		return
	}
	if op == OpRead && l.cfg.Mix[OpUpdate] == 0 {
		// A read teaches the workload the issue's version, which only an
		// update's If-Match uses: with no update in the mix the answer is
		// not decoded a second time (the raw phase's read records nothing
		// either; with updates both sides record the version they read).
		return
	}
	switch op {
	case OpCreate, OpUpdate, OpRead:
		var i struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		if json.Unmarshal(body, &i) != nil || i.ID == "" {
			return
		}
		ts.add(i.ID, i.Version)
		if op != OpRead {
			l.Ledger.issue(Ack{At: at, Op: op, Tenant: ts.spec.ID, Issue: i.ID, Version: i.Version, RequestID: requestID, Status: status})
		}
	case OpComment:
		var c struct {
			ID      string `json:"id"`
			IssueID string `json:"issue_id"`
		}
		if json.Unmarshal(body, &c) == nil && c.ID != "" {
			l.Ledger.comment(Ack{At: at, Op: op, Tenant: ts.spec.ID, Issue: c.IssueID, Comment: c.ID, RequestID: requestID, Status: status})
		}
	}
}

// Tokens are one signed-in user's token per tenant (Verify).
func (l *Load) Tokens() map[string]string {
	out := map[string]string{}
	for _, ts := range l.states {
		out[ts.spec.ID] = ts.tokens[0]
	}
	return out
}

// Verify reads the ledger back through the API.
func (l *Load) Verify(ctx context.Context) (Verification, error) {
	return l.Ledger.Verify(ctx, l.client, l.cfg.Platform.GatewayURL, l.Tokens())
}

// Platform runs the mixed workload through the gateway for d (the
// configured Duration when zero) with the configured workers, shared out
// among the tenants (at least one each). It stops early when ctx ends.
func (l *Load) Platform(ctx context.Context, d time.Duration) *Stats {
	return l.attack(ctx, d, "platform", l.cfg.Platform.GatewayURL, false)
}

// FloorName is the name of the floor's phase.
const FloorName = "floor"

// Floor runs the reads of the workload (GET /v1/issues/{id}: the only
// route the floor answers) against the floor at url, as Platform runs
// them through the gateway: the same workers, users and issues.
func (l *Load) Floor(ctx context.Context, d time.Duration, url string) *Stats {
	return l.attack(ctx, d, FloorName, url, false)
}

// HopName is the name of the hop's phase.
const HopName = "hop"

// HopIssue is the issue id of the hop's requests: one the issue store
// refuses as malformed before any DynamoDB call (issue.ValidID), so GET
// /v1/issues/~hop takes the whole gateway path (usage plan, cached
// authorizer result, route guard, the function's middleware and handler)
// and answers 404 issue_not_found without the database.
const HopIssue = "~hop"

// Hop runs GET /v1/issues/~hop through the gateway with the workload's
// workers and users: what the HTTP hop and the gateway cost with no
// DynamoDB call. Its answers are 404s; nothing is recorded.
func (l *Load) Hop(ctx context.Context, d time.Duration) *Stats {
	return l.attack(ctx, d, HopName, l.cfg.Platform.GatewayURL, true)
}

// attack runs the workload (or, with hop, the hop's reads) against base.
func (l *Load) attack(ctx context.Context, d time.Duration, name, base string, hop bool) *Stats {
	if d == 0 {
		d = l.cfg.Duration
	}
	st := newStats(name, l.cfg.Workers)
	w := workload{base: base, mix: l.cfg.Mix}
	var wg sync.WaitGroup
	start := time.Now()
	for i, ts := range l.states {
		n := l.cfg.Workers / len(l.states)
		if i < l.cfg.Workers%len(l.states) {
			n++
		}
		n = max(n, 1)
		a := vegeta.NewAttacker(vegeta.Client(l.client), vegeta.Workers(uint64(n)), vegeta.MaxWorkers(uint64(n)))
		next := w.targeter(ts)
		if hop {
			next = w.hopTargeter(ts)
		}
		// No attack name: vegeta sends a named attack's name as a request
		// header (X-Vegeta-Attack) that the raw phase has no counterpart
		// of; each attacker is one tenant's, so its results know their tier.
		res := a.Attack(next, vegeta.ConstantPacer{Freq: 0, Per: time.Second}, d, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { a.Stop() })
			defer stop()
			for r := range res {
				op, _, _ := untag(r.URL)
				st.add(op, string(ts.spec.Tier), int(r.Code), r.Latency, r.Body, r.Error)
				if !hop {
					l.record(op, ts, int(r.Code), r.Body, r.URL, r.End(), r.Headers.Get("X-Request-Id"))
				}
			}
		}()
	}
	wg.Wait()
	st.Duration = time.Since(start)
	st.close()
	return st
}

// KnownIssue is an issue of the last tenant (the highest tier) the load
// has seen, with its tenant's id.
func (l *Load) KnownIssue() (tenant, id string) {
	ts := l.states[len(l.states)-1]
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if len(ts.issues) == 0 {
		return ts.spec.ID, ""
	}
	return ts.spec.ID, ts.issues[0].id
}

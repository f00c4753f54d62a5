package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/oklog/ulid/v2"
)

// Raw runs the same mix of operations as Platform, for the same tenants and
// workers, as the DynamoDB calls the issue handlers make (the issue store,
// issuedb, called directly with the SDK client the platform uses): no HTTP,
// gateway, authorizer, idempotency record or JSON. Platform throughput over
// Raw throughput is what the rest of the request path costs.
func (l *Load) Raw(ctx context.Context, d time.Duration) (*Stats, error) {
	if d == 0 {
		d = l.cfg.Duration
	}
	pl := l.cfg.Platform
	e := awsx.Endpoints{DynamoDB: pl.DynamoDBEndpoint, Cognito: pl.CognitoEndpoint}
	awsCfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	keys, err := list.StaticKey(strings.Repeat("raw-load-cursor-key-", 3))
	if err != nil {
		return nil, err
	}
	r := rawRunner{s: issuedb.Store{DB: awsx.DynamoDB(awsCfg, e), Cursors: list.Codec{Keys: keys}, SDKDecode: true},
		table: schema.Names{Prefix: pl.Prefix}.App(), mix: l.cfg.Mix}
	st := newStats(RawName, l.cfg.Workers)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i, ts := range l.states {
		n := l.cfg.Workers / len(l.states)
		if i < l.cfg.Workers%len(l.states) {
			n++
		}
		for range max(n, 1) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
				for ctx.Err() == nil {
					op := r.mix.pick(rnd)
					t0 := time.Now()
					err := r.do(ctx, op, ts, rnd)
					if ctx.Err() != nil {
						return // the run ended mid-call: not an answer
					}
					status, msg := 200, ""
					switch {
					case errs.Is(err, errs.KindPreconditionFailed):
						status = 412
					case err != nil:
						status, msg = 0, err.Error()
					}
					st.add(op, string(ts.spec.Tier), status, time.Since(t0), nil, msg)
				}
			}()
		}
	}
	wg.Wait()
	st.Duration = time.Since(start)
	st.close()
	return st, nil
}

type rawRunner struct {
	s     issuedb.Store
	table string
	mix   Mix
}

func (r rawRunner) do(ctx context.Context, op Op, ts *tenantState, rnd *rand.Rand) error {
	tenant := ts.spec.ID
	sc := tenancy.Scope{Table: r.table, TenantID: tenant}
	k := ts.random(rnd)
	if k == nil && op != OpList && op != OpSearch {
		op = OpCreate
	}
	now := time.Now().UTC()
	switch op {
	case OpRead:
		i, err := r.s.Get(ctx, sc, k.id)
		if err == nil && r.mix[OpUpdate] > 0 {
			seen(k, i.Version) // as the platform phase learns it from the answer
		}
		return err
	case OpList:
		_, _, err := r.s.List(ctx, sc, issue.ListQuery{Sort: issue.SortUpdated, Desc: true, Limit: 25})
		return err
	case OpSearch:
		hits, _, err := r.s.WordHits(ctx, sc, words[rnd.IntN(len(words))])
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(hits))
		for id := range hits {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return cmp.Or(hits[b]-hits[a], strings.Compare(b, a)) })
		_, err = r.s.GetMany(ctx, sc, ids[:min(len(ids), 200)])
		return err
	case OpCreate:
		n, err := r.s.NextNumber(ctx, sc, issue.DefaultProjectID)
		if err != nil {
			return err
		}
		i := issue.Issue{ID: ulid.Make().String(), Number: n, Key: issue.FormatKey(tenant, n), TenantID: tenant,
			Title: fmt.Sprintf("load %s %d", words[rnd.IntN(len(words))], rnd.IntN(1e6)), Description: "Created by the load generator.\nSecond line.",
			Type: issue.Task, Priority: issue.Priorities[rnd.IntN(len(issue.Priorities))], Status: issue.Open,
			Category: issue.CategoryOf(issue.Open), Labels: []string{}, Mentions: []issue.Mention{}, ReporterID: "load",
			CreatedAt: now, UpdatedAt: now, Version: 1}
		h := issue.StatusChange{ID: ulid.Make().String(), IssueID: i.ID, To: i.Status, Category: i.Category, ActorID: "load", At: now}
		a := issue.Activity{ID: ulid.Make().String(), IssueID: i.ID, ActorID: "load", At: now, Action: "created", Changes: []issue.Change{}}
		if err := r.s.Create(ctx, sc, i, h, a); err != nil {
			return err
		}
		ts.add(i.ID, 1)
		return nil
	case OpUpdate:
		old, err := r.s.Get(ctx, sc, k.id)
		if err != nil {
			return err
		}
		var p issue.Patch
		if err := json.Unmarshal(mustJSON(map[string]any{"priority": issue.Priorities[rnd.IntN(len(issue.Priorities))],
			"title": fmt.Sprintf("load %s %d (edited)", words[rnd.IntN(len(words))], rnd.IntN(1e6))}), &p); err != nil {
			return err
		}
		cur := old
		ch, err := p.Apply(&cur, now)
		if err != nil || len(ch) == 0 {
			return err
		}
		cur.Version, cur.UpdatedAt = old.Version+1, now
		a := issue.Activity{ID: ulid.Make().String(), IssueID: cur.ID, ActorID: "load", At: now, Action: "updated", Changes: ch}
		if err := r.s.Update(ctx, sc, old, cur, a, nil, nil); err != nil {
			return err
		}
		seen(k, cur.Version)
		return nil
	case OpComment:
		if _, err := r.s.Get(ctx, sc, k.id); err != nil {
			return err
		}
		return r.s.AddComment(ctx, sc, issue.Comment{ID: ulid.Make().String(), IssueID: k.id, AuthorID: "load",
			Body: "A comment from the load generator: " + words[rnd.IntN(len(words))], Mentions: []issue.Mention{}, CreatedAt: now, UpdatedAt: now})
	}
	return fmt.Errorf("unknown op %q", op)
}

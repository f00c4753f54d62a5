package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/issuetracker/issuetracker/internal/localcloud"
)

var httpClient = &http.Client{Timeout: 60 * time.Second}

// answer is one probe's outcome.
type answer struct {
	status     int
	problem    bool // problem+json
	retryAfter string
	code       string
	took       time.Duration
	err        error
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("no answer after %s: %v", a.took.Round(time.Millisecond), a.err)
	}
	return fmt.Sprintf("%d %s (Retry-After %q) in %s", a.status, a.code, a.retryAfter, a.took.Round(time.Millisecond))
}

func probe(ctx context.Context, url, token string) answer {
	a, _ := tenantClient{token: token}.do(ctx, http.MethodGet, url, nil)
	return a
}

// checkLoad fails on any 5xx but a 503 and on any request left unanswered.
func (r *rig) checkLoad(st *loadtest.Stats) {
	st.Print(os.Stdout)
	for s, n := range st.Status {
		if s >= 500 && s != 503 {
			r.fail("the load got %d answers with status %d", n, s)
		}
	}
	if len(st.Transport) > 0 {
		r.fail("the load got no answer to some requests: %v", st.Transport)
	}
}

func (r *rig) dynamoKill(ctx context.Context, l *loadtest.Load) error {
	tenant, id := l.KnownIssue()
	token := l.Tokens()[tenant]
	url := r.pl.GatewayURL + "/v1/issues/" + id
	var st *loadtest.Stats
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); st = l.Platform(ctx, 30*time.Second) }()
	ctl, err := startControl(ctx, r.ddb.Endpoint, fmt.Sprintf("chaos-control-%d", len(r.dbKills)+1))
	if err != nil {
		return err
	}
	time.Sleep(6 * time.Second)
	r.ddb.Kill()
	killed := time.Now()
	r.dbKills = append(r.dbKills, killed)
	ctl.halt()
	fmt.Println("   DynamoDB Local killed (SIGKILL) under load")
	var during []answer
	for time.Since(killed) < 8*time.Second {
		during = append(during, probe(ctx, url, token))
	}
	// A JVM on a machine at load average 35 can miss the 60 s start
	// deadline: try again before giving up.
	for try := 1; ; try++ {
		if r.ddb, err = localcloud.DynamoDBLocal(ctx, r.ddbOpts); err == nil {
			break
		} else if try == 3 || ctx.Err() != nil {
			return fmt.Errorf("restart DynamoDB Local: %w", err)
		}
		fmt.Printf("   restart %d of DynamoDB Local: %v; again\n", try, err)
	}
	restarted := time.Now()
	fmt.Printf("   restarted on its data after %s\n", restarted.Sub(killed).Round(100*time.Millisecond))
	byStatus := map[string]int{}
	for _, a := range during {
		byStatus[fmt.Sprintf("%d %s", a.status, a.code)]++
		if a.err != nil || a.status != 503 || !a.problem || a.retryAfter == "" {
			r.fail("during the outage: %s, want 503 problem+json with Retry-After", a)
		}
	}
	fmt.Printf("   probes during the outage: %v, slowest %s\n", byStatus, slowest(during))
	for {
		a := probe(ctx, url, token)
		if a.status == 200 {
			fmt.Printf("   the platform answers again %s after the restart (no platform restart)\n", time.Since(restarted).Round(100*time.Millisecond))
			break
		}
		if time.Since(restarted) > 60*time.Second {
			r.fail("no recovery within 60 s of the restart: %s", a)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	wg.Wait()
	r.checkLoad(st)
	v, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Println("  ", v)
	cl, ca, err := ctl.lost(ctx, killed)
	if err != nil {
		return err
	}
	fmt.Printf("   control, DynamoDB Local alone: %d writers, %d transactions acknowledged, %d counters found behind their acknowledged value\n", controlWriters, ca, cl)
	rep := r.classify(v, cl)
	notFound := r.checkNotFound(l, rep)
	c, u, m := l.Ledger.Counts()
	r.kills.add(v, c+u+m, len(rep.db), len(rep.platform), ca, cl, notFound)
	return nil
}

// killTotals add up the DynamoDB kills of a run.
type killTotals struct {
	runs, acked, checked, dbLost, platformLost, notFound int
	controlAcked                                         int64
	controlLost                                          int
}

func (k *killTotals) add(v loadtest.Verification, acked, dbLost, platformLost int, ca int64, cl, notFound int) {
	k.runs++
	k.acked, k.checked = acked, v.Issues+v.Comments
	k.dbLost += dbLost
	k.platformLost += platformLost
	k.controlAcked += ca
	k.controlLost += cl
	k.notFound = notFound
}

func (k killTotals) String() string {
	return fmt.Sprintf("%d kills: %d writes acknowledged (creates, updates, comments), %d issues and comments read back after the last; lost by the platform %d, by DynamoDB Local %d; reads answered 404 %d; control %d transactions acknowledged, %d counters behind",
		k.runs, k.acked, k.checked, k.platformLost, k.dbLost, k.notFound, k.controlAcked, k.controlLost)
}

// dynamoKills is CHAOS_DB_KILLS=n: the DynamoDB kill scenario n times in a
// row on one platform and one ledger (each verification reads back every
// write acknowledged since the start, so a write is checked across every
// later kill too).
func (r *rig) dynamoKills(ctx context.Context, l *loadtest.Load, n int) error {
	for i := range n {
		fmt.Printf("== DynamoDB Local SIGKILLed mid-load, restarted on its data (%d of %d)\n", i+1, n)
		start := time.Now()
		if err := r.dynamoKill(ctx, l); err != nil {
			return err
		}
		fmt.Printf("   (%s) so far: %s\n\n", time.Since(start).Round(100*time.Millisecond), r.kills)
	}
	fmt.Println(r.kills)
	if len(r.failures) > 0 {
		return fmt.Errorf("%d failures", len(r.failures))
	}
	fmt.Println("PASS")
	return nil
}

func slowest(as []answer) time.Duration {
	var m time.Duration
	for _, a := range as {
		m = max(m, a.took)
	}
	return m.Round(time.Millisecond)
}

func (r *rig) latency(ctx context.Context, l *loadtest.Load) error {
	tenant, id := l.KnownIssue()
	token := l.Tokens()[tenant]
	const injected = 12 * time.Second // more than an SDK attempt's timeout (awsx.AttemptTimeout)
	r.proxy.SetLatency(injected)
	fmt.Printf("   %s injected on every chunk between the platform and DynamoDB\n", injected)
	answers := make([]answer, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = probe(ctx, r.pl.GatewayURL+"/v1/issues/"+id, token) }()
	}
	wg.Wait()
	r.proxy.SetLatency(0)
	sort.Slice(answers, func(i, j int) bool { return answers[i].took < answers[j].took })
	for _, a := range answers {
		fmt.Println("   ", a)
		if a.err != nil || (a.status != 503 && a.status != 504) || !a.problem {
			r.fail("under latency: %s, want a 503 or 504 problem", a)
		}
		if a.took > 35*time.Second {
			r.fail("under latency a request took %s: the deadline (29 s) did not hold", a.took)
		}
	}
	for start := time.Now(); ; time.Sleep(250 * time.Millisecond) {
		if a := probe(ctx, r.pl.GatewayURL+"/v1/issues/"+id, token); a.status == 200 {
			break
		} else if time.Since(start) > 30*time.Second {
			r.fail("no recovery within 30 s of removing the latency: %s", a)
			break
		}
	}
	fmt.Println("   latency removed; the platform answers again")
	return nil
}

func (r *rig) cognitoDown(ctx context.Context, l *loadtest.Load) error {
	awsCfg, err := awsconfig.Load(ctx, awsx.Endpoints{Cognito: r.cog.Endpoint})
	if err != nil {
		return err
	}
	pools := cognito.Pools{C: cognito.NewClient(awsCfg, awsx.Endpoints{Cognito: r.cog.Endpoint})}
	email := "user2@" + loadtest.DefaultTenants[2].ID + ".test"
	tok, err := cognitotest.PasswordLogin(ctx, pools.C, r.pl.TenantClientID, email, devstack.DemoPassword)
	if err != nil {
		return err
	}
	r.cog.Kill()
	fmt.Println("   cognito-local killed; a token issued before, never used yet:")
	a := probe(ctx, r.pl.GatewayURL+"/v1/issues?limit=5", tok.IDToken)
	fmt.Println("    GET /v1/issues:", a)
	if a.status != 200 {
		r.fail("a token issued before cognito-local went down: %s, want 200 (JWKS cache)", a)
	}
	a = probe(ctx, r.pl.GatewayURL+"/v1/me", tok.IDToken)
	fmt.Println("    GET /v1/me:", a)
	if a.err != nil || (a.status != 200 && a.status != 503) {
		r.fail("GET /v1/me with cognito-local down: %s, want 200 or 503", a)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = cognitotest.PasswordLogin(sctx, pools.C, r.pl.TenantClientID, email, devstack.DemoPassword)
	cancel()
	fmt.Printf("    sign-in: %v\n", err)
	if err == nil {
		r.fail("sign-in succeeded with cognito-local down")
	}
	if r.cog, err = localcloud.CognitoLocal(ctx, r.cogOpts); err != nil {
		return fmt.Errorf("restart cognito-local: %w", err)
	}
	if _, err := cognitotest.PasswordLogin(ctx, pools.C, r.pl.TenantClientID, email, devstack.DemoPassword); err != nil {
		r.fail("sign-in after cognito-local is back: %v", err)
	} else {
		fmt.Println("   cognito-local restarted on its data; sign-in works again")
	}
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/issuetracker/issuetracker/internal/localcloud"
)

// platformKill SIGKILLs the platform process (`issuetracker dev`, as a
// crash or the OOM killer would) while the load runs and while a Basic
// company's onboarding is half done, then starts it again on the same
// state. It must hold that:
//   - the services the platform started (mailpit, stripe-mock; this suite
//     runs DynamoDB Local, cognito-local and the local S3 itself) died
//     with it, so the restart finds their ports free;
//   - every write acknowledged before the kill is there (the ledger);
//   - the tenant is never active half-made: it stays provisioning until
//     the restarted platform resumes the run (after its lease), which
//     ends active, its admin created once.
func (r *rig) platformKill(ctx context.Context, l *loadtest.Load) error {
	slug := "chaos" + strconv.FormatInt(time.Now().Unix()%1000000, 10)
	email := "owner@" + slug + ".test"
	var signedUp struct {
		StatusToken string `json:"status_token"`
	}
	st, err := anonJSON(ctx, "POST", r.pl.GatewayURL+"/v1/registrations", map[string]string{"company_name": "Chaos " + slug,
		"slug": slug, "admin_email": email, "tier": "basic"}, &signedUp, "Idempotency-Key", "chaos-"+slug)
	if err != nil || st != http.StatusAccepted {
		return fmt.Errorf("register %s: %d %v", slug, st, err)
	}
	code, err := r.verificationCode(ctx, email)
	if err != nil {
		return err
	}

	var stats *loadtest.Stats
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); stats = l.Platform(ctx, 20*time.Second) }()
	time.Sleep(4 * time.Second)

	// Slow the database down so that the onboarding run is in the middle of
	// its steps when the platform dies.
	r.proxy.SetLatency(150 * time.Millisecond)
	if st, err := anonJSON(ctx, "POST", r.pl.GatewayURL+"/v1/registrations/"+slug+"/verify?token="+url.QueryEscape(signedUp.StatusToken), map[string]string{"code": code}, nil); err != nil || st != http.StatusOK {
		r.proxy.SetLatency(0)
		return fmt.Errorf("verify %s: %d %v", slug, st, err)
	}
	var before registration
	for deadline := time.Now().Add(30 * time.Second); ; {
		before, _ = r.registration(ctx, slug, signedUp.StatusToken)
		if before.done() > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mailUI, _ := strconv.Atoi(env("MAIL_UI_PORT", "8031"))
	stripe, _ := strconv.Atoi(env("STRIPE_PORT", "12115"))
	_ = r.dev.Process.Kill()
	_ = r.dev.Wait()
	killed := time.Now()
	r.proxy.SetLatency(0)
	fmt.Printf("   platform killed (SIGKILL) under load; %s's onboarding was %s with %d of %d steps done\n", slug, before.Status, before.done(), len(before.Steps))
	if before.Status == "active" || before.done() == len(before.Steps) {
		r.fail("the onboarding finished before the kill (%d of %d steps): the scenario proves nothing; slow it down", before.done(), len(before.Steps))
	}
	for name, port := range map[string]int{"mailpit": mailUI, "stripe-mock": stripe} {
		for !localcloud.PortFree(port) && time.Since(killed) < 10*time.Second {
			time.Sleep(100 * time.Millisecond)
		}
		if !localcloud.PortFree(port) {
			r.fail("%s outlived the killed platform (port %d still taken)", name, port)
		}
	}
	time.Sleep(time.Second) // requests of the load meet a dead platform
	if err := r.startPlatform(ctx); err != nil {
		return fmt.Errorf("restart the platform: %w", err)
	}
	restarted := time.Now()
	fmt.Printf("   restarted on its state after %s\n", restarted.Sub(killed).Round(100*time.Millisecond))
	wg.Wait()
	stats.Print(os.Stdout)
	for s, n := range stats.Status {
		if s >= 500 && s != 503 {
			r.fail("the load got %d answers with status %d", n, s)
		}
	}
	unanswered := 0
	for _, n := range stats.Transport {
		unanswered += n
	}
	// None of these was acknowledged: the ledger holds only 2xx answers. The
	// ones in flight at the kill end with EOF, the rest are refused.
	fmt.Printf("   requests without an answer around the kill: %d %v\n", unanswered, stats.Transport)

	var after registration
	for {
		after, err = r.registration(ctx, slug, signedUp.StatusToken)
		if err == nil && after.Status == "active" {
			fmt.Printf("   the onboarding was resumed and %s is active %s after the restart (lease %s)\n", slug, time.Since(restarted).Round(100*time.Millisecond), chaosOnboardingLease)
			break
		}
		if time.Since(restarted) > 90*time.Second {
			r.fail("%s not active 90 s after the restart: %+v %v", slug, after, err)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if st, err := anonJSON(ctx, "GET", r.pl.GatewayURL+"/v1/workspaces/"+slug, nil, nil); err != nil || st != http.StatusOK {
		r.fail("GET /v1/workspaces/%s after the resumed onboarding: %d %v", slug, st, err)
	}
	if n, err := r.usersWithEmail(ctx, email); err != nil {
		return err
	} else if n != 1 {
		r.fail("%s's admin exists %d times in the user pool, want once", slug, n)
	} else {
		fmt.Printf("   %s's admin exists once in the user pool\n", slug)
	}
	v, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Println("  ", v)
	// A loss the database kill before caused is reported there already;
	// anything else is the platform's.
	r.classify(v, 0)
	return nil
}

type registration struct {
	Status string `json:"status"`
	Steps  []struct {
		Step  string `json:"step"`
		State string `json:"state"`
	} `json:"steps"`
}

func (g registration) done() int {
	n := 0
	for _, s := range g.Steps {
		if s.State == "done" {
			n++
		}
	}
	return n
}

func (r *rig) registration(ctx context.Context, slug, token string) (registration, error) {
	var g registration
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.pl.GatewayURL+"/v1/registrations/"+slug+"?token="+url.QueryEscape(token), nil)
	res, err := httpClient.Do(req)
	if err != nil {
		return g, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return g, fmt.Errorf("GET /v1/registrations/%s: %s", slug, res.Status)
	}
	return g, json.NewDecoder(res.Body).Decode(&g)
}

// anonJSON sends a public request with a JSON body and header pairs,
// decodes the answer into out (unless nil) and returns the status.
func anonJSON(ctx context.Context, method, u string, body, out any, header ...string) (int, error) {
	a, b := tenantClient{}.do(ctx, method, u, body, header...)
	if a.err != nil {
		return 0, a.err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return a.status, err
		}
	}
	return a.status, nil
}

var codeRE = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// verificationCode reads the newest verification code mailed to email
// from the platform's mailpit (its HTTP API).
func (r *rig) verificationCode(ctx context.Context, email string) (string, error) {
	api := strings.TrimRight(r.pl.MailUIURL, "/")
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list struct {
			Messages []struct {
				ID string `json:"ID"`
			} `json:"messages"`
		}
		if err := getJSON(ctx, api+"/api/v1/search?query="+url.QueryEscape("to:"+email), &list); err == nil && len(list.Messages) > 0 {
			var m struct {
				Text string `json:"Text"`
			}
			if err := getJSON(ctx, api+"/api/v1/message/"+list.Messages[0].ID, &m); err != nil {
				return "", err
			}
			if g := codeRE.FindStringSubmatch(m.Text); g != nil {
				return g[1], nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no verification code for %s in mailpit (%s) within 20 s", email, api)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getJSON(ctx context.Context, u string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// usersWithEmail counts the users of the tenants' pool with this email.
func (r *rig) usersWithEmail(ctx context.Context, email string) (int, error) {
	e := awsx.Endpoints{Cognito: r.cog.Endpoint}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return 0, err
	}
	c := cognito.NewClient(cfg, e)
	out, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(r.pl.TenantPoolID), Filter: aws.String(fmt.Sprintf("email = %q", email))})
	if err != nil {
		return 0, err
	}
	return len(out.Users), nil
}

// Command chaos is `make chaos`: fault injection against a local platform,
// bounded in time. It owns DynamoDB Local (on disk, -dbPath) and
// cognito-local, puts a TCP proxy between the platform and DynamoDB Local,
// starts `issuetracker dev` on them and, under the load generator's mixed
// workload:
//
//  1. SIGKILLs DynamoDB Local mid-load and restarts it on its data: every
//     write the load saw acknowledged must be there afterwards, requests
//     during the outage must get 503 problem+json with Retry-After (never a
//     500, never a hang), and the platform recovers without a restart;
//  2. injects latency between the platform and DynamoDB: every request ends
//     within the gateway's deadline, and no goroutine is left behind;
//  3. stops cognito-local: sign-in fails clearly, tokens already issued keep
//     working from the JWKS cache, and sign-in works again once it is back.
//
// It exits 1 on any violation.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/issuetracker/issuetracker/internal/chaos"
	"github.com/issuetracker/issuetracker/internal/debugvars"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/issuetracker/issuetracker/internal/localcloud"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envPort(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := setup(ctx)
	if err == nil {
		err = r.run(ctx)
	}
	r.close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

type rig struct {
	root, state string
	log         *os.File
	ddbOpts     localcloud.Options
	cogOpts     localcloud.Options
	ddb, cog    *localcloud.Process
	proxy       *chaos.Proxy
	s3          *localcloud.Process
	s3Proxy     *chaos.Proxy // between the platform (and presigned URLs) and the local S3
	dev         *exec.Cmd
	devEnv      []string
	pl          devstack.Platform
	debugURL    string
	failures    []string
	dbKills     []time.Time     // when DynamoDB Local was SIGKILLed
	reported    map[string]bool // losses already reported
	kills       killTotals
}

func (r *rig) fail(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	fmt.Println("  FAIL", s)
	r.failures = append(r.failures, s)
}

func setup(ctx context.Context) (*rig, error) {
	root, _ := os.Getwd()
	r := &rig{root: root, state: filepath.Join(root, env("CHAOS_STATE", ".local/chaos")), reported: map[string]bool{}}
	if err := os.RemoveAll(r.state); err != nil {
		return r, err
	}
	if err := os.MkdirAll(r.state, 0o755); err != nil {
		return r, err
	}
	var err error
	if r.log, err = os.Create(filepath.Join(r.state, "services.log")); err != nil {
		return r, err
	}
	// DynamoDB Local on disk: a killed process must find its data again.
	r.ddbOpts = localcloud.Options{Root: root, Port: envPort("DYNAMODB_PORT", 8002), DataDir: filepath.Join(r.state, "dynamodb"), Log: r.log}
	r.cogOpts = localcloud.Options{Root: root, Port: envPort("COGNITO_PORT", 9231), DataDir: filepath.Join(r.state, "cognito"), Log: r.log}
	fmt.Println("starting DynamoDB Local (-dbPath), cognito-local, the latency proxy and the platform ...")
	if r.ddb, err = localcloud.DynamoDBLocal(ctx, r.ddbOpts); err != nil {
		return r, err
	}
	if r.cog, err = localcloud.CognitoLocal(ctx, r.cogOpts); err != nil {
		return r, err
	}
	if r.proxy, err = chaos.Listen("127.0.0.1:0", fmt.Sprintf("127.0.0.1:%d", r.ddbOpts.Port)); err != nil {
		return r, err
	}
	// The local S3 too, behind a proxy the S3 scenario closes (the
	// platform's own S3 would be a child whose death stops it).
	if r.s3, err = localcloud.S3(ctx, localcloud.Options{Root: root, Port: envPort("S3_PORT", 4581), DataDir: filepath.Join(r.state, "s3"), Log: r.log}); err != nil {
		return r, err
	}
	if r.s3Proxy, err = chaos.Listen("127.0.0.1:0", strings.TrimPrefix(r.s3.Endpoint, "http://")); err != nil {
		return r, err
	}
	debugAddr := env(envvars.DebugAddr, "127.0.0.1:6062")
	r.debugURL = "http://" + debugAddr + "/debug/vars"
	r.devEnv = append(os.Environ(), envvars.DevState+"="+filepath.Join(r.state, "platform"),
		envvars.DynamoDBEndpoint+"=http://"+r.proxy.Addr(), envvars.CognitoEndpoint+"="+r.cog.Endpoint,
		envvars.S3Endpoint+"=http://"+r.s3Proxy.Addr(),
		"GATEWAY_ADDR="+env("GATEWAY_ADDR", "127.0.0.1:8091"),
		"MAIL_SMTP_PORT="+env("MAIL_SMTP_PORT", "1031"), "MAIL_UI_PORT="+env("MAIL_UI_PORT", "8031"),
		"STRIPE_PORT="+env("STRIPE_PORT", "12115"), envvars.DebugAddr+"="+debugAddr,
		envvars.LocalTierLimits+"="+env(envvars.LocalTierLimits, "*=100000:100000:1000000000"),
		// a run that died with a killed platform is resumed this long
		// after its last step (3 min in make dev)
		envvars.OnboardingLease+"="+chaosOnboardingLease.String())
	return r, r.startPlatform(ctx)
}

// chaosOnboardingLease is the platform's onboarding lease in this suite.
const chaosOnboardingLease = 5 * time.Second

// startPlatform starts `issuetracker dev` on the suite's state (again,
// after a kill) and waits for it to answer.
func (r *rig) startPlatform(ctx context.Context) error {
	devState := filepath.Join(r.state, "platform")
	_ = os.Remove(filepath.Join(devState, "platform.json"))
	r.dev = exec.Command(filepath.Join(r.root, "bin", "issuetracker"), "dev", "-web", "")
	r.dev.Stdout, r.dev.Stderr = r.log, r.log
	r.dev.Env = r.devEnv
	if err := r.dev.Start(); err != nil {
		return fmt.Errorf("start the platform (build bin/issuetracker first): %w", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if pl, err := devstack.ReadPlatform(filepath.Join(devState, "platform.json")); err == nil {
			if _, err := debugvars.Read(ctx, httpClient, r.debugURL); err == nil {
				r.pl = pl
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the platform did not start; see %s", r.log.Name())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (r *rig) close() {
	if r.dev != nil && r.dev.Process != nil {
		_ = r.dev.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = r.dev.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = r.dev.Process.Kill()
		}
	}
	if r.proxy != nil {
		r.proxy.Close()
	}
	if r.s3Proxy != nil {
		r.s3Proxy.Close()
	}
	r.s3.Stop()
	r.cog.Stop()
	r.ddb.Stop()
	if r.log != nil {
		r.log.Close()
	}
}

func (r *rig) run(ctx context.Context) error {
	// CHAOS_MIX: the load's mix ("create=3,update=2,comment=1,read=1" for
	// more writes near each kill); the load's default when empty.
	mix, err := loadtest.ParseMix(os.Getenv("CHAOS_MIX"))
	if err != nil {
		return err
	}
	l, err := loadtest.Prepare(ctx, loadtest.Config{Platform: r.pl, Workers: 8, Preload: 10, Mix: mix})
	if err != nil {
		return err
	}
	// Every acknowledged write, one JSON line each: time, operation,
	// tenant, ids, version, request id (classifying a loss).
	ledgerLog, err := os.Create(filepath.Join(r.state, "ledger.jsonl"))
	if err != nil {
		return err
	}
	defer ledgerLog.Close()
	l.Ledger.Log = ledgerLog
	if n := envPort("CHAOS_DB_KILLS", 0); n > 0 {
		return r.dynamoKills(ctx, l, n)
	}
	base, err := r.idleGoroutines(ctx, l)
	if err != nil {
		return err
	}
	fmt.Printf("platform up; %d goroutines idle\n\n", base)
	for _, sc := range []struct {
		name string
		run  func(context.Context, *loadtest.Load) error
	}{
		{"DynamoDB Local SIGKILLed mid-load, restarted on its data", r.dynamoKill},
		{"latency between the platform and DynamoDB", r.latency},
		{"cognito-local down", r.cognitoDown},
		{"the local S3 down", r.s3Down},
	} {
		fmt.Println("==", sc.name)
		start := time.Now()
		if err := sc.run(ctx, l); err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Printf("   (%s)\n\n", time.Since(start).Round(100*time.Millisecond))
	}
	after, err := r.idleGoroutines(ctx, l)
	if err != nil {
		return err
	}
	fmt.Printf("goroutines idle: %d before the faults, %d after\n", base, after)
	if after > base+loadtest.IdleSlack {
		r.fail("goroutines left behind: %d before, %d after", base, after)
	}
	// Last, as it replaces the platform process: the goroutine count
	// above compares one process before and after its faults.
	const kill = "the platform SIGKILLed mid-load and mid-onboarding, restarted on its state"
	fmt.Println("\n==", kill)
	start := time.Now()
	if err := r.platformKill(ctx, l); err != nil {
		return fmt.Errorf("%s: %w", kill, err)
	}
	fmt.Printf("   (%s)\n\n", time.Since(start).Round(100*time.Millisecond))
	if len(r.failures) > 0 {
		return fmt.Errorf("%d failures", len(r.failures))
	}
	fmt.Println("PASS")
	return nil
}

// idleGoroutines closes the load's connections and reads the platform's
// goroutines once they settle.
func (r *rig) idleGoroutines(ctx context.Context, l *loadtest.Load) (int, error) {
	l.CloseIdle()
	httpClient.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	s, err := debugvars.Read(ctx, httpClient, r.debugURL)
	return s.Goroutines, err
}

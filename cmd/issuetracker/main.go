// Command issuetracker is the developer CLI: `dev` runs the whole platform on
// this machine, `login` prints a token for a demo user, `reset` wipes the
// local state.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"flag"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/debugvars"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/meta"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
)

var usage = `usage: issuetracker <command> [flags]

commands:
  dev                     run the platform locally (DynamoDB Local, cognito-local, mailpit, API gateway, web app)
  login --user EMAIL      print an ID token (--workspace SLUG for any workspace, Platinum included;
                          --new-password, --totp answer the first sign-in and MFA, or are prompted)
  reset                   delete the local platform's state (.local/dev)
  analytics backfill|seed rebuild analytics rollups; seed a backdated demo history
  billing ...             Stripe events for the local platform (local only), price sync (see 'billing' alone)
  openapi                 print the API's OpenAPI document (the web app's client is generated from it)

The state folder is .local/dev unless ` + envvars.DevState + ` names another (the browser tests use their own).
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "dev":
		err = dev(os.Args[2:])
	case "login":
		err = login(context.Background(), os.Args[2:], terminal())
	case "reset":
		err = reset()
	case "openapi":
		err = printOpenAPI()
	case "billing":
		err = billingCmd(context.Background(), os.Args[2:])
	case "analytics":
		err = analyticsCmd(os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "issuetracker:", err)
		os.Exit(1)
	}
}

func stateDir() (string, string, error) {
	root, err := localcloud.RepoRoot()
	if err != nil {
		return "", "", err
	}
	if d := os.Getenv(envvars.DevState); d != "" {
		abs, err := filepath.Abs(d)
		return root, abs, err
	}
	return root, filepath.Join(root, ".local", "dev"), nil
}

func printOpenAPI() error {
	b, err := json.MarshalIndent(meta.Document(), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

// envDuration is the Go duration in k, def if k is unset; a value that is
// no positive duration is an error naming k (a knob mistyped as "6" must
// not silently become the default).
func envDuration(k string, def time.Duration) (time.Duration, error) {
	s := os.Getenv(k)
	if s == "" {
		return def, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive Go duration such as 2s", k, s)
	}
	return v, nil
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// dev runs the local cloud (make dev) until interrupted or until one of its
// services stops.
func dev(args []string) error {
	devstack.UseDevGC() // GOGC 400 unless set (devstack.DevGCPercent)
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	addr := fs.String("addr", envStr("GATEWAY_ADDR", "localhost:8080"), "address of the API gateway")
	web := fs.String("web", envStr(envvars.WebDir, "web/dist"), "the built web app served at / (relative to the repository root)")
	cellsFlag := fs.Int("cells", envInt("CELLS", 1), "1 (default): one platform; 2: cell-1 and cell-2 side by side on the same local services, one tenant directory (cell-2's gateway on CELL2_GATEWAY_ADDR, default localhost:8081; in-process mode only)")
	modeFlag := fs.String("mode", envStr(envvars.DevMode, string(devstack.InProcess)), "in-process (default): every handler in this process behind the route table's gateway, the whole product (Platinum too); template: the synthesized template's functions as Lambda processes behind its API, its schedules and event source mappings")
	_ = fs.Parse(args)
	root, state, err := stateDir()
	if err != nil {
		return err
	}
	logf, err := openServicesLog(state)
	if err != nil {
		return err
	}
	defer logf.Close()

	if os.Getenv(envvars.MetricsLog) == "" { // the functions' EMF metric lines, as CloudWatch would get them
		os.Setenv(envvars.MetricsLog, filepath.Join(state, "metrics.log"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	limits, err := gateway.TierLimitsFromEnv()
	if err != nil {
		return err
	}
	if err := serveDebugVars(ctx); err != nil {
		return err
	}
	mode, err := devstack.ParseMode(*modeFlag)
	if err != nil {
		return err
	}
	var reports io.Writer
	if mode == devstack.FromTemplate { // each invocation's platform.report, as Lambda logs it
		rf, err := os.OpenFile(os.Getenv(envvars.MetricsLog), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer rf.Close()
		reports = rf
	}
	started := time.Now()
	fmt.Printf("starting DynamoDB Local, cognito-local, the local S3, mailpit, stripe-mock and the API gateway (%s mode) ...\n", mode)
	cfg, err := devConfig(mode, root, state, *addr, *web, limits)
	if err != nil {
		return err
	}
	cfg.ReportLog, cfg.Log = reports, logf
	if cfg.Template == "" { // the checked-in synth, or a synth of the edited CDK app
		if cfg.Template, err = devstack.CurrentPlatformTemplate(root, state, os.Stdout); err != nil {
			return err
		}
	}
	if *cellsFlag < 1 || *cellsFlag > 2 || (*cellsFlag == 2 && mode != devstack.InProcess) {
		return fmt.Errorf("CELLS=%d: make dev runs 1 cell, or 2 in the in-process mode", *cellsFlag)
	}
	var second devstack.Config
	if *cellsFlag == 2 {
		cfg, second = twoCells(cfg, state)
	}
	s, err := devstack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer core.FlushMetrics() // after the stack stopped: its last requests' lines
	defer s.Close()
	if err := devstack.WritePlatform(filepath.Join(state, "platform.json"), s.Platform); err != nil {
		return err
	}
	banner(os.Stdout, s.Platform, time.Since(started))
	if mode == devstack.InProcess {
		go func() { // the first Platinum sign-up then skips the CDK build and synth
			if err := s.WarmTenantTemplates(); err != nil {
				fmt.Fprintf(logf, "tenant templates not warmed (a Platinum sign-up will synthesize): %v\n", err)
			}
		}()
	}
	if *cellsFlag == 2 {
		// cell-2 reuses cell-1's services: the same DynamoDB Local, pools
		// service, S3, mail and stripe-mock; its own tables, pools and gateway.
		second.Endpoints = awsx.Endpoints{DynamoDB: s.Platform.DynamoDBEndpoint, Cognito: s.Platform.CognitoEndpoint, S3: s.Platform.S3Endpoint}
		second.Mail = &devstack.MailEndpoints{SMTPAddr: s.Platform.SMTPAddr, UIURL: s.Platform.MailUIURL}
		second.StripeAPIBase = s.Platform.StripeAPIBase
		s2, err := devstack.Start(ctx, second)
		if err != nil {
			return fmt.Errorf("cell-2: %w", err)
		}
		defer s2.Close()
		// Registrations are placed among both cells, a tenant may move
		// between them, and each pool's user-migration trigger is its cell's.
		devstack.LinkCells(s, s2)
		if err := devstack.WritePlatform(filepath.Join(second.StateDir, "platform.json"), s2.Platform); err != nil {
			return err
		}
		fmt.Printf("Cell 2 (tenant directory %s): API %s/v1, tenants: globex; cell 1: acme.\nGET /v1/workspaces/<slug> on either gateway names the tenant's cell, API and pool.\n\n", second.Directory, s2.Platform.GatewayURL)
	}
	return watch(ctx, s, state)
}

// twoCells splits make dev's configuration into cell-1 (acme) and cell-2
// (globex) on one tenant directory (the base prefix's).
func twoCells(cfg devstack.Config, state string) (one, two devstack.Config) {
	dir := schema.Names{Prefix: schema.DefaultPrefix}.Directory()
	one, two = cfg, cfg
	one.Cell, one.Directory = schema.DefaultCell, dir
	two.Cell, two.Directory = "cell-2", dir
	for _, t := range devstack.Demo.Tenants {
		if t.ID == "globex" {
			two.Tenants = append(two.Tenants, t)
		} else {
			one.Tenants = append(one.Tenants, t)
		}
	}
	two.GatewayAddr = envStr("CELL2_GATEWAY_ADDR", "localhost:8081")
	two.StateDir = filepath.Join(state, "cell-2")
	// cell-1's web app re-sends a registration placed in cell-2 to cell-2's
	// API from the browser: cell-2 answers cell-1's origin too.
	two.AllowedOrigins = strings.Split(envStr("CORS_ORIGINS", defaultOrigins(two.GatewayAddr)+",http://"+cfg.GatewayAddr), ",")
	two.FunctionLog, two.ReportLog = nil, nil
	return one, two
}

// openServicesLog creates the state directory and opens (appending) the
// log of the local services in it.
func openServicesLog(state string) (*os.File, error) {
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(state, "services.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
}

// serveDebugVars serves the runtime figures (expvar, pprof) when
// debugvars.EnvAddr names an address.
func serveDebugVars(ctx context.Context) error {
	a := os.Getenv(debugvars.EnvAddr)
	if a == "" {
		return nil
	}
	got, err := debugvars.Serve(ctx, a)
	if err != nil {
		return err
	}
	fmt.Printf("runtime figures on http://%s/debug/vars (pprof at /debug/pprof/)\n", got)
	return nil
}

// devConfig is the local cloud's configuration from the flags and the
// environment (ports, billing grace, migration settle time, notification
// window, CORS origins, running services to reuse); the caller sets its
// logs. A duration knob that does not parse is an error.
func devConfig(mode devstack.Mode, root, state, addr, web string, limits gateway.TierLimits) (devstack.Config, error) {
	grace, err1 := envDuration(envvars.BillingGrace, devstack.DevGrace)
	// ITR_MIGRATION_SETTLE: the tier migrations' settle time (2 s if unset).
	settle, err2 := envDuration(envvars.MigrationSettle, 0)
	// ITR_NOTIFY_WINDOW: the notification mail's batching window
	// (devstack.DevNotifyWindow if unset), the knob the activity stream
	// function reads; the template mode hands the same value to it.
	window, err3 := envDuration(envvars.NotifyWindow, 0)
	// ITR_ONBOARDING_LEASE: how long a dead onboarding run waits before
	// it is resumed (devstack.OnboardingLease if unset).
	lease, err4 := envDuration(envvars.OnboardingLease, 0)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return devstack.Config{}, err
	}
	return devstack.Config{
		Mode: mode, FunctionLog: os.Stdout,
		Root: root, StateDir: state, GatewayAddr: addr,
		DynamoDBPort: envInt("DYNAMODB_PORT", 8000), CognitoPort: envInt("COGNITO_PORT", 9229),
		S3Port: envInt("S3_PORT", 4569), MailSMTPPort: envInt("MAIL_SMTP_PORT", 1025), MailUIPort: envInt("MAIL_UI_PORT", 8025),
		StripePort: envInt("STRIPE_PORT", 12111), BillingGrace: grace,
		Migration:       onboarding.MigrationOptions{Settle: settle},
		NotifyWindow:    window,
		OnboardingLease: lease,
		WebBaseURL:      os.Getenv(mail.EnvWebBaseURL),
		AllowedOrigins:  strings.Split(envStr("CORS_ORIGINS", defaultOrigins(addr)), ","),
		WebDir:          webDir(root, web),
		// Running services to reuse (ITR_DYNAMODB_ENDPOINT, ...): the fault
		// injection suite owns DynamoDB Local so it can kill and restart it.
		Endpoints: awsx.EndpointsFromEnv(), TierLimits: limits,
	}, nil
}

// watch waits for an interrupt (nil) or, checking every second, for one of
// the stack's services to stop (an error naming it).
func watch(ctx context.Context, s *devstack.Stack, state string) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nstopping ...")
			return nil
		case <-tick.C:
			if p := s.Crashed(); p != nil {
				return fmt.Errorf("%s stopped unexpectedly (%v); see %s", p.Name, p.Err(), filepath.Join(state, "services.log"))
			}
		}
	}
}

// defaultOrigins lets the gateway's own origin and Vite's (make web-dev,
// VITE_PORT or 5173) call the API from a browser.
func defaultOrigins(addr string) string {
	return strings.Join([]string{"http://" + addr, "http://localhost:" + envStr("VITE_PORT", "5173")}, ",")
}

func webDir(root, dir string) string {
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(root, dir)
}

func banner(out io.Writer, p devstack.Platform, took time.Duration) {
	fmt.Fprintf(out, "\nIssueTracker is running (ready in %s)\n\n  Web     %s/   (a workspace: %s/w/acme/signin)\n  Console %s/admin   (the provider console: sign in as root)\n  API     %s/v1   (try %s/health)\n  Mail    %s   (verification codes and invitations; SMTP on %s)\n  Stripe  %s   (stripe-mock; grace after a failed payment: %s)\n\n",
		took.Round(100*time.Millisecond), p.GatewayURL, p.GatewayURL, p.GatewayURL, p.GatewayURL, p.GatewayURL, p.MailUIURL, p.SMTPAddr, p.StripeAPIBase, p.BillingGrace)
	fmt.Fprintf(out, "Demo logins (password %s):\n\n", devstack.DemoPassword)
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  EMAIL\tTENANT\tROLE")
	for _, u := range p.Logins {
		tn := u.TenantID
		if u.Provider {
			tn = "(provider)"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", u.Email, tn, u.Role)
	}
	w.Flush()
	fmt.Fprintf(out, "\nGet a token and call the API:\n\n  TOKEN=$(go run ./cmd/issuetracker login --user user@acme.test)\n  curl -H \"Authorization: Bearer $TOKEN\" %s/v1/me\n\nA company signs up with POST /v1/registrations; its verification code and, once active, the\nSuper Admin's invitation arrive in the mail UI. A paid tier waits for its payment: POST\n/v1/registrations/<slug>/checkout?token=<status_token of the sign-up>, then (local only, stripe-mock hosts no checkout page)\n  go run ./cmd/issuetracker billing complete-checkout --tenant <slug>\nand payment-failed / invoice-paid events with 'billing event'.\n\nAnalytics demo: go run ./cmd/issuetracker analytics seed --tenant acme (backdated issues), then\n  curl -H \"Authorization: Bearer $TOKEN\" '%s/v1/analytics/issues?bucket=week'\n\nSign in to any workspace (Platinum too) with\n  go run ./cmd/issuetracker login --workspace <slug> --user <email>\n\nState is kept in .local/dev (make dev-reset wipes it); service logs in services.log, EMF metrics in metrics.log. Ctrl-C stops everything.\n", p.GatewayURL, p.GatewayURL)
}

func reset() error {
	_, state, err := stateDir()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(state); err != nil {
		return err
	}
	fmt.Println("removed", state)
	return nil
}

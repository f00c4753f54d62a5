// Command issuetracker is the developer CLI: `dev` runs the whole platform on
// this machine, `login` prints a token for a demo user, `reset` wipes the
// local state.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"flag"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/mail"
)

const usage = `usage: issuetracker <command> [flags]

commands:
  dev                     run the platform locally (DynamoDB Local, cognito-local, API gateway)
  login --user EMAIL      print an ID token (--workspace SLUG for any workspace, Platinum included;
                          --new-password, --totp answer the first sign-in and MFA, or are prompted)
  reset                   delete the local platform's state (.local/dev)
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
	return root, filepath.Join(root, ".local", "dev"), nil
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func dev(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	addr := fs.String("addr", envStr("GATEWAY_ADDR", "localhost:8080"), "address of the API gateway")
	_ = fs.Parse(args)
	root, state, err := stateDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(state, "services.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()

	if os.Getenv("ITR_METRICS_LOG") == "" { // the functions' EMF metric lines, as CloudWatch would get them
		os.Setenv("ITR_METRICS_LOG", filepath.Join(state, "metrics.log"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	fmt.Println("starting DynamoDB Local, cognito-local, the local S3, mailpit and the API gateway ...")
	s, err := devstack.Start(ctx, devstack.Config{
		Root: root, StateDir: state, GatewayAddr: *addr,
		DynamoDBPort: envInt("DYNAMODB_PORT", 8000), CognitoPort: envInt("COGNITO_PORT", 9229),
		S3Port: envInt("S3_PORT", 4569), MailSMTPPort: envInt("MAIL_SMTP_PORT", 1025), MailUIPort: envInt("MAIL_UI_PORT", 8025),
		WebBaseURL: os.Getenv(mail.EnvWebBaseURL),
		Log:        logf, AllowedOrigins: strings.Split(envStr("CORS_ORIGINS", "http://localhost:5173,http://localhost:8080"), ","),
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := devstack.WritePlatform(filepath.Join(state, "platform.json"), s.Platform); err != nil {
		return err
	}
	banner(s.Platform, time.Since(started))
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

func banner(p devstack.Platform, took time.Duration) {
	fmt.Printf("\nIssueTracker is running (ready in %s)\n\n  API   %s   (try %s/health)\n  Mail  %s   (verification codes and invitations; SMTP on %s)\n\n",
		took.Round(100*time.Millisecond), p.GatewayURL, p.GatewayURL, p.MailUIURL, p.SMTPAddr)
	fmt.Printf("Demo logins (password %s):\n\n", devstack.DemoPassword)
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  EMAIL\tTENANT\tROLE")
	for _, u := range p.Logins {
		tn := u.TenantID
		if u.Provider {
			tn = "(provider)"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", u.Email, tn, u.Role)
	}
	w.Flush()
	fmt.Printf("\nGet a token and call the API:\n\n  TOKEN=$(go run ./cmd/issuetracker login --user user@acme.test)\n  curl -H \"Authorization: Bearer $TOKEN\" %s/v1/me\n\nA company signs up with POST /v1/registrations; its verification code and, once active, the\nSuper Admin's invitation arrive in the mail UI. Sign in to any workspace (Platinum too) with\n  go run ./cmd/issuetracker login --workspace <slug> --user <email>\n\nState is kept in .local/dev (make dev-reset wipes it); service logs in services.log, EMF metrics in metrics.log. Ctrl-C stops everything.\n", p.GatewayURL)
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

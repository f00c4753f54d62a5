package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"golang.org/x/term"
)

// console is where login talks to a person: prompts go to Err, the token
// to Out, answers come from In (hidden when In is a terminal).
type console struct {
	In       io.Reader
	Out, Err io.Writer
	// Terminal reports whether In is a terminal (passwords are not echoed).
	Terminal bool
	// PlatformFile is the local platform's description (make dev writes it).
	PlatformFile string
	lines        *bufio.Reader
}

func terminal() console {
	c := console{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Terminal: term.IsTerminal(int(os.Stdin.Fd()))}
	if v := os.Getenv(envvars.PlatformFile); v != "" {
		c.PlatformFile = v
	} else if _, state, err := stateDir(); err == nil {
		c.PlatformFile = filepath.Join(state, "platform.json")
	}
	return c
}

// ask prompts for an answer; secret answers are not echoed on a terminal.
func (c *console) ask(prompt string, secret bool) (string, error) {
	fmt.Fprint(c.Err, prompt)
	if secret && c.Terminal {
		if f, ok := c.In.(*os.File); ok {
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.Err)
			return strings.TrimSpace(string(b)), err
		}
	}
	if c.lines == nil {
		c.lines = bufio.NewReader(c.In)
	}
	line, err := c.lines.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err == nil || errors.Is(err, io.EOF) {
			fmt.Fprintln(c.Err)
			return "", errNoAnswer
		}
		return "", err
	}
	return line, nil
}

// errNoAnswer: the prompt got nothing (no terminal, nothing piped in).
var errNoAnswer = errors.New("no answer")

// answer asks, and says which flag would have answered when nobody did.
func (c *console) answer(prompt string, secret bool, missing error) (string, error) {
	a, err := c.ask(prompt, secret)
	if errors.Is(err, errNoAnswer) {
		return "", missing
	}
	return a, err
}

var errPasswordRequired = errors.New("a password is required: pass --password, or run login in a terminal to be asked")

// workspace is the public lookup's answer (GET /v1/workspaces/{slug}).
type workspace struct {
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	UserPoolID string `json:"user_pool_id"`
	ClientID   string `json:"client_id"`
	Region     string `json:"region"`
}

// loginFlags are login's command line.
type loginFlags struct {
	user, password, newPassword, totp, slug, api string
	provider                                     bool
}

func parseLogin(args []string, c console) (loginFlags, error) {
	var f loginFlags
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(c.Err)
	fs.StringVar(&f.user, "user", "", "email of the user")
	fs.StringVar(&f.password, "password", "", "password (prompted if empty; the demo password for the demo logins)")
	fs.StringVar(&f.newPassword, "new-password", "", "the password to choose at the first sign-in with a temporary one (prompted if needed)")
	fs.StringVar(&f.totp, "totp", "", "the code of the authenticator app, when the user has MFA (prompted if needed)")
	fs.StringVar(&f.slug, "workspace", "", "the workspace (slug) to sign in to: looked up on the API, Platinum included")
	fs.BoolVar(&f.provider, "provider", false, "sign in to the provider (root) pool of the local platform; implied for the demo root")
	fs.StringVar(&f.api, "api", os.Getenv(envvars.APIURL), "the API's base URL (default: the local platform's gateway)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.user == "" {
		return f, errors.New("login needs --user EMAIL")
	}
	return f, nil
}

// signInTarget is the app client to sign in to, its region when a deployed
// workspace names one, and whether it is the local platform's.
type signInTarget struct {
	clientID, region string
	local            bool
}

// signInTargetOf finds the app client: the provider pool's for root, the
// workspace's (looked up on the API) with --workspace, else the local
// platform's shared pool.
func signInTargetOf(ctx context.Context, f *loginFlags, pl devstack.Platform, plErr error) (signInTarget, error) {
	if f.api == "" && plErr == nil {
		f.api = pl.GatewayURL
	}
	local := plErr == nil && strings.TrimRight(f.api, "/") == strings.TrimRight(pl.GatewayURL, "/")
	switch {
	case f.provider || strings.EqualFold(f.user, devstack.Demo.Root.Email):
		if plErr != nil {
			return signInTarget{}, plErr
		}
		return signInTarget{clientID: pl.ProviderClientID, local: true}, nil
	case f.slug != "":
		if f.api == "" {
			return signInTarget{}, errors.New("--workspace needs the API's URL: pass --api (or set " + envvars.APIURL + "), or run `make dev`")
		}
		ws, err := lookupWorkspace(ctx, f.api, f.slug, local)
		if err != nil {
			return signInTarget{}, err
		}
		return signInTarget{clientID: ws.ClientID, region: ws.Region, local: local}, nil
	default:
		if plErr != nil {
			return signInTarget{}, fmt.Errorf("%v; or sign in to a deployed workspace with --workspace SLUG --api URL", plErr)
		}
		return signInTarget{clientID: pl.TenantClientID, local: true}, nil
	}
}

// login signs a user in and prints the ID token. The workspace lookup finds
// the app client of any workspace (Platinum: its own pool); without
// --workspace the local platform's shared pool (or, for root, the provider
// pool) is used. Challenges are answered from flags or prompts.
func login(ctx context.Context, args []string, c console) error {
	f, err := parseLogin(args, c)
	if err != nil {
		return err
	}
	pl, plErr := devstack.ReadPlatform(c.PlatformFile)
	tg, err := signInTargetOf(ctx, &f, pl, plErr)
	if err != nil {
		return err
	}
	e := awsx.EndpointsFromEnv()
	if tg.local && e.Cognito == "" {
		e.Cognito = pl.CognitoEndpoint
	}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return err
	}
	if tg.region != "" && e.Cognito == "" {
		cfg.Region = tg.region
	}
	cfg.Credentials = aws.AnonymousCredentials{} // sign-in calls are not signed
	if f.password == "" && tg.local && slices.ContainsFunc(pl.Logins, func(u devstack.DemoUser) bool { return strings.EqualFold(u.Email, f.user) }) {
		f.password = devstack.DemoPassword
	}
	if f.password == "" {
		if f.password, err = c.answer("Password for "+f.user+": ", true, errPasswordRequired); err != nil {
			return err
		}
	}
	answers := f.answers(c)
	answers.Workspace = f.slug // a user of a tenant that moved pools or cells follows on this sign-in
	tok, err := cognito.Pools{C: cognito.NewClient(cfg, e)}.Authenticate(ctx, tg.clientID, f.user, f.password, answers)
	if err != nil {
		return explain(err, tg.local, e.Cognito)
	}
	fmt.Fprintln(c.Out, tok.IDToken)
	return nil
}

// answers answer the sign-in's challenges from the flags, else prompts.
func (f loginFlags) answers(c console) cognito.Answers {
	return cognito.Answers{
		NewPassword: func() (string, error) {
			if f.newPassword != "" {
				return f.newPassword, nil
			}
			fmt.Fprintln(c.Err, "This is your first sign-in: choose a password (12+ characters with upper and lower case, digits and symbols), or pass --new-password.")
			return c.answer("New password: ", true, cognito.ErrNewPasswordRequired)
		},
		TOTP: func() (string, error) {
			if f.totp != "" {
				return f.totp, nil
			}
			return c.answer("Code from your authenticator app (or --totp): ", false, cognito.ErrTOTPRequired)
		},
	}
}

func lookupWorkspace(ctx context.Context, api, slug string, local bool) (workspace, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(api, "/")+"/v1/workspaces/"+url.PathEscape(slug), nil)
	if err != nil {
		return workspace{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return workspace{}, explain(fmt.Errorf("look up workspace %s: %w", slug, err), local, api)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		return workspace{}, fmt.Errorf("there is no workspace %q to sign in to (unknown, not active yet, or offboarded)", slug)
	case res.StatusCode != http.StatusOK:
		var p struct{ Code, Detail string }
		_ = json.NewDecoder(res.Body).Decode(&p)
		return workspace{}, fmt.Errorf("look up workspace %s: %s %s %s", slug, res.Status, p.Code, p.Detail)
	}
	var ws workspace
	if err := json.NewDecoder(res.Body).Decode(&ws); err != nil {
		return ws, fmt.Errorf("look up workspace %s: %w", slug, err)
	}
	if ws.ClientID == "" {
		return ws, fmt.Errorf("workspace %s has no sign-in client", slug)
	}
	return ws, nil
}

// explain turns a sign-in failure into a sentence; only an unreachable
// local service is blamed on `make dev`.
func explain(err error, local bool, endpoint string) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) && local:
		return fmt.Errorf("nothing answers at %s: is `make dev` running? (%v)", endpoint, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("nothing answers at %s (%v)", endpoint, err)
	case errors.Is(err, cognito.ErrWrongCredentials):
		return fmt.Errorf("sign-in refused: %w", err)
	case errors.Is(err, cognito.ErrCodeMismatch):
		return fmt.Errorf("the code is wrong or has expired, try the next one: %w", err)
	case errors.Is(err, cognito.ErrNewPasswordRequired):
		return fmt.Errorf("%w: pass --new-password, or run login in a terminal to be asked", err)
	case errors.Is(err, cognito.ErrTOTPRequired):
		return fmt.Errorf("%w: pass --totp CODE, or run login in a terminal to be asked", err)
	}
	return err
}

package devstack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthWorker is the CDK synth worker the Platinum tests share
// (sharedSynth); TestMain stops it. synthRoot sets its Root once: the
// tests that share it run in parallel (t.Parallel), and the worker reads
// Root under its own lock only.
var (
	synthWorker = &localdeploy.SynthWorker{}
	synthRoot   sync.Once
	synthDir    string
)

// sharedSynth has a platform synthesize its Platinum tenant stacks with
// synthWorker instead of a worker of its own (devstack.Config.Synth): the
// first Platinum test pays for building and starting the CDK app and for
// one synth, the next gets its template from the warm worker in
// milliseconds. ITR_OWN_SYNTH=1 (make template-test) leaves every platform
// its own worker, as make dev runs.
func sharedSynth(c *devstack.Config) {
	if os.Getenv("ITR_OWN_SYNTH") == "1" {
		return
	}
	synthRoot.Do(func() { synthWorker.Root = c.Root })
	c.Synth = synthVia(synthWorker.Synth)
}

// synthVia is the Synth the tests share: synth (the worker's) asked to
// write each template in a directory of its own under synthDir/stacks,
// then the template copied into outDir, where the platform's deployer
// reads it. The worker keeps its sentinel synthesis beside its first
// request's directory (infra/stacks.ServeTenantSynths), so it is
// synthDir/stacks/.sentinel whichever test asks first (and after a
// worker restarted on a failure), kept until TestMain removes synthDir;
// before, it was under the first requesting test's t.TempDir(), gone
// when that test ended.
func synthVia(synth localdeploy.SynthFunc) localdeploy.SynthFunc {
	return func(outDir, tenantID string) (string, error) {
		stacks := filepath.Join(synthDir, "stacks")
		if err := os.MkdirAll(stacks, 0o755); err != nil {
			return "", err
		}
		dir, err := os.MkdirTemp(stacks, tenantID+"-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		path, err := synth(dir, tenantID)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return "", err
		}
		out := filepath.Join(outDir, filepath.Base(path))
		return out, os.WriteFile(out, b, 0o644)
	}
}

// TestMain runs the platform tests on a DynamoDB Local of their own
// (testenv.RunWithOwnDynamoDB), with a directory for the shared synth
// worker (synthDir) that lives as long as the package's tests.
func TestMain(m *testing.M) {
	var err error
	if synthDir, err = os.MkdirTemp("", "devstack-synth-"); err != nil {
		fmt.Fprintln(os.Stderr, "the shared synth worker's directory:", err)
		os.Exit(1)
	}
	code := testenv.RunWithOwnDynamoDB(m)
	_ = synthWorker.Close()
	_ = os.RemoveAll(synthDir)
	os.Exit(code)
}

// platform is a local platform started for one test: the real services,
// its own table and pool prefix, and a gateway on a free port.
type platform struct {
	t      *testing.T
	ctx    context.Context
	root   string
	s      *devstack.Stack
	pl     devstack.Platform
	pools  cognito.Pools
	prefix string
}

func startPlatform(t *testing.T, opts ...func(*devstack.Config)) *platform {
	t.Helper()
	_, e := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	prefix := testenv.UniquePrefix(t)
	m := testenv.Mail(t)
	cfg := devstack.Config{Root: root, GatewayAddr: "127.0.0.1:0", Endpoints: e,
		Mail: &devstack.MailEndpoints{SMTPAddr: m.SMTPAddr, UIURL: m.API}, Prefix: prefix, StateDir: t.TempDir(),
		StripeAPIBase: testenv.StripeMock(t), BillingGrace: time.Second, BillingJobsEvery: 100 * time.Millisecond,
		FunctionInitTimeout: time.Minute} // the template mode's cold starts on a loaded machine
	for _, o := range opts {
		o(&cfg)
	}
	s, err := devstack.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return &platform{t: t, ctx: context.Background(), root: root, s: s, pl: s.Platform,
		pools: cognito.Pools{C: testenv.Cognito(t)}, prefix: prefix}
}

// login signs a user in through the given app client and returns the ID token.
func (p *platform) login(client, email string) string {
	p.t.Helper()
	tok, err := cognitotest.PasswordLogin(p.ctx, p.pools.C, client, email, devstack.DemoPassword)
	require.NoError(p.t, err)
	return tok.IDToken
}

// tenantLogin signs in a user of the shared tenant pool.
func (p *platform) tenantLogin(email string) string { return p.login(p.pl.TenantClientID, email) }

// call sends a request through the gateway and decodes the JSON answer.
func (p *platform) call(method, path, token string, body any) (int, map[string]any) {
	p.t.Helper()
	var buf bytes.Buffer
	if body != nil {
		require.NoError(p.t, json.NewEncoder(&buf).Encode(body))
	}
	req, err := http.NewRequest(method, p.pl.GatewayURL+path, &buf)
	require.NoError(p.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// refusesBadEscapesAsProblems sends request lines Go's server cannot parse
// (a bad percent-escape) to the platform's gateway, raw: each must be a 400
// problem, as every other refusal of the API (gateway.ProblemListener).
func (w *platform) refusesBadEscapesAsProblems(t *testing.T) {
	t.Helper()
	u, err := url.Parse(w.pl.GatewayURL)
	require.NoError(t, err)
	for _, target := range []string{"/v1/issues/%ZZ", "/v1/registrations/%", "/health%4"} {
		c, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		_, err = io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		require.NoError(t, err)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&body), target)
		c.Close()
		assert.Equal(t, 400, res.StatusCode, target)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), target)
		assert.Equal(t, "malformed_request", body["code"], target)
	}
}

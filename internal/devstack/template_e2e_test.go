package devstack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cfntemplate"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// lockedBuffer collects the function processes' output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func templateConfig(t *testing.T, template string) (devstack.Config, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	_, e := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	m := testenv.Mail(t)
	logs, reports := &lockedBuffer{}, &lockedBuffer{}
	return devstack.Config{Root: root, GatewayAddr: "127.0.0.1:0", Endpoints: e,
		Mail: &devstack.MailEndpoints{SMTPAddr: m.SMTPAddr, UIURL: m.API}, Prefix: testenv.UniquePrefix(t), StateDir: t.TempDir(),
		StripeAPIBase: testenv.StripeMock(t), Mode: devstack.FromTemplate, Template: template,
		FunctionLog: logs, ReportLog: reports}, logs, reports
}

// The platform as make dev runs it: the synthesized template's functions as
// Lambda processes behind the template's API. The template is the golden
// one with the Basic tier's usage plan changed (as a changed tier catalog
// synthesizes it): with no other edit, the gateway enforces the changed
// plan.
func TestTheTemplateDrivenPlatformEndToEnd(t *testing.T) {
	t.Parallel()
	cfg, logs, reports := templateConfig(t, breakTemplate(t, func(res map[string]any) {
		props(res, "ApiRestApiPlanbasicC4B9CF2B")["Quota"].(map[string]any)["Limit"] = 3
	}))
	cfg.ScheduleEvery = 300 * time.Millisecond
	s, err := devstack.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	w := &platform{t: t, ctx: context.Background(), root: cfg.Root, s: s, pl: s.Platform,
		pools: cognito.Pools{C: testenv.Cognito(t)}, prefix: cfg.Prefix}
	user := w.tenantLogin("user@acme.test")

	t.Run("a request line Go cannot parse is a 400 problem", w.refusesBadEscapesAsProblems)
	t.Run("the seeded user reads /v1/me through the authorizer and users processes", func(t *testing.T) {
		code, me := w.call("GET", "/v1/me", user, nil)
		require.Equal(t, 200, code, me)
		assert.Equal(t, "acme", me["tenant"].(map[string]any)["id"])
		assert.Equal(t, "standard", me["limits"].(map[string]any)["name"])
	})
	t.Run("an issue is created and read back by the issues process, its cursor good in another request", func(t *testing.T) {
		code, iss := w.call("POST", "/v1/issues", user, map[string]any{"title": "Made by a Lambda process"})
		require.Equal(t, 201, code, iss)
		code, got := w.call("GET", "/v1/issues/"+iss["id"].(string), user, nil)
		require.Equal(t, 200, code, got)
		assert.Equal(t, "Made by a Lambda process", got["title"])
		code, page := w.call("GET", "/v1/issues?limit=1", user, nil)
		require.Equal(t, 200, code, page)
		if next, _ := page["next_cursor"].(string); next != "" {
			code, page2 := w.call("GET", "/v1/issues?limit=1&cursor="+next, user, nil)
			assert.Equal(t, 200, code, page2)
		}
	})
	t.Run("the template's usage plan is what the gateway enforces: a changed quota changes the answers", func(t *testing.T) {
		owner := w.tenantLogin("owner@globex.test") // Basic
		var codes []int
		var policy string
		for range 4 {
			req, _ := http.NewRequest("GET", w.pl.GatewayURL+"/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+owner)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			codes = append(codes, res.StatusCode)
			policy = res.Header.Get("RateLimit-Policy")
		}
		assert.Equal(t, []int{200, 200, 200, 429}, codes, "the changed plan's monthly quota of 3 (the tier catalog's is 100,000)")
		assert.Contains(t, policy, `"month";q=3;`)
	})
	t.Run("no token is the gateway's 401 without a function", func(t *testing.T) {
		code, body := w.call("GET", "/v1/issues", "", nil)
		assert.Equal(t, 401, code, body)
	})
	t.Run("a root route refuses a tenant user in its function", func(t *testing.T) {
		code, body := w.call("GET", "/v1/admin/tenants", user, nil)
		assert.Equal(t, 403, code, body)
	})
	t.Run("the preflight is the template's OPTIONS answer", func(t *testing.T) {
		req, _ := http.NewRequest("OPTIONS", w.pl.GatewayURL+"/v1/issues", nil)
		req.Header.Set("Origin", w.pl.GatewayURL)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, 204, res.StatusCode)
		assert.Equal(t, w.pl.GatewayURL, res.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, res.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key")
		assert.Equal(t, "600", res.Header.Get("Access-Control-Max-Age"))
	})
	t.Run("the Lambda Invoke API on the gateway's address runs a function process", func(t *testing.T) {
		ev := `{"version":"1","triggerSource":"PreSignUp_AdminCreateUser","region":"us-east-1","userPoolId":"` + w.pl.TenantPoolID +
			`","userName":"someone","request":{"userAttributes":{"email":"someone@example.com"}},"response":{}}`
		res, err := http.Post(w.pl.GatewayURL+"/2015-03-31/functions/presignup/invocations", "application/json", strings.NewReader(ev))
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		assert.Equal(t, 200, res.StatusCode)
		assert.Empty(t, res.Header.Get("X-Amz-Function-Error"), out)
		assert.Equal(t, "PreSignUp_AdminCreateUser", out["triggerSource"], "the trigger answers its event")
	})
	invoked := func() map[string]int {
		byFn := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(reports.String()))
		for sc.Scan() {
			var r lambdaproc.Report
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				byFn[r.Function]++
			}
		}
		return byFn
	}
	t.Run("the template's schedules invoke the processes of the functions they name", func(t *testing.T) {
		assert.EventuallyWithT(t, func(c *assert.CollectT) {
			got := invoked()
			for _, fn := range []string{"billing", "issues", "attachments", "stream-activity"} {
				assert.Positive(c, got[fn], fn)
			}
		}, 60*time.Second, 200*time.Millisecond)
		assert.Contains(t, logs.String(), "events | schedule BillingBillingHourly6A778D2D rate(1 hour) -> billing")
		assert.Contains(t, logs.String(), "events | schedule BillingBillingMonthlyClose6C22E455 (cron(5 0 1 * ? *): only rate schedules run locally) not run locally")
	})
	t.Run("the analytics stream mapping feeds the stream-analytics process", func(t *testing.T) {
		assert.EventuallyWithT(t, func(c *assert.CollectT) {
			assert.Positive(c, invoked()["stream-analytics"])
		}, 60*time.Second, 200*time.Millisecond)
		assert.NotContains(t, logs.String(), "stream-analytics | ERROR")
	})
	tenantStackCases(t, s, cfg.Root, cfg.Prefix, logs)
	t.Run("every invocation is reported as Lambda reports it", func(t *testing.T) {
		byFn := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(reports.String()))
		for sc.Scan() {
			var r lambdaproc.Report
			require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
			byFn[r.Function]++
			assert.Equal(t, 256, r.Record.Metrics.MemorySizeMB)
		}
		assert.Positive(t, byFn["authorizer"])
		assert.Positive(t, byFn["users"])
		assert.GreaterOrEqual(t, byFn["issues"], 3)
		assert.Contains(t, logs.String(), "issues | REPORT RequestId: ")
		assert.Positive(t, s.Functions.Function("issues").Stats().ColdStarts)
	})
}

// breakTemplate writes a copy of the platform template changed by edit.
func breakTemplate(t *testing.T, edit func(res map[string]any)) string {
	t.Helper()
	root, err := testenv.Root()
	require.NoError(t, err)
	// The platform with its nested stacks inlined (the API's methods live in
	// them), written as one template.
	tmpl, err := cfntemplate.LoadFlat(filepath.Dir(filepath.Join(root, devstack.PlatformTemplate)), "IssueTracker-Platform")
	require.NoError(t, err)
	res := tmpl["Resources"].(map[string]any)
	for id, r := range res {
		if r.(map[string]any)["Type"] == cfntemplate.StackType {
			delete(res, id)
		}
	}
	edit(res)
	out := filepath.Join(t.TempDir(), "IssueTracker-Platform.json")
	b, _ := json.Marshal(tmpl)
	require.NoError(t, os.WriteFile(out, b, 0o644))
	return out
}

func props(res map[string]any, id string) map[string]any {
	return res[id].(map[string]any)["Properties"].(map[string]any)
}

// A template that would deploy a broken platform stops make dev, naming
// what is wrong.
func TestABrokenTemplateStopsThePlatformNamingWhat(t *testing.T) {
	t.Parallel()
	t.Run("a function's variable removed", func(t *testing.T) {
		path := breakTemplate(t, func(res map[string]any) {
			env := props(res, "FnusersFunctionA5A0034F")["Environment"].(map[string]any)["Variables"].(map[string]any)
			delete(env, "ITR_TENANT_POOL_ID")
		})
		cfg, _, _ := templateConfig(t, path)
		began := time.Now()
		s, err := devstack.Start(context.Background(), cfg)
		if s != nil {
			s.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "function users failed to start")
		assert.Contains(t, err.Error(), "ITR_TENANT_POOL_ID")
		t.Logf("failed after %s: %v", time.Since(began), err)
	})
	t.Run("a route pointing to another function", func(t *testing.T) {
		path := breakTemplate(t, func(res map[string]any) {
			for _, r := range res {
				r := r.(map[string]any)
				p, _ := r["Properties"].(map[string]any)
				if r["Type"] != "AWS::ApiGateway::Method" || p["OperationName"] != "listIssues" {
					continue
				}
				uri, _ := json.Marshal(p["Integration"].(map[string]any)["Uri"])
				var v any
				_ = json.Unmarshal([]byte(strings.ReplaceAll(string(uri), "FnissuesFunction52C528E6", "FnteamsFunction3836F51B")), &v)
				p["Integration"].(map[string]any)["Uri"] = v
			}
		})
		cfg, _, _ := templateConfig(t, path)
		s, err := devstack.Start(context.Background(), cfg)
		if s != nil {
			s.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "GET /v1/issues is integrated with function teams in the template, the route table gives it to issues")
	})
	t.Run("a reference the local cloud cannot resolve", func(t *testing.T) {
		path := breakTemplate(t, func(res map[string]any) {
			env := props(res, "FncommentsFunction4AB95EDB")["Environment"].(map[string]any)["Variables"].(map[string]any)
			env["ITR_TABLE_PREFIX"] = map[string]any{"Fn::GetAtt": []any{"ProvisioningStateMachine4577D010", "Name"}}
		})
		cfg, _, _ := templateConfig(t, path)
		s, err := devstack.Start(context.Background(), cfg)
		if s != nil {
			s.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "function comments: environment variable ITR_TABLE_PREFIX")
	})
}

// The template's webhook queue and its mapping, run locally: the comments
// and stream-activity processes send to the local SQS, and the
// webhook-delivery process gets each attempt as an SQS event; a failed
// attempt is retried.
func TestTheTemplateModeDeliversWebhooksThroughItsQueueMapping(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r)
		first := len(got) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusInternalServerError) // retried
		}
	}))
	defer recv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: recv.Certificate().Raw}), 0o644))
	cfg, logs, reports := templateConfig(t, "")
	cfg.WebhookGuard, cfg.WebhookCAFile = &webhook.Guard{AllowLoopback: true}, ca
	s, err := devstack.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	w := &platform{t: t, ctx: context.Background(), root: cfg.Root, s: s, pl: s.Platform,
		pools: cognito.Pools{C: testenv.Cognito(t)}, prefix: cfg.Prefix}
	owner := w.tenantLogin("owner@globex.test")
	code, ep := w.call("POST", "/v1/webhooks", owner, map[string]any{"url": recv.URL + "/hook", "event_types": []string{"issue.created"}})
	require.Equal(t, 201, code, ep)
	code, iss := w.call("POST", "/v1/issues", owner, map[string]string{"title": "Hook me", "type": "task"})
	require.Equal(t, 201, code, iss)
	if !assert.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 }, 60*time.Second, 100*time.Millisecond) {
		_, dl := w.call("GET", "/v1/webhooks/"+ep["id"].(string)+"/deliveries", owner, nil)
		t.Fatal(dl, logs.String())
	}
	mu.Lock()
	assert.Equal(t, got[0].Header.Get("webhook-id"), got[1].Header.Get("webhook-id"), "the retry is the same message")
	mu.Unlock()
	// An invocation's report is written when the function has returned, so
	// after the receiver saw its request: wait for it.
	invocations := func() int {
		n := 0
		sc := bufio.NewScanner(strings.NewReader(reports.String()))
		for sc.Scan() {
			var r lambdaproc.Report
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Function == "webhook-delivery" {
				n++
			}
		}
		return n
	}
	assert.Eventually(t, func() bool { return invocations() >= 2 }, eventually.Deadline, 50*time.Millisecond,
		"each attempt is an invocation of the webhook-delivery process (reports: %d)", invocations())
}

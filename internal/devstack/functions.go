package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/gobuild"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Mode says how the local platform runs the functions.
type Mode string

const (
	// InProcess runs every function's handler in this process behind the
	// gateway built from the route table: the fast mode of the unit and
	// integration tests.
	InProcess Mode = "in-process"
	// FromTemplate runs the synthesized platform template: each Go function
	// the template declares is built (gofunction's settings, this machine's
	// architecture) and run as Lambda processes with the template's
	// environment resolved to the local cloud, and the gateway serves the
	// template's API (methods, authorizer, usage plans, CORS, gateway
	// responses). make dev's mode.
	FromTemplate Mode = "template"
)

// ParseMode reads a mode name ("" is InProcess).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", InProcess:
		return InProcess, nil
	case FromTemplate:
		return FromTemplate, nil
	}
	return "", fmt.Errorf("unknown platform mode %q: %s or %s", s, InProcess, FromTemplate)
}

// FunctionsDir is where the template mode builds the functions (under the
// repository root).
const FunctionsDir = ".local/functions"

// localSettings are the local values the template mode resolves the
// template's references with, beside what the deployer made.
type localSettings struct {
	names      schema.Names
	endpoints  awsx.Endpoints
	smtpAddr   string
	stripeBase string
	cursorKey  string
	grace      string
	// sqsEndpoint is the local SQS (localcloud.SQS on the gateway's
	// address); window the notification mail's batching window;
	// allowLoopback lets webhooks reach localhost.
	sqsEndpoint   string
	window        time.Duration
	allowLoopback bool
	caFile        string
	lifecycleURL  string
	// eventsEndpoint is the local EventBridge (EventsPath).
	eventsEndpoint string
}

// templateFunctions reads the platform template's functions, resolves each
// one's environment and registers it on a process platform. Nothing starts
// yet.
func (s *Stack) templateFunctions(cfg Config, tmpl *localdeploy.Template, applied localdeploy.Result, ls localSettings) (*lambdaproc.Platform, []localdeploy.Function, error) {
	fns, err := tmpl.Functions()
	if err != nil {
		return nil, nil, err
	}
	l := s.locals(cfg, tmpl, fns, applied, ls)
	bins, err := buildOnce(cfg.Root, functionPackages(fns))
	if err != nil {
		return nil, nil, fmt.Errorf("build the template's functions: %w", err)
	}
	s.bins = bins
	flog := cfg.FunctionLog
	if flog == nil {
		flog = logOr(cfg.Log)
	}
	p := lambdaproc.New(lambdaproc.Options{Log: flog, Reports: cfg.ReportLog, MaxConcurrency: cfg.FunctionConcurrency, IdleTimeout: cfg.FunctionIdle,
		InitTimeout: cfg.FunctionInitTimeout})
	for _, f := range fns {
		env, err := l.Env(tmpl, f)
		if err != nil {
			p.Close()
			return nil, nil, err
		}
		standIns(f, env, ls)
		if _, err := p.Add(lambdaproc.Spec{Name: f.Name, LogicalID: f.LogicalID, Binary: bins["./"+f.Source],
			Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB}); err != nil {
			p.Close()
			return nil, nil, err
		}
		// Other stacks call a function by its physical name (a Platinum
		// tenant pool's user-migration trigger names
		// issuetracker-usermigration): the Invoke API knows it by that too.
		if fn, ok := tmpl.Resources[f.LogicalID].Properties["FunctionName"].(string); ok && fn != "" {
			p.Alias(localdeploy.PrefixRename(ls.names.Prefix)(fn), f.Name)
		}
	}
	return p, fns, nil
}

// prebuild builds the functions of the template at path (buildOnce), its
// errors left for the build that needs it to report.
func prebuild(root, path string) {
	tmpl, err := localdeploy.ReadTemplate(path)
	if err != nil {
		return
	}
	fns, err := tmpl.Functions()
	if err != nil {
		return
	}
	_, _ = buildOnce(root, functionPackages(fns))
}

// functionPackages are the packages fns are built from.
func functionPackages(fns []localdeploy.Function) []string {
	pkgs := make([]string, 0, len(fns))
	for _, f := range fns {
		pkgs = append(pkgs, "./"+f.Source)
	}
	return pkgs
}

var (
	builtMu sync.Mutex
	built   = map[string]map[string]string{}
)

// buildOnce builds the functions once per process (a test binary starts
// several platforms; go build would find them up to date, in seconds).
func buildOnce(root string, pkgs []string) (map[string]string, error) {
	key := root + "|" + strings.Join(pkgs, " ")
	builtMu.Lock()
	defer builtMu.Unlock()
	if bins, ok := built[key]; ok {
		return bins, nil
	}
	bins, err := gobuild.BuildHost(root, filepath.Join(root, FunctionsDir), pkgs...)
	if err == nil {
		built[key] = bins
	}
	return bins, err
}

// locals are the template's references as the local cloud has them.
func (s *Stack) locals(cfg Config, tmpl *localdeploy.Template, fns []localdeploy.Function, applied localdeploy.Result, ls localSettings) localdeploy.Locals {
	phys := map[string]string{}
	for _, r := range applied.Applied {
		phys[r.LogicalID] = r.PhysicalID
	}
	values := map[string]string{}
	// The exports and attachments buckets have no name in the template
	// (CloudFormation names them); locally they are the platform's.
	local := map[string]string{envvars.ExportBucket: ls.names.Exports(), envvars.AttachmentsBucket: ls.names.Attachments()}
	for _, f := range fns {
		for v, name := range local {
			if ref, ok := f.Env[v].(map[string]any); ok {
				if id, ok := ref["Ref"].(string); ok {
					values[id] = name
				}
			}
		}
	}
	host := strings.TrimPrefix(s.Platform.WebBaseURL, "http://")
	gw := s.Platform.GatewayURL
	return localdeploy.Locals{Physical: phys, Values: values, WebDomain: host, APIID: "local",
		URLs: map[string]string{
			// The local cloud serves plain HTTP.
			"https://" + host: s.Platform.WebBaseURL,
			"https://local.execute-api." + lambdaproc.Region + ".amazonaws.com/prod/": gw + "/",
		},
		Rename:   localdeploy.PrefixRename(ls.names.Prefix),
		Literals: literals(ls.names)}
}

func literals(names schema.Names) map[string]string {
	l := map[string]string{envvars.MailSender + "=ses": "smtp"} // mailpit stands in for SES
	if names.Prefix != "" {
		l[envvars.TablePrefix+"="+schema.DefaultPrefix] = names.Prefix // tests run side by side
	}
	return l
}

// standIns add the local-only variables (internal/envvars.Local) that stand
// in for what the template points at and the local cloud has another way:
// the endpoints of the local services, and the values of the secrets a
// function is given the ARN of.
func standIns(f localdeploy.Function, env map[string]string, ls localSettings) {
	env[envvars.DynamoDBEndpoint] = ls.endpoints.DynamoDB
	env[envvars.CognitoEndpoint] = ls.endpoints.Cognito
	env[envvars.S3Endpoint] = ls.endpoints.S3
	env[envvars.CognitoIssuerBase] = ls.endpoints.Cognito
	if _, ok := env[envvars.CursorKeySecretARN]; ok && ls.cursorKey != "" {
		env[envvars.CursorKey] = ls.cursorKey
	}
	if _, ok := env[envvars.MailSender]; ok {
		env[envvars.SMTPAddr] = ls.smtpAddr
	}
	// The batching window is the activity consumer's (its fan-out dates
	// each batch), whichever stack declares it: a Platinum tenant's
	// stream-activity sends no mail (no mail settings in its template: the
	// platform's mail job sends its mail), but without the window it dated
	// its tenant's batches 5 minutes ahead (notify.BatchWindow) while the
	// pooled tenants' were due in 20 s.
	if f.Name == string(routes.FnStreamActivity) {
		env[envvars.NotifyWindow] = ls.window.String()
	}
	if _, ok := env[envvars.EventBus]; ok {
		// The lifecycle functions hand runs and Platinum stacks to the
		// platform (localstacks), as to the onboarding function and the
		// provisioning pipeline in AWS.
		env[envvars.LocalLifecycleURL] = ls.lifecycleURL
		// Their run requests go on the local bus, which the template's
		// rule routes to the onboarding function.
		env[envvars.EventsEndpoint] = ls.eventsEndpoint
	}
	if _, ok := env[envvars.WebhookQueueURL]; ok {
		env[envvars.SQSEndpoint] = ls.sqsEndpoint
		if ls.allowLoopback {
			env[envvars.WebhookAllowLoopback] = "true"
		}
		if ls.caFile != "" {
			env["SSL_CERT_FILE"] = ls.caFile // crypto/x509's roots on Linux
		}
	}
	if _, ok := env[envvars.StripeAPIKeySecretARN]; ok {
		env[envvars.StripeAPIKey] = localcloud.StripeMockAPIKey
		env[envvars.StripeWebhookSecret] = DevWebhookSecret
		env[envvars.StripeAPIBase] = ls.stripeBase
		env[envvars.BillingGrace] = ls.grace
	}
}

// warm starts one process of each API function (and the authorizer) at
// once, so an init that fails (a variable the template does not set) stops
// the platform now, naming the function and what it lacks.
func warm(ctx context.Context, p *lambdaproc.Platform, names []string) error {
	var wg sync.WaitGroup
	errc := make(chan error, len(names))
	for _, n := range names {
		f := p.Function(n)
		if f == nil {
			errc <- fmt.Errorf("the template declares no function %s", n)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Warm(ctx); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	var all []error
	for err := range errc {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// templateGateway is the gateway configuration that serves the template's
// API with the function processes.
func templateGateway(api *localdeploy.API, p *lambdaproc.Platform, extraOrigins []string) (gateway.Config, error) {
	if api.Authorizer == nil {
		return gateway.Config{}, errors.New("the template's API has no authorizer")
	}
	if api.APIKeySource != "AUTHORIZER" {
		return gateway.Config{}, fmt.Errorf("the template's API takes its keys from %s; the local gateway emulates AUTHORIZER", api.APIKeySource)
	}
	router, err := newTemplateRouter(api.Methods)
	if err != nil {
		return gateway.Config{}, err
	}
	cfg := gateway.Config{Router: router.Match, Invokers: map[routes.Function]gateway.InvokeFunc{},
		AuthorizerCacheTTL: api.Authorizer.ResultTTL,
		// OPTIONS answers on the template's resources only (not nil: a
		// template without preflights has none).
		ResourcePaths: append([]string{}, api.Preflights...)}
	if cfg.AuthorizerCacheTTL == 0 {
		cfg.AuthorizerCacheTTL = -1 // TTL 0 turns API Gateway's cache off
	}
	for _, m := range api.Methods {
		fn := routes.Function(m.Function)
		if _, ok := cfg.Invokers[fn]; ok {
			continue
		}
		f := p.Function(m.Function)
		if f == nil {
			return gateway.Config{}, fmt.Errorf("%s %s: the template integrates function %s, which it does not declare", m.Method, m.Path, m.Function)
		}
		cfg.Invokers[fn] = proxyInvoker(f)
	}
	az := p.Function(api.Authorizer.Function)
	if az == nil {
		return gateway.Config{}, fmt.Errorf("the authorizer's function %s is not in the template", api.Authorizer.Function)
	}
	cfg.Authorize = authorizerInvoker(az, api.Authorizer.IdentityHeader)
	cfg.UsagePlan = func(t tiers.Tier) (tiers.Tier, error) {
		for name, plan := range api.Plans {
			if strings.HasSuffix(name, "-"+string(t.Name)) {
				t.RateLimit, t.Burst, t.MonthlyQuota = plan.Rate, plan.Burst, plan.Quota
				return t, nil
			}
		}
		return t, fmt.Errorf("the template has no usage plan for the %s tier", t.Name)
	}
	if c := api.CORS; c != nil {
		origins := append([]string{c.AllowOrigin}, extraOrigins...)
		cfg.AllowedOrigins = origins
		cfg.Preflight = func(h http.Header, origin string) {
			// The OPTIONS method's static headers (the security headers
			// among them), as API Gateway's MOCK integration answers.
			// Another origin gets the static Access-Control-Allow-Origin
			// (the web's), as from API Gateway.
			for k, v := range c.Headers {
				h.Set(k, v)
			}
			if allowed(origin, origins) {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			h.Set("Vary", "Origin")
		}
	}
	cfg.WriteOwn = func(w http.ResponseWriter, r *http.Request, err error) {
		writeGatewayAnswer(api, w, r, err)
	}
	cfg.OwnHeaders = func(status int, origin string) http.Header {
		typ := "DEFAULT_4XX"
		if status >= 500 {
			typ = "DEFAULT_5XX"
		}
		h := http.Header{}
		for k, v := range api.GatewayResponses[typ] {
			h.Set(k, v)
		}
		// API Gateway's header is static (the web's origin); the local
		// gateway also answers the extra dev origins (Vite).
		if origin != "" && allowed(origin, cfg.AllowedOrigins) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		return h
	}
	return cfg, nil
}

// writeGatewayAnswer writes one of the gateway's own answers as API Gateway
// would from the template's gateway responses: the response type API
// Gateway uses for it, that type's status and template (or API Gateway's
// default body). A template without the UNAUTHORIZED response answers
// {"message":"Unauthorized"} here too.
func writeGatewayAnswer(api *localdeploy.API, w http.ResponseWriter, r *http.Request, err error) {
	e := httpapi.Classify(err)
	a := api.Answer(gatewayResponseType(e), httpapi.Status(e.Kind), e.Message, map[string]string{
		"requestId":          r.Header.Get(httpapi.RequestIDHeader),
		"authorizer.code":    e.Code,
		"authorizer.message": e.Message,
	})
	if e.Kind == errs.KindInternal {
		slog.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	}
	w.Header().Set("Content-Type", a.ContentType)
	if ra := httpapi.RetryAfter(a.Status); ra != "" && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", ra)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// gatewayResponseType is the response type API Gateway answers an error of
// the local gateway with: the shared answers by code (httpapi.GatewayAnswers);
// the authorizer's Deny is ACCESS_DENIED; anything else its DEFAULT_4XX or
// 5XX (a method a path does not have is the missing route's code already).
func gatewayResponseType(e *errs.Error) string {
	for _, g := range httpapi.GatewayAnswers {
		if g.Code == e.Code {
			return g.ResponseType
		}
	}
	switch {
	case e.Kind == errs.KindForbidden:
		return "ACCESS_DENIED"
	case e.Code == "body_too_large":
		return "REQUEST_TOO_LARGE"
	case httpapi.Status(e.Kind) >= 500:
		return "DEFAULT_5XX"
	}
	return "DEFAULT_4XX"
}

func allowed(origin string, origins []string) bool {
	for _, o := range origins {
		if o == "*" || o == origin {
			return true
		}
	}
	return false
}

// proxyInvoker invokes a function process with a REST proxy event. A
// function that times out is a 504 naming it; any other failure is API
// Gateway's 502, here a 500 whose cause the log names.
func proxyInvoker(f *lambdaproc.Function) gateway.InvokeFunc {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		var res events.APIGatewayProxyResponse
		payload, err := json.Marshal(ev)
		if err != nil {
			return res, err
		}
		out, err := f.Invoke(ctx, payload)
		if err != nil {
			return res, functionFailure(f, err)
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return res, fmt.Errorf("function %s answered no proxy response: %w", f.Spec().Name, err)
		}
		return res, nil
	}
}

func functionFailure(f *lambdaproc.Function, err error) error {
	var fe *lambdaproc.FunctionError
	if errors.As(err, &fe) && fe.Type == "Sandbox.Timedout" {
		return errs.E(errs.KindTimeout, "function_timeout", "function %s did not answer within its timeout (%s)", f.Spec().Name, f.Spec().Timeout)
	}
	return fmt.Errorf("function %s: %w", f.Spec().Name, err)
}

// authorizerInvoker runs the Lambda authorizer as API Gateway does: no
// identity header is a 401 without invoking it; its "Unauthorized" error a
// 401; a Deny policy a 403 (with the context's code); an Allow the
// principal of its context and its usage identifier key.
func authorizerInvoker(f *lambdaproc.Function, header string) gateway.AuthorizeFunc {
	return func(ctx context.Context, value string) (tenancy.Principal, string, error) {
		if strings.TrimSpace(value) == "" {
			return tenancy.Principal{}, "", httpapi.Unauthenticated.Err()
		}
		ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST",
			MethodArn: "arn:aws:execute-api:" + lambdaproc.Region + ":000000000000:local/prod/GET/",
			Headers:   map[string]string{header: value}}
		payload, _ := json.Marshal(ev)
		out, err := f.Invoke(ctx, payload)
		if err != nil {
			var fe *lambdaproc.FunctionError
			if errors.As(err, &fe) && fe.Message == "Unauthorized" {
				return tenancy.Principal{}, "", httpapi.Unauthenticated.Err()
			}
			return tenancy.Principal{}, "", errs.Internal(functionFailure(f, err))
		}
		var res events.APIGatewayCustomAuthorizerResponse
		if err := json.Unmarshal(out, &res); err != nil {
			return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("authorizer answered %q: %w", out, err))
		}
		if len(res.PolicyDocument.Statement) == 0 || res.PolicyDocument.Statement[0].Effect != "Allow" {
			code, _ := res.Context["code"].(string)
			msg, _ := res.Context["message"].(string)
			if code == "" {
				code, msg = "forbidden", "User is not authorized to access this resource"
			}
			return tenancy.Principal{}, "", errs.Forbidden(code, msg)
		}
		p, err := tenancy.FromAuthorizerContext(res.Context)
		if err != nil {
			return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("authorizer context: %w", err))
		}
		return p, res.UsageIdentifierKey, nil
	}
}

// newTemplateRouter matches requests to the template's methods with API
// Gateway's precedence (routes.Matcher: a literal path part before a
// {parameter}).
func newTemplateRouter(ms []localdeploy.APIMethod) (*routes.Matcher, error) {
	var rs []routes.Route
	for _, m := range ms {
		access := routes.Access{Kind: routes.Public}
		if m.Authorized {
			// Who may call is the function's own check (the route guard);
			// the gateway only needs to know the authorizer runs.
			access = routes.Access{Kind: routes.Tenant, MinRole: roles.User}
		}
		rs = append(rs, routes.Route{Method: m.Method, Path: m.Path, Function: routes.Function(m.Function),
			Access: access, OperationID: m.OperationName})
	}
	return routes.NewMatcher(rs), nil
}

// startFromTemplate builds and registers the template's functions, starts
// one process of each API function and of the authorizer, and returns the
// gateway that serves the template's API with them.
func (s *Stack) startFromTemplate(ctx context.Context, cfg Config, applied localdeploy.Result, ls localSettings) (gateway.Config, error) {
	tmpl, err := localdeploy.ReadTemplate(cfg.Template)
	if err != nil {
		return gateway.Config{}, err
	}
	began := time.Now()
	p, fns, err := s.templateFunctions(cfg, tmpl, applied, ls)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	s.Functions, s.template = p, tmpl
	l := s.locals(cfg, tmpl, nil, applied, ls)
	if _, err := s.poolTriggersOf(tmpl, l, applied, ls, func(id string) (string, bool) {
		f, ok := localdeploy.FunctionByLogicalID(fns, id)
		return f.Name, ok
	}); err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	api, err := tmpl.API(l)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	if err := checkAPI(api); err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	gcfg, err := templateGateway(api, p, cfg.AllowedOrigins)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	served := []string{api.Authorizer.Function}
	for fn := range gcfg.Invokers {
		served = append(served, string(fn))
	}
	sort.Strings(served)
	buildTime := time.Since(began)
	if err := warm(ctx, p, served); err != nil {
		return gateway.Config{}, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
	}
	fmt.Fprintf(p.Log(), "lambda | %d functions of %s built in %s; %d started in %s (one process each: the API's functions and the authorizer)\n",
		len(fns), filepath.Base(cfg.Template), buildTime.Round(time.Millisecond), len(served), (time.Since(began) - buildTime).Round(time.Millisecond))
	return gcfg, nil
}

// checkAPI compares the template's API with the route table it was built
// from: a method on another function than the table's, or a route the
// template lacks or adds, stops the platform naming it (the template is
// stale or its construct is wrong).
func checkAPI(api *localdeploy.API) error {
	got := map[string]localdeploy.APIMethod{}
	for _, m := range api.Methods {
		got[m.Method+" "+m.Path] = m
	}
	var problems []string
	for _, rt := range routes.All() {
		k := rt.Method + " " + rt.Path
		m, ok := got[k]
		delete(got, k)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s is in the route table but not in the template", k))
		case m.Function != string(rt.Function):
			problems = append(problems, fmt.Sprintf("%s is integrated with function %s in the template, the route table gives it to %s", k, m.Function, rt.Function))
		case m.Authorized != (rt.Access.Kind != routes.Public):
			problems = append(problems, fmt.Sprintf("%s: the template's authorizer setting (%v) disagrees with the route table's access %s", k, m.Authorized, rt.Access.Kind))
		}
	}
	for k := range got {
		problems = append(problems, fmt.Sprintf("%s is in the template but not in the route table", k))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the template's API does not match the route table (synthesize again: go test ./test/infra -update):\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// poolTriggersOf registers the Lambda triggers of the pools of tmpl
// (applied) with the router cognito-local calls (triggers.go) and returns
// their pool ids; local names the local function of a logical id of tmpl.
func (s *Stack) poolTriggersOf(tmpl *localdeploy.Template, l localdeploy.Locals, applied localdeploy.Result, ls localSettings,
	local func(logicalID string) (string, bool)) ([]string, error) {
	phys, names := map[string]string{}, map[string]string{}
	for _, r := range applied.Applied {
		phys[r.LogicalID] = r.PhysicalID
		names[r.PhysicalID] = r.LogicalID
	}
	pools, err := templatePoolTriggers(tmpl, l, phys, s.Functions, localdeploy.PrefixRename(ls.names.Prefix), local)
	if err != nil {
		return nil, err
	}
	s.triggers.set(pools)
	fmt.Fprint(s.Functions.Log(), describeTriggers(pools, func(id string) string { return names[id] }))
	return slices.Collect(maps.Keys(pools)), nil
}

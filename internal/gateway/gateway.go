// Package gateway is the local API Gateway. For each request it does what
// the deployed REST API does: match the route table, run the authorizer (with
// a result cache), enforce the tenant's usage plan, and invoke the owning
// function: with the REST (v1) proxy event (the template mode's processes), or,
// in process, by handing its handler the request the Lambda mains' adapter
// would build of that event (lambdahttp.InvokeRequest). Like API Gateway it answers CORS preflights itself, adds
// the edge's headers (internal/edge) to the answers it makes itself, and
// passes a function's answer through as the function wrote it.
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"golang.org/x/sync/singleflight"
)

// AuthorizeFunc verifies the Authorization header and returns the caller and
// the usage identifier key (the tenant's API key; empty for root).
type AuthorizeFunc func(ctx context.Context, authorization string) (tenancy.Principal, string, error)

// Config of a gateway.
type Config struct {
	// Functions maps each function to its handler (app.Function).
	Functions map[routes.Function]http.Handler
	Authorize AuthorizeFunc
	// AuthorizerCacheTTL is the authorizer result cache, keyed by the
	// Authorization header. Zero: edge.AuthorizerResultTTL, as on the
	// deployed API; negative disables it.
	AuthorizerCacheTTL time.Duration
	// AllowedOrigins for CORS; "*" allows any.
	AllowedOrigins []string
	// MaxBody bounds request bodies. Zero: edge.MaxBodyBytes, as the WAF in
	// front of the deployed API.
	MaxBody int64
	// TierLimits overrides usage plans for a local run (EnvTierLimits).
	TierLimits TierLimits
	// Timeout bounds each function invocation, as API Gateway's integration
	// timeout does (DefaultTimeout when zero): a slow dependency costs the
	// caller a 504, never a hang.
	Timeout time.Duration
	Now     func() time.Time

	// The template-driven platform (devstack's template mode) sets these;
	// nil keeps the in-process behaviour above.

	// Router matches a request to a route instead of the route table
	// (routes.Match): the routes of the synthesized template's API.
	Router func(method, path string) (rt routes.Route, params map[string]string, ok bool)
	// Invokers invoke a function with the proxy event instead of calling
	// its handler in process (Functions): a Lambda process.
	Invokers map[routes.Function]InvokeFunc
	// UsagePlan gives a tier's usage plan (the template's) instead of the
	// catalog's figures.
	UsagePlan func(tiers.Tier) (tiers.Tier, error)
	// OwnHeaders, when set, are the headers of the answers the gateway makes
	// itself, by status (the template's gateway responses), instead of
	// internal/edge's.
	OwnHeaders func(status int, origin string) http.Header
	// WriteOwn, when set, writes the answers the gateway makes itself
	// (after OwnHeaders) instead of httpapi.WriteError: make dev's template
	// mode renders them from the template's gateway responses.
	WriteOwn func(w http.ResponseWriter, r *http.Request, err error)
	// Preflight, when set, writes the CORS preflight answer's headers (the
	// template's OPTIONS methods) instead of internal/edge's.
	Preflight func(h http.Header, origin string)
	// ResourcePaths are the API's resources (path templates), each with a
	// CORS preflight: OPTIONS on one of them is a 204, on any other path a
	// 404, as the deployed API's MOCK methods answer. Nil:
	// routes.ResourcePaths(); the template mode's are the template's.
	ResourcePaths []string
}

// InvokeFunc invokes a function with an API Gateway proxy event.
type InvokeFunc func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// DefaultTimeout is API Gateway's integration timeout.
const DefaultTimeout = 29 * time.Second

// Gateway is an http.Handler.
type Gateway struct {
	cfg      Config
	adapters map[routes.Function]*lambdahttp.Adapter
	usage    *UsagePlans
	mu       sync.Mutex
	cache    map[string]cached
	// resources match the paths that have a preflight (ResourcePaths).
	resources *routes.Matcher
	// flight makes one authorizer call per token at a time: the requests
	// that find a token's result missing or expired together wait for it.
	flight singleflight.Group
}

type cached struct {
	p   tenancy.Principal
	key string
	// authz is p's authorizer context, made once per result: every request
	// of the token hands the same map to its function, which only reads it.
	authz   map[string]any
	err     error
	expires time.Time
}

// New builds a gateway.
func New(cfg Config) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = edge.MaxBodyBytes
	}
	if cfg.AuthorizerCacheTTL == 0 {
		cfg.AuthorizerCacheTTL = edge.AuthorizerResultTTL
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	g := &Gateway{cfg: cfg, adapters: map[routes.Function]*lambdahttp.Adapter{}, usage: NewUsagePlans(), cache: map[string]cached{}}
	paths := cfg.ResourcePaths
	if paths == nil {
		paths = routes.ResourcePaths()
	}
	preflights := make([]routes.Route, len(paths))
	for i, p := range paths {
		preflights[i] = routes.Route{Method: http.MethodOptions, Path: p}
	}
	g.resources = routes.NewMatcher(preflights)
	for fn, h := range cfg.Functions {
		g.adapters[fn] = lambdahttp.New(h, cfg.AllowedOrigins)
	}
	return g
}

// Usage exposes the usage plans (tests).
func (g *Gateway) Usage() *UsagePlans { return g.usage }

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// One value slice for the request and the answer (cap 1: an Add to
	// either copies it; RequestIDHeader is in canonical form).
	reqID := []string{uuid.NewString()}[:1:1]
	r.Header[httpapi.RequestIDHeader] = reqID
	w.Header()[httpapi.RequestIDHeader] = reqID
	// A malformed request (path, query, headers, two Authorization headers)
	// is a 400 before routing, authorization or any function runs.
	if err := httpapi.CheckEdge(httpapi.EdgeOf(r)); err != nil {
		g.ownHeaders(w.Header(), r, http.StatusBadRequest)
		httpapi.WriteError(w, r, err)
		return
	}
	if r.Method == http.MethodOptions && g.isResource(r.URL.Path) {
		// CORS preflight, answered by the gateway like the deployed API's
		// MOCK method: on every resource, whatever the request's headers,
		// with the security headers every answer carries. OPTIONS on a path
		// that is no resource is API Gateway's missing route (below).
		if g.cfg.Preflight != nil {
			g.cfg.Preflight(w.Header(), r.Header.Get("Origin"))
		} else {
			edge.SetSecurityHeaders(w.Header())
			edge.SetPreflight(w.Header(), r.Header.Get("Origin"), g.cfg.AllowedOrigins)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := g.serve(w, r); err != nil {
		kind := httpapi.Classify(err).Kind
		g.ownHeaders(w.Header(), r, httpapi.Status(kind))
		if g.cfg.WriteOwn != nil {
			g.cfg.WriteOwn(w, r, err)
			return
		}
		httpapi.WriteError(w, r, err)
	}
}

// ownHeaders go on the answers the gateway makes itself (401, 403, 404,
// 429...), as the deployed API's gateway responses carry them
// (constructs/api): CORS, and the security headers API Gateway can send.
func (g *Gateway) ownHeaders(h http.Header, r *http.Request, status int) {
	if g.cfg.OwnHeaders != nil {
		for k, vs := range g.cfg.OwnHeaders(status, r.Header.Get("Origin")) {
			h[k] = vs
		}
		return
	}
	for k, v := range edge.SecurityHeaders() {
		h.Set(k, v)
	}
	edge.SetGatewayCORS(h, r.Header.Get("Origin"), g.cfg.AllowedOrigins)
}

// serve answers one request: it matches the route, lets the caller in
// (authorizer and usage plan), reads the body, invokes the route's function
// and writes its answer.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) error {
	rt, params, err := g.route(r)
	if err != nil {
		return err
	}
	authz, err := g.admit(w, r, rt)
	if err != nil {
		return err
	}
	var body []byte // a request without a body (net/http's NoBody) reads nothing: no buffer for it
	if r.Body != nil && r.Body != http.NoBody {
		if body, err = io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBody+1)); err != nil {
			return errs.Invalid("unreadable_body", "the request body could not be read")
		}
	}
	if int64(len(body)) > g.cfg.MaxBody {
		return errs.TooLarge("body_too_large", "the request body is larger than the API accepts")
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.Timeout)
	defer cancel()
	if ad := g.inProcess(rt.Function); ad != nil {
		// The handler in this process: it gets the request the adapter
		// would build of the event, without the event, and its answer is
		// written as the adapter recorded it (lambdahttp.AnswerRequest).
		ans := ad.AnswerRequest(ctx, rt, authz, r, body, clientIP(r))
		if ctx.Err() == context.DeadlineExceeded {
			return errs.E(errs.KindTimeout, httpapi.IntegrationTimeout.Code, "the request took longer than %s", g.cfg.Timeout)
		}
		if err := ans.Write(w); err != nil {
			slog.Error("function returned bad base64", "function", rt.Function, "err", err)
		}
		return nil
	}
	invoke := g.invoker(rt.Function)
	if invoke == nil {
		return errs.Internal(errorf("function %s is not running", rt.Function))
	}
	ev := lambdahttp.Event(rt, params, authz, r.Method, r.URL, body, r.Header)
	ev.RequestContext.Identity.SourceIP = clientIP(r)
	res, err := invoke(ctx, ev)
	if ctx.Err() == context.DeadlineExceeded {
		return errs.E(errs.KindTimeout, httpapi.IntegrationTimeout.Code, "the request took longer than %s", g.cfg.Timeout)
	}
	var known *errs.Error
	if errors.As(err, &known) { // an invoker's own answer (a function's timeout)
		return known
	}
	if err != nil {
		return errs.Internal(err)
	}
	if err := lambdahttp.WriteProxyResponse(w, res); err != nil {
		slog.Error("function returned bad base64", "function", rt.Function, "err", err)
	}
	return nil
}

// route matches the request to a route (the route table unless the config
// has its own Router). No route for the method is API Gateway's missing
// route, a 404, whether or not the path has other methods: a REST API
// answers a method a resource lacks (HEAD among them: it has none) as it
// answers a path it lacks (MISSING_AUTHENTICATION_TOKEN), and so does
// every mode of the local gateway (it answered a 405 in process until
// edge14).
func (g *Gateway) route(r *http.Request) (routes.Route, map[string]string, error) {
	match := routes.Match
	if g.cfg.Router != nil {
		match = g.cfg.Router
	}
	rt, params, ok := match(r.Method, r.URL.Path)
	if !ok {
		return rt, params, httpapi.NoRoute.Err()
	}
	return rt, params, nil
}

// isResource reports whether path is one of the API's resources (it has a
// CORS preflight).
func (g *Gateway) isResource(path string) bool {
	_, _, ok := g.resources.Match(http.MethodOptions, path)
	return ok
}

// admit runs the authorizer for a route that is not public and charges the
// caller's API key to its usage plan, answering the authorizer's context
// for the event (nil on a public route).
func (g *Gateway) admit(w http.ResponseWriter, r *http.Request, rt routes.Route) (map[string]any, error) {
	if rt.Access.Kind == routes.Public {
		return nil, nil
	}
	c := g.authorize(r.Context(), r.Header.Get("Authorization"))
	p, key, err := c.p, c.key, c.err
	if err != nil {
		if e := errs.As(err); e.Kind == errs.KindUnauthorized {
			// API Gateway answers every 401 of the authorizer alike, with
			// nothing of its reason: so does this gateway. The reason is
			// the operator's, in the log.
			slog.InfoContext(r.Context(), "unauthenticated", "reason", e.Code, "detail", e.Message,
				"path", r.URL.Path, "request_id", r.Header.Get(httpapi.RequestIDHeader))
			return nil, httpapi.Unauthenticated.Err()
		}
		return nil, err
	}
	authz := c.authz
	if authz == nil {
		authz = p.AuthorizerContext()
	}
	if key != "" { // root has no usage plan
		if err := g.throttle(w, p, key); err != nil {
			return nil, err
		}
	}
	return authz, nil
}

// throttle takes one request from the API key's usage plan (the tenant's
// tier, as the config's UsagePlan and TierLimits adjust it), sets the rate
// limit headers, and answers a 429 when the burst or the monthly quota is
// used up.
func (g *Gateway) throttle(w http.ResponseWriter, p tenancy.Principal, key string) error {
	t, ok := tiers.Get(p.Tier)
	if !ok {
		return errs.Internal(errorf("tenant %s has unknown tier %q", p.TenantID, p.Tier))
	}
	if g.cfg.UsagePlan != nil {
		var err error
		if t, err = g.cfg.UsagePlan(t); err != nil {
			return errs.Internal(err)
		}
	}
	t = g.cfg.TierLimits.Apply(t)
	d := g.usage.Take(key, t, g.cfg.Now())
	d.SetHeaders(w.Header())
	if !d.Allowed {
		msg := "too many requests: the " + string(t.Name) + " tier allows a burst of " + itoa(t.Burst) + " at " + ftoa(t.RateLimit) + " requests per second"
		if d.Reason == "quota" {
			msg = "the monthly request quota of the " + string(t.Name) + " tier (" + itoa(int(t.MonthlyQuota)) + ") is used up"
		}
		code := httpapi.Throttled.Code
		if d.Reason == "quota" {
			code = httpapi.QuotaExceeded.Code
		}
		return errs.E(errs.KindRateLimited, code, "%s", msg)
	}
	return nil
}

// invoker is the function's invoker of the config (the template mode's
// processes); nil when it has none.
func (g *Gateway) invoker(fn routes.Function) InvokeFunc {
	return g.cfg.Invokers[fn]
}

// inProcess is the adapter of the function's handler in this process
// (Functions), unless the config invokes the function another way.
func (g *Gateway) inProcess(fn routes.Function) *lambdahttp.Adapter {
	if g.cfg.Invokers[fn] != nil {
		return nil
	}
	return g.adapters[fn]
}

// authorize runs the authorizer behind a result cache keyed by the
// Authorization header, like API Gateway's (failures are cached too). When
// a token's result is missing or expired, one authorizer call answers every
// request of that token waiting for it (each used to call the authorizer,
// which reads the tenant and the user, when the result expired under load).
func (g *Gateway) authorize(ctx context.Context, header string) cached {
	if header == "" || g.cfg.AuthorizerCacheTTL < 0 {
		p, key, err := g.cfg.Authorize(ctx, header)
		return cached{p: p, key: key, err: err}
	}
	if c, ok := g.cached(header); ok {
		return c
	}
	v, _, _ := g.flight.Do(header, func() (any, error) {
		if c, ok := g.cached(header); ok { // filled by the call this one followed
			return c, nil
		}
		now := g.cfg.Now()
		// The call answers every waiting request: one caller going away
		// must not fail the others.
		p, key, err := g.cfg.Authorize(context.WithoutCancel(ctx), header)
		c := cached{p: p, key: key, err: err, expires: now.Add(g.cfg.AuthorizerCacheTTL)}
		if err == nil {
			c.authz = p.AuthorizerContext()
		}
		if err != nil && errs.As(err).Kind == errs.KindInternal {
			return c, nil // never cache our own failures
		}
		g.mu.Lock()
		if len(g.cache) > 10000 {
			g.cache = map[string]cached{}
		}
		g.cache[header] = c
		g.mu.Unlock()
		return c, nil
	})
	return v.(cached)
}

// cached is the token's unexpired authorizer result.
func (g *Gateway) cached(header string) (cached, bool) {
	now := g.cfg.Now()
	g.mu.Lock()
	c, ok := g.cache[header]
	g.mu.Unlock()
	return c, ok && now.Before(c.expires)
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

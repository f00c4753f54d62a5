package core

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// Function builds the handler of one function: every route it owns in the
// route table, each behind the route's access rule, served by the
// operation of all with the route's id (all may hold more: the in-process
// platform passes every domain's). A route without an operation is an
// error, so the table and the code cannot drift.
func Function(fn routes.Function, all httpapi.Operations, d Deps) (http.Handler, error) {
	idem := idempotency.Store{DB: d.DB, Control: d.Control(), ControlTable: d.Names.Control(), Now: d.Now}
	var homes homeReader
	if d.Control() != nil {
		homes = &cachedHomes{reg: tenantdb.New(d.Control(), d.Names), ttl: tenant.HomeCacheTTL, now: time.Now}
	}
	var logDB keylog.Putter // a nil *dynamodb.Client is not a nil Putter
	if d.DB != nil {
		logDB = d.DB
	}
	mux := http.NewServeMux()
	owned := routes.ForFunction(fn)
	if len(owned) == 0 {
		return nil, fmt.Errorf("function %q owns no route", fn)
	}
	for _, rt := range owned {
		op, ok := all[rt.OperationID]
		if !ok {
			return nil, fmt.Errorf("route %s %s: no operation %q", rt.Method, rt.Path, rt.OperationID)
		}
		mux.Handle(rt.Method+" "+rt.Path, guard(rt, op, idem, homes, logDB))
	}
	mux.Handle("/", httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.KindNotFound, "route_not_found", "no route %s %s", r.Method, r.URL.Path)
	}))
	return instrument(fn, withEdgeHeaders(metered(d.Meter, mux), d.CORSOrigins)), nil
}

// withEdgeHeaders sends the API's security and CORS headers (internal/edge)
// on every answer: API Gateway passes a Lambda proxy answer through as the
// function wrote it and cannot add headers to it, so the functions send
// them, in AWS and behind the local gateway alike.
func withEdgeHeaders(h http.Handler, origins []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edge.SetSecurityHeaders(w.Header())
		edge.SetCORS(w.Header(), r.Header.Get("Origin"), origins)
		h.ServeHTTP(w, r)
	})
}

// MustFunction is Function for mains: a wiring error stops the cold start.
func MustFunction(fn routes.Function, all httpapi.Operations, d Deps) http.Handler {
	h, err := Function(fn, all, d)
	if err != nil {
		panic(err)
	}
	return h
}

// guard enforces the route's access rule: the one place where the permission
// matrix is applied, in AWS and locally alike. Every POST honours
// Idempotency-Key (internal/idempotency), inside the tenant context.
//
// A tenant's request reads the tenant's record (one consistent GetItem,
// never cached): its table may have changed within the authorizer's cache
// time (a tier migration's switch), and during a migration's write freeze
// its writes answer 503 with Retry-After while its reads go on.
// homeReader reads a tenant's record: where its data lives now.
type homeReader = TenantReader

// TenantReader reads a tenant's record.
type TenantReader interface {
	Get(ctx context.Context, id string) (tenant.Tenant, error)
}

// CachedTenants reads reg's records through a per-process cache kept for
// ttl (as the guard's, cachedHomes): a record not found is kept too,
// other errors are not.
func CachedTenants(reg tenant.Registry, ttl time.Duration) TenantReader {
	return &cachedHomes{reg: reg, ttl: ttl, now: time.Now}
}

// While a tier migration copies the tenant (KeyLogSince set), every write
// the request makes into the tenant's table logs its keys first, through
// log (the tenant-scoped client; internal/keylog), so the migration's
// drain reads only what changed.
func guard(rt routes.Route, op httpapi.HandlerFunc, idem idempotency.Store, homes homeReader, log keylog.Putter) http.Handler {
	switch {
	case rt.WriteClaimsKey():
		op = idem.WrapOneTransaction(op)
	case rt.Method == http.MethodPost:
		op = idem.Wrap(op)
	}
	op = onlyDeclaredQuery(rt, op)
	op = onlyEvaluatedConditions(rt, op)
	op = onlyHonouredIdempotencyKey(rt, op)
	op = onlyTakenBody(rt, op)
	if rt.Access.Kind == routes.Public {
		return op
	}
	return httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		if !rt.Access.Allows(p.Role) {
			return errs.Forbidden("role_forbidden", fmt.Sprintf("your role (%s) may not call %s %s", p.Role, rt.Method, rt.Path))
		}
		if p.MFA == tenancy.MFAMissing && !routes.AllowedWithoutMFA(rt.OperationID) {
			return errs.Forbidden("mfa_required", "your workspace requires MFA: set it up (GET /v1/me/mfa) and sign in again with it")
		}
		var t tenant.Tenant
		if p.TenantID != "" && homes != nil {
			t, err = homes.Get(r.Context(), p.TenantID)
			switch {
			case errs.Is(err, errs.KindNotFound):
				// Not in the registry (a principal made by a test): the authorizer's word stands.
				t = tenant.Tenant{Table: p.Table}
			case err != nil:
				return err
			}
			if t.WritesFrozen && !safeMethod(rt.Method) {
				w.Header().Set("Retry-After", strconv.Itoa(tenant.RetryAfterFreeze))
				return errs.Unavailable("tenant_migrating",
					"your workspace is moving to its new home: writes resume in a few seconds, reads work meanwhile", nil)
			}
			p.Table = t.Table
		}
		ctx := tenancy.WithPrincipal(r.Context(), p) // decoded once per request
		if !t.KeyLogSince.IsZero() && log != nil && t.Table != "" {
			ctx = keylog.With(ctx, &keylog.Target{Tenant: p.TenantID, Table: t.Table, DB: log, Admit: admitAgain(homes, p.TenantID, t.Table)})
		}
		if p.TenantID != "" {
			// From here on, tenant data is read and written as this tenant only.
			ctx = tenancy.WithTenant(ctx, p.TenantID)
		}
		return op(w, r.WithContext(ctx))
	})
}

// admitAgain is the guard's check made again before each write a request
// or a job logs (keylog.Readmit), through homes (the guard's cache, or the
// registry): a request admitted just before a freeze may write later (a
// slow handler, one write after another), and each write must begin
// within the cache time of the freeze, so that it has landed or failed
// (keylog.Bound) when the freeze's settle ends; nor may it write into a
// home the tenant has left (the switch).
func admitAgain(homes homeReader, tenantID, table string) func(context.Context) error {
	return keylog.Readmit(table, tenant.HomeCacheTTL, errs.Unavailable("tenant_migrating",
		"your workspace is moving to its new home: writes resume in a few seconds, reads work meanwhile", nil),
		func(ctx context.Context) (string, bool, error) {
			t, err := homes.Get(ctx, tenantID)
			return t.Table, t.WritesFrozen, err
		})
}

// onlyDeclaredQuery refuses a query parameter the route does not declare
// (routes.Route.QueryParams) with a 400 unknown_parameter naming it, before
// the idempotency claim and the handler: a typo such as ?stauts=open must
// not answer the unfiltered list.
func onlyDeclaredQuery(rt routes.Route, op httpapi.HandlerFunc) httpapi.HandlerFunc {
	declared := rt.QueryParams()
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.RawQuery != "" {
			for k, vs := range r.URL.Query() {
				if !rt.TakesQuery(k) {
					return errs.Invalid("unknown_parameter", fmt.Sprintf("unknown query parameter %q: %s %s takes %s",
						k, rt.Method, rt.Path, takes(declared)), errs.FieldError{Field: k, Reason: "unknown query parameter"})
				}
				// No parameter of the API takes two values: a handler would
				// read one of them (the lists refused a repeat, the
				// analytics and exports took the first, until audit12).
				if len(vs) > 1 {
					return errs.Invalid("repeated_parameter", fmt.Sprintf("query parameter %q is repeated: send it once", k),
						errs.FieldError{Field: k, Reason: "repeated"})
				}
				// An empty value (?label=, a filter whose value a client
				// forgot) would read as no filter: the unfiltered list.
				// cursor and limit are the list toolkit's (list.Params:
				// invalid_cursor, invalid_limit); a public route's
				// parameters are its handler's to judge (an empty ?token=
				// is a wrong token: 404, as for an unknown slug).
				if k != "cursor" && k != "limit" && rt.Access.Kind != routes.Public && slices.Contains(vs, "") {
					return errs.Invalid("empty_parameter", fmt.Sprintf("query parameter %q is empty: leave it out, or give it a value", k),
						errs.FieldError{Field: k, Reason: "is empty"})
				}
			}
		}
		return op(w, r)
	}
}

// onlyTakenBody refuses a request body on a route that reads none
// (routes.Route.TakesBody) with a 400 body_not_allowed, before the
// idempotency claim and the handler: ignored, a client's {"reason": ...}
// on a DELETE or {"role": ...} on an enable would vanish without a word.
// An empty body is no body.
func onlyTakenBody(rt routes.Route, op httpapi.HandlerFunc) httpapi.HandlerFunc {
	if rt.TakesBody() {
		return op
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Body != nil && r.Body != http.NoBody {
			var one [1]byte
			if n, _ := io.ReadFull(r.Body, one[:]); n > 0 {
				return errs.Invalid("body_not_allowed", fmt.Sprintf("%s %s takes no request body; send none", rt.Method, rt.Path),
					errs.FieldError{Field: "body", Reason: "not allowed on this route"})
			}
		}
		return op(w, r)
	}
}

// onlyEvaluatedConditions refuses a precondition the route would not
// evaluate, with a 400 naming the header, before the idempotency claim and
// the handler: If-Match on a route that takes none (routes.Route.IfMatch),
// and If-None-Match or If-Unmodified-Since on a write. Ignored, each would
// turn a conditional write the client asked for into an unconditional one
// (a lost update). On a route that takes If-Match, its value must be one
// httpapi.IfMatch reads.
func onlyEvaluatedConditions(rt routes.Route, op httpapi.HandlerFunc) httpapi.HandlerFunc {
	what := rt.IfMatch()
	write := !safeMethod(rt.Method)
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, ok := r.Header["If-Match"]; ok {
			if what == "" {
				return errs.Invalid("if_match_not_supported", fmt.Sprintf("%s %s takes no If-Match: it is not a conditional request here (the routes that take one say so in the OpenAPI document)", rt.Method, rt.Path),
					errs.FieldError{Field: "If-Match", Reason: "not supported by this route"})
			}
			if _, err := httpapi.IfMatch(r); err != nil {
				return err
			}
		}
		if write {
			for _, h := range []string{"If-None-Match", "If-Unmodified-Since"} {
				if _, ok := r.Header[h]; ok {
					return errs.Invalid("precondition_not_supported", fmt.Sprintf("%s %s does not evaluate %s; writes that take a condition take If-Match", rt.Method, rt.Path, h),
						errs.FieldError{Field: h, Reason: "not supported by this route"})
				}
			}
		}
		return op(w, r)
	}
}

// onlyHonouredIdempotencyKey refuses an Idempotency-Key on a PUT, PATCH or
// DELETE with a 400 idempotency_key_not_supported naming the header, before
// the handler: only POSTs store and replay their answer (DESIGN.md, "POSTs
// accept Idempotency-Key"). The others are idempotent by themselves (a PUT
// or a merge patch sets the same values again, a DELETE's retry finds the
// thing gone) or conditional (If-Match: a retry after a lost answer is a
// 412 naming the new version). Ignored, the key let a client believe a
// retry would replay the first answer (until audit12).
func onlyHonouredIdempotencyKey(rt routes.Route, op httpapi.HandlerFunc) httpapi.HandlerFunc {
	if rt.Method == http.MethodPost || safeMethod(rt.Method) {
		return op
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, ok := r.Header[idempotency.Header]; ok {
			return errs.Invalid("idempotency_key_not_supported", fmt.Sprintf("%s %s takes no Idempotency-Key: only POSTs replay their answer; a %s is safe to repeat as it is%s",
				rt.Method, rt.Path, rt.Method, ifMatchHint(rt)), errs.FieldError{Field: idempotency.Header, Reason: "not supported by this route"})
		}
		return op(w, r)
	}
}

// ifMatchHint tells a client of a conditional route how a retry stays safe.
func ifMatchHint(rt routes.Route) string {
	if rt.IfMatch() == "" {
		return ""
	}
	return " (with If-Match, a retry after a lost answer is a 412 naming the new version)"
}

func takes(ps []string) string {
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

// cachedHomes keeps each tenant's record for ttl in this process, so the
// guard reads the registry about once a second per tenant and execution
// environment, not on every request. The migration's freeze waits
// tenant.HomeCacheTTL longer for that (its states go unfrozen-old ->
// frozen-old -> unfrozen-new, so a cached record at most ttl old admits no
// write after the drain, and one that is stale after the switch refuses
// writes). Errors are not kept.
//
// One read per tenant at a time: the requests that find a tenant's record
// missing or expired while a read of it is under way wait for that read
// instead of each making its own (at 32 concurrent clients of 3 tenants,
// 20 reads a second instead of 3; docs/performance.md, sixth pass). A
// waiter takes the shared record only on the cache's own terms: kept (no
// error but not found) and read less than ttl before now, as a cache hit
// would be; otherwise it reads the registry itself.
type cachedHomes struct {
	reg     tenant.Registry
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	m       map[string]cachedHome
	reading map[string]*homeRead
}

type cachedHome struct {
	t   tenant.Tenant
	err error
	at  time.Time
}

// homeRead is a registry read under way; done is closed when h is set.
type homeRead struct {
	done chan struct{}
	h    cachedHome
	kept bool
}

func (c *cachedHomes) Get(ctx context.Context, id string) (tenant.Tenant, error) {
	now := c.now()
	c.mu.Lock()
	h, ok := c.m[id]
	if ok && now.Sub(h.at) < c.ttl {
		c.mu.Unlock()
		return h.t, h.err
	}
	if f := c.reading[id]; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.kept && c.now().Sub(f.h.at) < c.ttl {
				return f.h.t, f.h.err
			}
		case <-ctx.Done():
		}
		return c.read(ctx, id, c.now(), nil)
	}
	f := &homeRead{done: make(chan struct{})}
	if c.reading == nil {
		c.reading = map[string]*homeRead{}
	}
	c.reading[id] = f
	c.mu.Unlock()
	return c.read(ctx, id, now, f)
}

// read reads id's record from the registry at now and keeps it unless the
// read failed; f, the read the waiters share, if any, is finished.
func (c *cachedHomes) read(ctx context.Context, id string, now time.Time, f *homeRead) (tenant.Tenant, error) {
	var t tenant.Tenant
	var err error
	kept := false
	if f != nil {
		defer func() { // after a panic too: the waiters then read themselves
			c.mu.Lock()
			f.h, f.kept = cachedHome{t: t, err: err, at: now}, kept
			delete(c.reading, id)
			close(f.done)
			c.mu.Unlock()
		}()
	}
	t, err = c.reg.Get(ctx, id)
	kept = err == nil || errs.Is(err, errs.KindNotFound)
	c.mu.Lock()
	if kept {
		if c.m == nil || len(c.m) > 10000 {
			c.m = map[string]cachedHome{}
		}
		c.m[id] = cachedHome{t: t, err: err, at: now}
	}
	c.mu.Unlock()
	return t, err
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

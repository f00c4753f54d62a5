package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// cpuTime is this process's user + system CPU time: the platform's side of
// a request in process, without DynamoDB Local's (another process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetIssueCPU is GET /v1/issues/{id} through the gateway in
// process (route, usage plan, cached authorizer result, proxy event, the
// Lambda adapter, the issues function's middleware and handler, the SDK
// call, JSON, the metrics line to a file) against the raw GetItem of the
// same issue through the issue store and the same client, one at a time on
// DynamoDB Local: cpu-us/op is this process's CPU per request (DynamoDB
// Local's is left out), the figure the platform adds to the database's.
//
//	go test -run '^$' -bench BenchmarkGetIssueCPU -benchtime 3000x ./internal/gateway/
func BenchmarkGetIssueCPU(b *testing.B) {
	if err := os.Setenv(envvars.MetricsLog, filepath.Join(b.TempDir(), "metrics.log")); err != nil {
		b.Fatal(err)
	}
	db, names := testenv.Tables(b)
	now := time.Now().UTC()
	ctx := context.Background()
	if err := tenantdb.New(db, names).Create(ctx, tenant.Tenant{ID: "tiny", Name: "Tiny", Tier: tiers.Premium,
		Status: tenant.StatusActive, Table: names.App(), APIKey: "key-tiny", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	deps := app.Deps{DB: db, Names: names, Now: time.Now}
	fns := map[routes.Function]http.Handler{}
	for _, fn := range routes.Functions() {
		fns[fn] = app.MustFunction(fn, deps)
	}
	gw := gateway.New(gateway.Config{
		Functions:  fns,
		TierLimits: gateway.TierLimits{"*": {Rate: 1e9, Burst: 1e9, Quota: 1e12}},
		Authorize: func(ctx context.Context, h string) (tenancy.Principal, string, error) {
			return tenancy.Principal{TenantID: "tiny", UserID: "u1", Username: "u1", Role: roles.User,
				Tier: tiers.Premium, Table: names.App()}, "key-tiny", nil
		},
	})
	call := func(method, path, body string) *httptest.ResponseRecorder {
		var rd io.Reader // nil: no body, as a net/http server hands a GET over (http.NoBody)
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Authorization", "Bearer tiny-user")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		return rec
	}
	rec := call(http.MethodPost, "/v1/issues", `{"title":"Checkout broken","type":"bug"}`)
	if rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var iss struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &iss); err != nil || iss.ID == "" {
		b.Fatalf("create: %v %s", err, rec.Body)
	}
	keys, err := list.StaticKey(strings.Repeat("bench-cursor-key-", 3))
	if err != nil {
		b.Fatal(err)
	}
	// raw: a plain SDK client's read (the SDK's deserializer, then
	// attributevalue), as the load tool's raw phase; direct: the store as
	// the platform uses it, the answer decoded straight into the item.
	store := &issuedb.Store{DB: db, Cursors: list.Codec{Keys: keys}, SDKDecode: true}
	direct := &issuedb.Store{DB: db, Cursors: list.Codec{Keys: keys}}
	sc := tenancy.Scope{Table: names.App(), TenantID: "tiny"}
	measure := func(b *testing.B, op func() error) {
		for range 50 { // connections, caches
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
	}
	b.Run("gateway", func(b *testing.B) {
		measure(b, func() error {
			if rec := call(http.MethodGet, "/v1/issues/"+iss.ID, ""); rec.Code != http.StatusOK {
				b.Fatalf("get: %d %s", rec.Code, rec.Body)
			}
			return nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		measure(b, func() error { _, err := store.Get(ctx, sc, iss.ID); return err })
	})
	b.Run("raw-direct", func(b *testing.B) {
		measure(b, func() error { _, err := direct.Get(ctx, sc, iss.ID); return err })
	})
}

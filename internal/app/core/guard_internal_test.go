package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// homesNow is a tenant record the test changes (what the guard's cached
// read returns).
type homesNow struct {
	mu sync.Mutex
	t  tenant.Tenant
}

func (h *homesNow) Get(context.Context, string) (tenant.Tenant, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.t, nil
}

func (h *homesNow) set(f func(*tenant.Tenant)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.t)
}

// A request the guard admitted before a freeze may make its writes later
// (a slow handler, one write after another). Each write is admitted
// again (keylog.Target.Admit, through the guard's cached read), so none
// begins after the freeze is seen, nor after the switch into a home the
// tenant has left: the freeze's settle then bounds every write admitted
// before it (keylog.Bound). Without it the request's later writes landed
// in the old home whenever they came, after the drain included.
func TestEachWriteOfARequestAdmittedBeforeAFreezeIsAdmittedAgain(t *testing.T) {
	db, names := testenv.Tables(t)
	old, other := names.App(), names.App()+"-new"
	p := schema.TenantKeyPrefix("g1")
	homes := &homesNow{t: tenant.Tenant{ID: "g1", Table: old, KeyLogSince: time.Now()}}
	rt := routes.Route{Method: http.MethodPatch, Path: "/v1/things/{id}", OperationID: "updateThing",
		Access: routes.Access{Kind: routes.Tenant, MinRole: roles.User}}
	var errsSeen []error
	put := func(ctx context.Context, sk string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(old), Item: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: sk}}})
		return err
	}
	op := httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		errsSeen = append(errsSeen, put(r.Context(), "A")) // admitted, not frozen
		homes.set(func(t *tenant.Tenant) { t.WritesFrozen = true })
		errsSeen = append(errsSeen, put(r.Context(), "B")) // after the freeze
		homes.set(func(t *tenant.Tenant) { t.WritesFrozen, t.Table, t.KeyLogSince = false, other, time.Time{} })
		errsSeen = append(errsSeen, put(r.Context(), "C")) // after the switch
		return nil
	})
	h := guard(rt, op, idempotency.Store{}, homes, db)
	req := httptest.NewRequest(http.MethodPatch, "/v1/things/1", nil)
	req = req.WithContext(tenancy.WithPrincipal(context.Background(), tenancy.Principal{TenantID: "g1", UserID: "u", Role: roles.User, Table: old}))
	h.ServeHTTP(httptest.NewRecorder(), req)

	require.Len(t, errsSeen, 3)
	assert.NoError(t, errsSeen[0])
	for i, sk := range []string{"B", "C"} {
		e := errsSeen[i+1]
		require.Error(t, e, "the write after the %s", map[string]string{"B": "freeze", "C": "switch"}[sk])
		assert.Equal(t, "tenant_migrating", errs.As(e).Code)
	}
	ctx := tenancy.WithTenant(context.Background(), "g1")
	for sk, want := range map[string]bool{"A": true, "B": false, "C": false} {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(old), ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: sk}}})
		require.NoError(t, err)
		assert.Equal(t, want, got.Item != nil, "%s in the old home", sk)
	}
}

// The guard's check made again before each logged write, on a warm cache
// (the guard read the record for the request itself): what it adds to a
// write during a migration, besides the deadline (docs/migration.md).
func BenchmarkTheGuardsAdmitAgain(b *testing.B) {
	homes := &cachedHomes{ttl: time.Hour, now: time.Now, m: map[string]cachedHome{
		"g1": {t: tenant.Tenant{ID: "g1", Table: "app", KeyLogSince: time.Now()}, at: time.Now()}}}
	admit := admitAgain(homes, "g1", "app")
	ctx := context.Background()
	for b.Loop() {
		if err := admit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// homeStore is a webhook store per table: the old home and the new one
// of a tenant being migrated. It remembers whether each write ran under
// a key log target, and for which table.
type homeStore struct {
	webhook.Store // the methods the Deliverer does not use
	mu            sync.Mutex
	endpoint      webhook.Endpoint
	delivery      webhook.Delivery
	recorded      map[string][]webhook.Attempt // by table
	logged        map[string]string            // table written -> the log target's table ("" none)
}

func (s *homeStore) Endpoint(context.Context, tenancy.Scope, string) (webhook.Endpoint, error) {
	return s.endpoint, nil
}

func (s *homeStore) Delivery(context.Context, tenancy.Scope, string, string) (webhook.Delivery, error) {
	return s.delivery, nil
}

func (s *homeStore) write(ctx context.Context, sc tenancy.Scope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logged == nil {
		s.logged = map[string]string{}
	}
	if t := keylog.From(ctx); t != nil {
		s.logged[sc.Table] = t.Table
	} else {
		s.logged[sc.Table] = ""
	}
}

func (s *homeStore) RecordAttempt(ctx context.Context, sc tenancy.Scope, _, _ string, a webhook.Attempt, _ string, _ time.Time) (bool, error) {
	s.write(ctx, sc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recorded == nil {
		s.recorded = map[string][]webhook.Attempt{}
	}
	s.recorded[sc.Table] = append(s.recorded[sc.Table], a)
	return true, nil
}

func (s *homeStore) RecordSuccess(ctx context.Context, sc tenancy.Scope, _ string) error {
	s.write(ctx, sc)
	return nil
}

func (s *homeStore) RecordFailure(ctx context.Context, sc tenancy.Scope, _ string, _ int, _ string, _ time.Time) (bool, error) {
	s.write(ctx, sc)
	return false, nil
}

type sent struct {
	task  webhook.Task
	delay time.Duration
}

type queue struct {
	mu   sync.Mutex
	sent []sent
}

func (q *queue) Send(_ context.Context, t webhook.Task, d time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, sent{t, d})
	return nil
}

// The webhook worker is no stream consumer, so a tier migration's freeze
// does not wait for it; it follows the tenant's home instead. While the
// tenant's writes are frozen it makes no attempt and sends the task back
// to the queue; a freeze that begins during an attempt sends it back
// unrecorded; after the switch a task naming the old table records its
// attempt in the new home; while the tenant is copied its writes log
// their keys in the home they go to.
func TestTheWebhookWorkerFollowsTheTenantsHomeThroughAMigration(t *testing.T) {
	var (
		mu   sync.Mutex
		home = webhook.TenantHome{Table: "old"}
		hits int
		// during runs inside the receiver, while the attempt is made.
		during func()
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		hits++
		f := during
		mu.Unlock()
		if f != nil {
			f()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	set := func(h webhook.TenantHome) { mu.Lock(); home = h; mu.Unlock() }
	newWorker := func() (*homeStore, *queue, webhook.Deliverer) {
		st := &homeStore{endpoint: webhook.Endpoint{ID: "ep", URL: srv.URL, State: webhook.Enabled, Secrets: []webhook.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}},
			delivery: webhook.Delivery{ID: "d1", EndpointID: "ep", Status: webhook.Pending, Payload: []byte(`{}`)}}
		q := &queue{}
		return st, q, webhook.Deliverer{Store: st, Queue: q, Client: srv.Client(), KeyLog: nopPutter{},
			Home: func(context.Context, string) (webhook.TenantHome, error) {
				mu.Lock()
				defer mu.Unlock()
				return home, nil
			}}
	}
	task := webhook.Task{Table: "old", TenantID: "acme", EndpointID: "ep", DeliveryID: "d1", Attempt: 1}
	ctx := context.Background()

	t.Run("frozen: no attempt, the task waits in the queue", func(t *testing.T) {
		set(webhook.TenantHome{Table: "old", Frozen: true, LogSince: time.Now()})
		st, q, d := newWorker()
		before := hits
		require.NoError(t, d.Handle(ctx, task))
		assert.Equal(t, before, hits, "no request while frozen")
		assert.Empty(t, st.recorded)
		require.Len(t, q.sent, 1)
		assert.Equal(t, task, q.sent[0].task)
		assert.Equal(t, webhook.FreezeRetry, q.sent[0].delay)
	})

	t.Run("a freeze that begins during the attempt: nothing recorded, the task comes back", func(t *testing.T) {
		set(webhook.TenantHome{Table: "old", LogSince: time.Now()})
		st, q, d := newWorker()
		mu.Lock()
		during = func() { home.Frozen = true }
		mu.Unlock()
		defer func() { mu.Lock(); during = nil; mu.Unlock() }()
		require.NoError(t, d.Handle(ctx, task))
		assert.Empty(t, st.recorded, "an attempt recorded after the freeze began would land in the old home after the drain")
		require.Len(t, q.sent, 1)
		assert.Equal(t, task, q.sent[0].task)
	})

	t.Run("being copied: the attempt is recorded in the old home, its keys logged there", func(t *testing.T) {
		set(webhook.TenantHome{Table: "old", LogSince: time.Now()})
		st, q, d := newWorker()
		require.NoError(t, d.Handle(ctx, task))
		assert.Len(t, st.recorded["old"], 1)
		assert.Equal(t, map[string]string{"old": "old"}, st.logged, "every write logged in the home it goes to")
		assert.Empty(t, q.sent)
	})

	t.Run("after the switch: a task naming the old table records in the new home", func(t *testing.T) {
		set(webhook.TenantHome{Table: "new"})
		st, _, d := newWorker()
		require.NoError(t, d.Handle(ctx, task))
		assert.Empty(t, st.recorded["old"])
		assert.Len(t, st.recorded["new"], 1)
		assert.Equal(t, map[string]string{"new": ""}, st.logged, "not logged once the migration is over")
	})

	t.Run("a tenant without a home: nothing to do", func(t *testing.T) {
		set(webhook.TenantHome{})
		st, q, d := newWorker()
		before := hits
		require.NoError(t, d.Handle(ctx, task))
		assert.Equal(t, before, hits)
		assert.Empty(t, st.recorded)
		assert.Empty(t, q.sent)
	})

	t.Run("the registry cannot be read: the task is retried by the queue", func(t *testing.T) {
		st, _, d := newWorker()
		d.Home = func(context.Context, string) (webhook.TenantHome, error) {
			return webhook.TenantHome{}, errs.Internal(assert.AnError)
		}
		assert.Error(t, d.Handle(ctx, task))
		assert.Empty(t, st.recorded)
	})
}

type nopPutter struct{ keylog.Putter }

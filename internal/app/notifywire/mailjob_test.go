package notifywire_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

type sent struct {
	mu sync.Mutex
	to []string
}

func (s *sent) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.to = append(s.to, m.To)
	return nil
}

// The stream-activity function's notification mail job
// (notifywire.SendNotificationMail on the Deps core.BaseFromEnv builds,
// with core.TenantCreds from its environment) mails the pending
// notifications of initech, a Platinum tenant in its own account, reading
// and writing initech's table through the second hop, and acme's in the
// pooled table with the function's own role, as before.
func TestTheMailJobReachesATenantInItsOwnAccountThroughASecondHop(t *testing.T) {
	ctx := context.Background()
	local, names, tenants := twoTenants(t)

	now := time.Now().UTC()
	for _, sc := range tenants {
		tier := tiers.Standard
		if sc.TenantID == "initech" {
			tier = tiers.Platinum
		}
		require.NoError(t, tenantdb.New(local, names).Create(ctx, tenant.Tenant{ID: sc.TenantID, Name: sc.TenantID, Tier: tier,
			Status: tenant.StatusActive, Table: sc.Table, CreatedAt: now, UpdatedAt: now}))
		tctx := tenancy.WithTenant(ctx, sc.TenantID)
		for _, u := range []string{"owner", "actor"} {
			require.NoError(t, peopledb.UserDB{DB: local}.Put(tctx, sc, people.User{ID: u, TenantID: sc.TenantID, Username: u,
				Email: u + "@" + sc.TenantID + ".test", DisplayName: u, Role: roles.Admin, Status: people.UserActive,
				CreatedAt: now, UpdatedAt: now, Version: 1}))
		}
		n := notify.Notification{ID: "n1", Kind: notify.Commented, IssueID: "i1", IssueKey: "ISS-1", IssueTitle: "Printer on fire",
			ActorID: "actor", Summary: "commented", At: now.Add(-time.Hour)}
		_, err := notifydb.Store{DB: local}.Deliver(tctx, sc, "owner", n,
			&notify.Pending{Due: now.Add(-time.Minute), UserID: "owner", Mode: notify.Preferences{}.Mode(notify.Commented), Notification: n})
		require.NoError(t, err)
	}

	db, calls, hops := hopClient(t)
	keys, err := list.StaticKey("mail-job-test-cursor-key-0123456789abcdef")
	require.NoError(t, err)
	out := &sent{}
	deps := core.Deps{DB: db, ControlDB: local, Names: names, Now: time.Now, Mail: out,
		Cursors: list.Codec{Keys: keys}, WebBaseURL: "https://web.test", APIBaseURL: "https://api.test"}
	n, err := notifywire.SendNotificationMail(ctx, deps, now)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.ElementsMatch(t, []string{"owner@acme.test", "owner@initech.test"}, out.to, "both tenants' owners are mailed")
	for _, sc := range tenants {
		due, err := notifydb.Store{DB: local}.Due(tenancy.WithTenant(ctx, sc.TenantID), sc, now.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, due, "%s's pending mail is marked sent in its table", sc.TenantID)
	}
	assertTwoHops(t, names, calls, hops)
}

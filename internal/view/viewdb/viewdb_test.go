package viewdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/issuetracker/issuetracker/internal/view/viewdb"
)

// Issue 15: a view created by a PutItem whose answer was lost, retried by
// the SDK, used to answer 409 view_exists for its own creation.
func TestACreateWhoseAnswerWasLostIsNotAConflict(t *testing.T) {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	lossy, lost := testenv.WithLostAnswers(db, "PutItem")
	sc := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	now := time.Now().UTC()
	v := view.View{ID: "v1", Name: "Mine", OwnerID: "u1", Visibility: view.Private, Filter: map[string]string{},
		Sort: "updated", Columns: []string{}, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, (&viewdb.Store{DB: lossy}).Put(ctx, sc, nil, v))
	require.Equal(t, 1, lost.Dropped, "the first attempt's answer was lost")
	got, err := (&viewdb.Store{DB: db}).Get(ctx, sc, "u1", "v1")
	require.NoError(t, err)
	require.Equal(t, "Mine", got.Name)
	// Another create of the same id is still a conflict.
	err = (&viewdb.Store{DB: lossy}).Put(ctx, sc, nil, v)
	require.True(t, errs.Is(err, errs.KindConflict), "%v", err)
}

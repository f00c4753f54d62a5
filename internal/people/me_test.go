package people

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// endRecorder records EndSessions and then ends the caller's context, so a
// SignOut that still waited for the end after recording it would answer
// the context's error instead of nil.
type endRecorder struct {
	UserStore
	cancel func()
	ended  []time.Time
}

func (e *endRecorder) EndSessions(_ context.Context, _ tenancy.Scope, _ string, at time.Time) error {
	e.ended = append(e.ended, at)
	e.cancel()
	return nil
}

// Sign-out records the end (the next whole second: tokens carry whole
// seconds) and answers without waiting for it.
func TestSignOutRecordsTheEndAndDoesNotWaitForIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	users := &endRecorder{cancel: cancel}
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC) // a whole second: the longest wait there was
	s := &Service{Users: users, Now: func() time.Time { return now }}
	p := tenancy.Principal{TenantID: "acme", UserID: "u1", Role: roles.User}

	assert.NoError(t, s.SignOut(ctx, p), "the answer does not wait for the end")
	assert.Equal(t, []time.Time{now.Add(time.Second)}, users.ended)

	now = now.Add(400 * time.Millisecond)
	assert.NoError(t, s.SignOut(context.Background(), p))
	assert.Equal(t, now.Truncate(time.Second).Add(time.Second), users.ended[1], "the next whole second")
	u := User{SessionsEndedAt: users.ended[1]}
	assert.True(t, u.SessionEnded(now.Truncate(time.Second)), "a session signed in during the sign-out's second ended")
	assert.False(t, u.SessionEnded(users.ended[1]), "one signed in at the end is new")
}

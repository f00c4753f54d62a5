package issue

import (
	"context"
	"testing"

	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
)

type countingDirectory struct {
	Directory
	calls  int
	exists bool
}

func (d *countingDirectory) UserExists(context.Context, tenancy.Scope, string) (bool, error) {
	d.calls++
	return d.exists, nil
}

// A memoized service remembers users found, per tenant, and asks again
// about users not found (one may be added during the run).
func TestMemoizedRemembersWhatExistsPerTenant(t *testing.T) {
	d := &countingDirectory{}
	s := (&Service{Directory: d}).Memoized()
	acme, globex := tenancy.Scope{TenantID: "acme", Table: "t"}, tenancy.Scope{TenantID: "globex", Table: "t"}
	ok, _ := s.userExists(context.Background(), acme, "bob")
	assert.False(t, ok)
	d.exists = true
	for range 3 {
		ok, _ = s.userExists(context.Background(), acme, "bob")
		assert.True(t, ok)
	}
	assert.Equal(t, 2, d.calls, "a miss is asked again, a hit is remembered")
	_, _ = s.userExists(context.Background(), globex, "bob")
	assert.Equal(t, 3, d.calls, "another tenant's bob is another question")
}

type countingLabels struct {
	Store
	calls   int
	missing []string
}

func (s *countingLabels) MissingLabels(context.Context, tenancy.Scope, []string) ([]string, error) {
	s.calls++
	return s.missing, nil
}

// A memoized service remembers a label set found complete, per tenant, and
// asks again about a set with a label missing; the service as wired asks
// every time.
func TestMemoizedRemembersCompleteLabelSets(t *testing.T) {
	st := &countingLabels{missing: []string{"l2"}}
	s := (&Service{Store: st}).Memoized()
	acme, globex := tenancy.Scope{TenantID: "acme", Table: "t"}, tenancy.Scope{TenantID: "globex", Table: "t"}
	missing, _ := s.missingLabels(context.Background(), acme, []string{"l1", "l2"})
	assert.Equal(t, []string{"l2"}, missing)
	st.missing = nil
	for range 3 {
		missing, _ = s.missingLabels(context.Background(), acme, []string{"l1", "l2"})
		assert.Empty(t, missing)
	}
	assert.Equal(t, 2, st.calls, "a set with a label missing is asked again, a complete one is remembered")
	_, _ = s.missingLabels(context.Background(), acme, []string{"l1"})
	_, _ = s.missingLabels(context.Background(), globex, []string{"l1", "l2"})
	assert.Equal(t, 4, st.calls, "another set, another tenant's set: other questions")

	st.calls = 0
	wired := &Service{Store: st}
	for range 3 {
		_, _ = wired.missingLabels(context.Background(), acme, []string{"l1", "l2"})
	}
	assert.Equal(t, 3, st.calls, "the service as wired remembers nothing")
}

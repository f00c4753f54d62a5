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
	ok, _ := s.Directory.UserExists(context.Background(), acme, "bob")
	assert.False(t, ok)
	d.exists = true
	for range 3 {
		ok, _ = s.Directory.UserExists(context.Background(), acme, "bob")
		assert.True(t, ok)
	}
	assert.Equal(t, 2, d.calls, "a miss is asked again, a hit is remembered")
	_, _ = s.Directory.UserExists(context.Background(), globex, "bob")
	assert.Equal(t, 3, d.calls, "another tenant's bob is another question")
}

// Package localkeys are the local platform's tenant API keys
// (onboarding.APIKeys): a random value the local gateway buckets by. Apart
// from apikeys, whose AWS keys need the API Gateway and SSM clients, so
// the functions that build a lifecycle without AWS keys (workspace) do
// not link them.
package localkeys

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Local keys: the value is the key; the local gateway reads the tier from
// the principal, so moving a key between plans is nothing to do.
type Local struct{}

var _ onboarding.APIKeys = Local{}

// Create implements onboarding.APIKeys. Onboarding stores the key on the
// tenant and calls Create only while it has none.
func (Local) Create(_ context.Context, tenantID string, _ tiers.Name) (string, string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	return "local-" + tenantID, hex.EncodeToString(b), nil
}

// Move implements onboarding.APIKeys.
func (Local) Move(context.Context, string, tiers.Name, tiers.Name) error { return nil }

// Delete implements onboarding.APIKeys.
func (Local) Delete(context.Context, string) error { return nil }

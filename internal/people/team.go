package people

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Team is a group of a tenant's users; issues can be assigned to it.
type Team struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int64     `json:"version"`
}

// Member is a user's membership of a team.
type Member struct {
	TeamID  string    `json:"team_id"`
	UserID  string    `json:"user_id"`
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by,omitempty"`
}

// TeamInput is the body of team create and update.
type TeamInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// Apply validates in and applies it to t; create requires a name.
func (in TeamInput) Apply(t *Team, create bool) error {
	if in.Name == nil && create {
		return errs.Field("name", "is required")
	}
	if in.Name != nil {
		n := *in.Name
		if err := text.Clean("name", &n, text.Line); err != nil {
			return err
		}
		if n == "" || len(n) > 80 {
			return errs.Field("name", "must be 1 to 80 characters")
		}
		t.Name = n
	}
	if in.Description != nil {
		d := *in.Description
		if err := text.Clean("description", &d, text.Multiline); err != nil {
			return err
		}
		d = strings.TrimSpace(d)
		if len(d) > 1000 {
			return errs.Field("description", "at most 1000 characters")
		}
		t.Description = d
	}
	return nil
}

func newTeamID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "tm_" + hex.EncodeToString(b)
}

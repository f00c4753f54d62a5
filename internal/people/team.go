package people

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
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

// ListTeams returns a page of the caller's tenant's teams.
func (s *Service) ListTeams(ctx context.Context, p tenancy.Principal, req list.Request) (list.Page[Team], error) {
	return s.Teams.Teams(ctx, p.Scope(), req)
}

// CreateTeam validates in and stores a new team of the caller's tenant.
func (s *Service) CreateTeam(ctx context.Context, p tenancy.Principal, in TeamInput) (Team, error) {
	now := s.now()
	t := Team{ID: newTeamID(), TenantID: p.TenantID, CreatedAt: now, UpdatedAt: now}
	if err := in.Apply(&t, true); err != nil {
		return Team{}, err
	}
	return s.Teams.Put(ctx, p.Scope(), t)
}

// GetTeam returns a team of the caller's tenant (team_not_found otherwise).
func (s *Service) GetTeam(ctx context.Context, p tenancy.Principal, id string) (Team, error) {
	return s.Teams.GetTeam(ctx, p.Scope(), id)
}

// UpdateTeam renames or re-describes a team (merge: absent fields stay),
// if it is still at version ifMatch (0: any): 412 version_mismatch otherwise.
func (s *Service) UpdateTeam(ctx context.Context, p tenancy.Principal, id string, ifMatch int64, in TeamInput) (Team, error) {
	t, err := s.Teams.GetTeam(ctx, p.Scope(), id)
	if err != nil {
		return Team{}, err
	}
	if ifMatch != 0 && ifMatch != t.Version {
		return Team{}, TeamVersionMismatch(ifMatch, t.Version)
	}
	if err := in.Apply(&t, false); err != nil {
		return Team{}, err
	}
	t.UpdatedAt = s.now()
	return s.Teams.Put(ctx, p.Scope(), t)
}

// DeleteTeam deletes a team of the caller's tenant and its memberships,
// if it is still at version ifMatch (0: any): 412 version_mismatch otherwise.
func (s *Service) DeleteTeam(ctx context.Context, p tenancy.Principal, id string, ifMatch int64) error {
	return s.Teams.DeleteTeam(ctx, p.Scope(), id, ifMatch)
}

// TeamVersionMismatch is the 412 of a write whose If-Match names version
// ifMatch of a team now at version current.
func TeamVersionMismatch(ifMatch, current int64) error {
	return errs.E(errs.KindPreconditionFailed, "version_mismatch",
		"the team changed since version %d was read (current version %d)", ifMatch, current)
}

// Members lists the members of a team of the caller's tenant.
func (s *Service) Members(ctx context.Context, p tenancy.Principal, teamID string, req list.Request) (list.Page[Member], error) {
	if _, err := s.Teams.GetTeam(ctx, p.Scope(), teamID); err != nil {
		return list.Page[Member]{}, err
	}
	return s.Teams.Members(ctx, p.Scope(), teamID, req)
}

// AddMember adds a user of the caller's tenant to one of its teams
// (idempotent); the caller is recorded as who added them.
func (s *Service) AddMember(ctx context.Context, p tenancy.Principal, teamID, userID string) (Member, error) {
	return s.Teams.AddMember(ctx, p.Scope(), Member{TeamID: teamID, UserID: userID, AddedAt: s.now(), AddedBy: p.UserID})
}

// RemoveMember removes a membership (member_not_found if absent).
func (s *Service) RemoveMember(ctx context.Context, p tenancy.Principal, teamID, userID string) error {
	return s.Teams.RemoveMember(ctx, p.Scope(), teamID, userID)
}

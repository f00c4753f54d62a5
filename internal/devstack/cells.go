package devstack

import (
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// LinkCells makes local cells started side by side (make dev CELLS=2, the
// two-cell tests) one platform: registrations are placed among all of
// them, a tenant may move from any to any other (onboarding.Service.
// MoveCell: the target cell's registry, homes and keys are on the same
// local services), and the user-migration trigger that cognito-local calls
// (the first cell's, which configured it) hands each pool's events to the
// pool's own cell.
func LinkCells(stacks ...*Stack) {
	all := make([]cells.Cell, 0, len(stacks))
	for _, s := range stacks {
		all = append(all, s.Cell())
	}
	for _, s := range stacks {
		if s.Placement != nil {
			s.Placement.Cells = all
		}
		for _, o := range stacks {
			if o == s {
				continue
			}
			if s.moves != nil && o.Lifecycle != nil {
				m := o.Lifecycle.Machine
				c := o.Cell()
				s.moves.Add(onboarding.Cell{ID: c.ID, Tenants: m.Tenants, Pooled: m.Pooled, Platinum: m.Platinum, Keys: m.Keys,
					APIURL: c.APIURL, Region: c.Region, UserPoolID: c.UserPoolID, ClientID: c.ClientID, Files: o.Platform.AttachmentsBucket, SiloFiles: m.SiloFiles,
					Control: schema.Names{Prefix: o.Platform.Prefix}.Control()})
			}
			if s.userMigrations != nil && o.userMigration != nil {
				s.userMigrations.Add(*o.userMigration)
			}
		}
	}
}

// Package placement places new tenants among the cells (it was
// cells.Placer): the capacity model's choice of the cell with headroom, written
// to the global directory. Apart from package cells so that the functions
// that only read the directory (issues' housed-here check, the authorizer)
// do not link the capacity model and the CloudFormation template reader
// (issue 19: 7 KB of read-only data in issues).
package placement

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/capacity"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Placer places new tenants in the cell with headroom.
type Placer struct {
	Directory cells.Directory
	Model     capacity.Model
	Cells     []cells.Cell
	// Target is the utilisation no quota may pass after the placement.
	// Default: capacity.DefaultTarget.
	Target float64
	// Unmodelled places every tenant in Cells[0] without the model: a
	// cell that knows only itself (the functions in AWS, until the fleet's
	// cells and the design are in the directory; docs/scale.md "Cells").
	// Registration still claims the slug in the directory, so it stays
	// unique across cells.
	Unmodelled bool
}

// Cell is the cell of id.
func (p Placer) Cell(id string) (cells.Cell, bool) {
	for _, c := range p.Cells {
		if c.ID == id {
			return c, true
		}
	}
	return cells.Cell{}, false
}

// Place chooses the cell for one more tenant of tier t from the
// directory's counts (capacity.Model.Place: among the cells where it fits
// under the target, the least used by its tightest quota).
func (p Placer) Place(ctx context.Context, t tiers.Name) (cells.Cell, error) {
	if p.Unmodelled && len(p.Cells) > 0 {
		return p.Cells[0], nil
	}
	counts, err := p.Directory.Counts(ctx)
	if err != nil {
		return cells.Cell{}, err
	}
	fleet := make([]capacity.Cell, 0, len(p.Cells))
	for _, c := range p.Cells {
		fleet = append(fleet, capacity.Cell{ID: c.ID, Account: c.Account, Region: c.Region, Tenants: counts[c.ID], Applied: c.Applied})
	}
	target := p.Target
	if target == 0 {
		target = capacity.DefaultTarget
	}
	id, err := p.Model.Place(fleet, t, target)
	if err != nil {
		return cells.Cell{}, errs.Unavailable("no_cell_capacity", "no cell has room for another tenant of this tier", err)
	}
	c, _ := p.Cell(id)
	return c, nil
}

// Register places tenantID of tier t and writes its directory entry.
func (p Placer) Register(ctx context.Context, tenantID string, t tiers.Name) (cells.Entry, error) {
	c, err := p.Place(ctx, t)
	if err != nil {
		return cells.Entry{}, err
	}
	e := cells.For(tenantID, t, c)
	if err := p.Directory.Register(ctx, e); err != nil {
		return cells.Entry{}, err
	}
	return e, nil
}

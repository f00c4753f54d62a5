package core

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// HousedHere reports whether the global directory places tenantID in this
// cell (d.Cell). Every per-tenant scheduled job of a cell (billing's
// seats, dunning and tenant rows, the tracker's resumed deletions) skips a
// tenant housed in another cell: its record here is what a move left (the
// source of a move whose directory switch is done, tombstoned a moment
// later, or its tombstone), and its home here is no longer its data. True
// without a directory (one cell) and for a tenant the directory does not
// hold (or holds closed: offboarded here). One GetItem of the directory.
func HousedHere(ctx context.Context, d Deps, tenantID string) (bool, error) {
	if d.CellDirectory == nil {
		return true, nil
	}
	e, err := d.CellDirectory.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return e.Cell == d.Cell, nil
}

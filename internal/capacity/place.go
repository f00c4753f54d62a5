package capacity

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Cell is one deployment of the platform (an account and a Region) as cell
// placement sees it: its tenants per tier and the quotas raised there.
type Cell struct {
	ID, Account, Region string
	Tenants             map[tiers.Name]float64
	// Applied are quota values raised above their defaults in this cell's
	// account and Region, by quota ID.
	Applied map[string]float64
}

// DefaultTarget is the utilisation placement keeps every quota under, so a
// cell keeps room for its tenants' growth and a peak above the profile's.
const DefaultTarget = 0.8

// CellUsage evaluates one cell of a fleet with n more tenants of tier t.
// Account-scope quotas (IAM roles, Cognito's daily emails, S3 buckets) are
// shared by every cell in the same account, so their usage is summed over
// those cells; every other quota is the cell's own.
func (m Model) CellUsage(fleet []Cell, cellID string, t tiers.Name, n float64) ([]Usage, error) {
	var cell *Cell
	for i := range fleet {
		if fleet[i].ID == cellID {
			cell = &fleet[i]
		}
	}
	if cell == nil {
		return nil, fmt.Errorf("no cell %q", cellID)
	}
	with := func(c Cell) map[tiers.Name]float64 {
		out := map[tiers.Name]float64{}
		for k, v := range c.Tenants {
			out[k] = v
		}
		if c.ID == cellID {
			out[t] += n
		}
		return out
	}
	cm := m
	cm.Applied = cell.Applied
	own := cm.Evaluate(with(*cell))
	for _, other := range fleet {
		if other.ID == cellID || other.Account == "" || other.Account != cell.Account {
			continue
		}
		om := m
		om.Applied = other.Applied
		theirs := om.Evaluate(with(other))
		for i := range own {
			if own[i].Quota.Scope == ScopeAccount {
				own[i].Used += theirs[i].Used
			}
		}
	}
	for i := range own {
		u := &own[i]
		u.Headroom = u.Limit - u.Used
		if u.Limit > 0 {
			u.Utilisation = u.Used / u.Limit
		}
	}
	return own, nil
}

// Fits reports whether cell cellID can take n more tenants of tier t with
// every quota that has a published number at or under target utilisation,
// and the usages that would exceed it.
func (m Model) Fits(fleet []Cell, cellID string, t tiers.Name, n, target float64) (bool, []Usage, error) {
	us, err := m.CellUsage(fleet, cellID, t, n)
	if err != nil {
		return false, nil, err
	}
	var over []Usage
	for _, u := range us {
		if u.Binds() && u.Utilisation > target {
			over = append(over, u)
		}
	}
	return len(over) == 0, over, nil
}

// tieEpsilon is how close two utilisations are to count as equal.
const tieEpsilon = 1e-9

// held is how many tenants c holds, of every tier.
func held(c Cell) float64 {
	n := 0.0
	for _, v := range c.Tenants {
		n += v
	}
	return n
}

// Place chooses the cell that takes one more tenant of tier t: among the
// cells where it fits under target, the one whose tightest quota is the
// least used after the placement (ties: the cell holding fewer tenants,
// then the first in fleet order). The error names, per cell, the quota
// that refuses.
func (m Model) Place(fleet []Cell, t tiers.Name, target float64) (string, error) {
	if _, ok := tiers.Get(t); !ok {
		return "", fmt.Errorf("unknown tier %q", t)
	}
	best, bestUtil, bestHeld := "", math.Inf(1), math.Inf(1)
	var refusals []string
	for _, c := range fleet {
		ok, over, err := m.Fits(fleet, c.ID, t, 1, target)
		if err != nil {
			return "", err
		}
		if !ok {
			sort.Slice(over, func(i, j int) bool { return over[i].Utilisation > over[j].Utilisation })
			refusals = append(refusals, fmt.Sprintf("%s: %s at %.0f%%", c.ID, over[0].Quota.ID, 100*over[0].Utilisation))
			continue
		}
		us, _ := m.CellUsage(fleet, c.ID, t, 1)
		tightest := 0.0
		for _, u := range us {
			if u.Binds() {
				tightest = math.Max(tightest, u.Utilisation)
			}
		}
		// On a tie (cells of one account share its quotas, so their
		// utilisation is the same), the cell holding fewer tenants.
		if tightest < bestUtil-tieEpsilon || (math.Abs(tightest-bestUtil) <= tieEpsilon && held(c) < bestHeld) {
			best, bestUtil, bestHeld = c.ID, tightest, held(c)
		}
	}
	if best == "" {
		return "", fmt.Errorf("no cell has room for a %s tenant under %.0f%%: %s", t, 100*target, strings.Join(refusals, "; "))
	}
	return best, nil
}

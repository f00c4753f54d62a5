package lifecyclecore

import (
	"context"
	"fmt"
	"strings"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// Parameters reads SSM parameters (apikeys.SSM in AWS).
type Parameters interface {
	GetParameters(ctx context.Context, names []string) (map[string]string, error)
}

// WireMoves lets m move tenants of this cell (d.Cell) to the peers, the
// other cells of the platform in this account and Region
// (envvars.MoveCells): the target's registry is its control table and its
// pooled home its application table, both named from its prefix and
// reached with this cell's grants on them (infra/stacks grantMoves); its
// API, Region and shared pool come from its description parameter, read
// with params on the first move there; keys(peer) manages API keys on its
// usage plans. issuerBase is Cognito's issuer base URL, for this cell's
// shared pool as a moved tenant's FormerPool. files, with this cell's
// pooled bucket filesBucket, copies a pooled tenant's attachment objects
// to the peers whose bucket is named (Peer.Files: this cell has a grant
// there); to the others the objects stay. A Platinum tenant's objects move
// from its stack's bucket to its stack's in the peer (both named by
// schema.Names.SiloFiles, which the grants follow). platinum(peer) is the
// peer's Platinum provisioner (its tenant stacks, deployed by its own
// pipeline: docs/scale.md, piece 2); nil, or a nil answer: a Platinum
// tenant's move there answers tier_unavailable. Without a directory (one
// cell) it does nothing, and a move answers unknown_cell.
func WireMoves(m *onboarding.Machine, d core.Deps, peers []cells.Peer, params Parameters, keys func(cells.Peer) onboarding.APIKeys,
	platinum func(cells.Peer) onboarding.Provisioner, issuerBase string, files onboarding.FileMover, filesBucket string) {
	if d.CellDirectory == nil {
		return
	}
	m.Cell, m.CellDirectory, m.Cells = d.Cell, tenantwire.DirectoryMoves{D: *d.CellDirectory}, &onboarding.Cells{}
	m.CellPool = tenant.FormerPool{ID: d.TenantPoolID, Issuer: strings.TrimSuffix(issuerBase, "/") + "/" + d.TenantPoolID,
		ClientIDs: []string{d.TenantClientID}}
	if files != nil {
		m.Files, m.FilesBucket, m.SiloFiles = files, filesBucket, d.Names.SiloFiles
	}
	m.Billing = billingdb.Mover{DB: d.Control(), Table: d.Names.Control()}
	for _, p := range peers {
		if p.ID == d.Cell {
			continue
		}
		m.Cells.AddLoader(p.ID, func(ctx context.Context) (onboarding.Cell, error) {
			name := cells.DescriptionParameter(p.Prefix)
			got, err := params.GetParameters(ctx, []string{name})
			if err != nil {
				return onboarding.Cell{}, err
			}
			v, ok := got[name]
			if !ok {
				return onboarding.Cell{}, fmt.Errorf("cell %s: no parameter %s", p.ID, name)
			}
			desc, err := cells.ParseDescription(p.ID, v)
			if err != nil {
				return onboarding.Cell{}, err
			}
			reg := tenantdb.New(d.Control(), p.Names())
			var stacks onboarding.Provisioner
			if platinum != nil {
				stacks = platinum(p)
			}
			return onboarding.Cell{ID: p.ID, Tenants: reg, Keys: keys(p), Files: p.Files, SiloFiles: p.Names().SiloFiles, Platinum: stacks, Control: p.Names().Control(),
				Pooled: onboarding.Pooled{Table: p.Names().App(), UserPoolID: desc.UserPoolID},
				APIURL: desc.APIURL, Region: desc.Region, UserPoolID: desc.UserPoolID, ClientID: desc.ClientID}, nil
		})
	}
}

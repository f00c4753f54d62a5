package lifecyclecore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/localkeys"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// params is SSM with the parameters in m; err fails every read.
type params struct {
	m     map[string]string
	err   error
	reads int
}

func (p *params) GetParameters(_ context.Context, names []string) (map[string]string, error) {
	p.reads++
	if p.err != nil {
		return nil, p.err
	}
	out := map[string]string{}
	for _, n := range names {
		if v, ok := p.m[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func TestAMoveReachesTheOtherCellsOfItsAccountByTheirPrefixAndDescription(t *testing.T) {
	peers, err := cells.ParsePeers(" cell-2=issuetracker-cell-2:cell-2-files ,cell-3=issuetracker-cell-3")
	require.NoError(t, err)
	d := core.Deps{Cell: "cell-1", CellDirectory: &cells.Directory{Table: "issuetracker-directory"}, Names: schema.Names{Prefix: "issuetracker"},
		TenantPoolID: "us-east-1_One", TenantClientID: "client-one"}
	ssm := &params{err: errors.New("throttled")}
	var keysOf []string
	m := &onboarding.Machine{}
	var stacksOf []string
	lifecyclecore.WireMoves(m, d, peers, ssm, func(p cells.Peer) onboarding.APIKeys {
		keysOf = append(keysOf, p.Prefix)
		return localkeys.Local{}
	}, func(p cells.Peer) onboarding.Provisioner {
		stacksOf = append(stacksOf, p.ID)
		return onboarding.Platinum{IssuerBase: "https://cognito-idp.us-east-1.amazonaws.com"}
	}, "https://cognito-idp.us-east-1.amazonaws.com/", &s3objects.Objects{}, "cell-1-files")

	assert.Equal(t, "cell-1", m.Cell)
	assert.Equal(t, "cell-1-files", m.FilesBucket)
	assert.NotNil(t, m.Files)
	assert.Equal(t, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_One", m.CellPool.Issuer)
	assert.Equal(t, []string{"client-one"}, m.CellPool.ClientIDs)
	assert.Equal(t, 0, ssm.reads, "no network call before the first move")

	_, ok := m.Cells.Get("cell-2")
	assert.False(t, ok, "a cell whose description cannot be read is not reachable")
	ssm.err = nil
	ssm.m = map[string]string{
		"/issuetracker-cell-2/cell": `{"id":"cell-2","region":"us-east-1","api_url":"https://two.example.com/prod","user_pool_id":"us-east-1_Two","client_id":"client-two"}`,
		// cell-3's parameter describes another cell: refused.
		"/issuetracker-cell-3/cell": `{"id":"cell-2","region":"us-east-1","api_url":"https://two.example.com/prod","user_pool_id":"us-east-1_Two","client_id":"client-two"}`,
	}
	c, ok := m.Cells.Get("cell-2")
	require.True(t, ok, "read again after a failed read")
	assert.Equal(t, "https://two.example.com/prod", c.APIURL)
	assert.Equal(t, "us-east-1_Two", c.UserPoolID)
	assert.Equal(t, "client-two", c.ClientID)
	assert.Equal(t, onboarding.Pooled{Table: schema.Names{Prefix: "issuetracker-cell-2"}.App(), UserPoolID: "us-east-1_Two"}, c.Pooled)
	assert.Equal(t, "issuetracker-cell-2-control", c.Tenants.(*tenantdb.Store).Table)
	assert.Equal(t, "cell-2-files", c.Files, "its objects move to the bucket this cell is granted")
	assert.NotNil(t, c.Platinum, "a Platinum tenant may move there (its stack deployed by cell-2's pipeline)")
	assert.Equal(t, []string{"cell-2"}, stacksOf)
	require.NotNil(t, c.SiloFiles)
	assert.Equal(t, "issuetracker-cell-2-files-umbrella", c.SiloFiles("umbrella"), "a Platinum tenant's objects move to its stack's bucket there")
	require.NotNil(t, m.SiloFiles)
	assert.Equal(t, "issuetracker-files-umbrella", m.SiloFiles("umbrella"), "from its stack's bucket here")
	assert.Equal(t, []string{"issuetracker-cell-2"}, keysOf)
	reads := ssm.reads
	_, _ = m.Cells.Get("cell-2")
	assert.Equal(t, reads, ssm.reads, "read once")
	_, ok = m.Cells.Get("cell-3")
	assert.False(t, ok)
	_, ok = m.Cells.Get("cell-4")
	assert.False(t, ok)

	alone := &onboarding.Machine{}
	d.CellDirectory = nil
	lifecyclecore.WireMoves(alone, d, peers, ssm, nil, nil, "", nil, "")
	assert.Nil(t, alone.Cells, "one cell: no moves")
}

func TestMoveCellsAreReadStrictly(t *testing.T) {
	for _, bad := range []string{"cell-2", "cell-2=", "cell-2=:bucket", "Cell 2=x", "cell-2=a,cell-2=b"} {
		_, err := cells.ParsePeers(bad)
		assert.Error(t, err, bad)
	}
	got, err := cells.ParsePeers("")
	assert.NoError(t, err)
	assert.Empty(t, got)
	peers := []cells.Peer{{ID: "cell-1", Prefix: "issuetracker"}, {ID: "cell-2", Prefix: "issuetracker-cell-2", Files: "two-files"}}
	assert.Equal(t, "cell-1=issuetracker,cell-2=issuetracker-cell-2:two-files", cells.FormatPeers(peers))
	back, err := cells.ParsePeers(cells.FormatPeers(peers))
	assert.NoError(t, err)
	assert.Equal(t, peers, back)
}

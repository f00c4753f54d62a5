package attachmentapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	itrusage "github.com/issuetracker/issuetracker/internal/usage"
)

// deltas records what the usage meter flushes.
type deltas struct {
	itrusage.Store
	got []itrusage.Delta
}

func (d *deltas) Add(_ context.Context, x itrusage.Delta) (itrusage.Totals, error) {
	d.got = append(d.got, x)
	return itrusage.Totals{}, nil
}

func (d *deltas) attachmentBytes() (n int64) {
	for _, x := range d.got {
		n += x.AttachmentBytes
	}
	return n
}

// The usage meter's attachment bytes (Root's usage table, the usage page's
// breakdown, the storage thresholds) follow the exact counter write by
// write: a confirm adds the file's size, a delete takes it back once, and
// a pending upload's release or a second delete changes nothing.
func TestTheUsageMeterFollowsTheAttachmentCounter(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	owner := w.As("owner@acme.test")
	issueID := newIssue(t, owner, "metered files")
	rec := &deltas{}
	meter := &itrusage.Meter{Store: rec}
	ctx := itrusage.WithMeter(tenancy.WithTenant(context.Background(), "acme"), meter)
	svc, p := w.Deps.Attachments, w.Principal("owner@acme.test")

	up := owner.RequestUpload(t, issueID, "crash.png", "image/png", png)
	require.Equal(t, http.StatusOK, apitest.Put(t, up.URL, up.Headers, png))
	before := usage(t, owner).UsedBytes
	_, err := svc.Confirm(ctx, p, issueID, up.ID())
	require.NoError(t, err)
	_, err = svc.Confirm(ctx, p, issueID, up.ID())
	require.NoError(t, err, "confirming twice")
	require.NoError(t, meter.Flush(ctx))
	assert.Equal(t, int64(len(png)), rec.attachmentBytes(), "the confirmed size, once")
	assert.Equal(t, before+int64(len(png)), usage(t, owner).UsedBytes, "as the exact counter")

	pending := owner.RequestUpload(t, issueID, "never.png", "image/png", png)
	require.NoError(t, svc.Delete(ctx, p, issueID, pending.ID()))
	require.NoError(t, svc.Delete(ctx, p, issueID, up.ID()))
	assert.Error(t, svc.Delete(ctx, p, issueID, up.ID()), "a second delete finds nothing")
	require.NoError(t, meter.Flush(ctx))
	assert.Equal(t, int64(0), rec.attachmentBytes(), "deleted once; a released upload was never counted")
	assert.Equal(t, before, usage(t, owner).UsedBytes)
}

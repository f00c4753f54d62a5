package loadtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A short `make load`: a few seconds of the mixed workload through a local
// platform answer no 5xx and lose nothing acknowledged; the raw phase runs
// the same operations without errors. No timing assertions: the machine is
// shared.
func TestShortLoadAnswersNo5xxAndLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a platform")
	}
	_, e := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	m := testenv.Mail(t)
	limits, err := gateway.ParseTierLimits("*=100000:100000:1000000000")
	require.NoError(t, err)
	s, err := devstack.Start(context.Background(), devstack.Config{Root: root, GatewayAddr: "127.0.0.1:0", Endpoints: e,
		Mail: &devstack.MailEndpoints{SMTPAddr: m.SMTPAddr, UIURL: m.API}, Prefix: testenv.UniquePrefix(t), StateDir: t.TempDir(),
		StripeAPIBase: testenv.StripeMock(t), TierLimits: limits})
	require.NoError(t, err)
	t.Cleanup(s.Close)

	ctx := context.Background()
	l, err := loadtest.Prepare(ctx, loadtest.Config{Platform: s.Platform, Workers: 6, Duration: 3 * time.Second, Preload: 3})
	require.NoError(t, err)
	// Rounds of a few seconds until every operation has run (a loaded
	// machine may answer only a few dozen requests a round).
	ran := map[loadtest.Op]int{}
	for round := 0; round < 10 && len(ran) < len(loadtest.Ops); round++ {
		st := l.Platform(ctx, 0)
		logStats(t, st)
		assert.Zero(t, st.ServerErrors(), "5xx answers: %v", st.Codes)
		assert.Empty(t, st.Transport, "requests without an answer")
		assert.Empty(t, st.Throttled, "429s with the limits raised")
		for _, op := range loadtest.Ops {
			if st.Count(op) > 0 {
				ran[op] += st.Count(op)
			}
		}
	}
	for _, op := range loadtest.Ops {
		assert.Positive(t, ran[op], "the mix ran %s", op)
	}
	creates, _, _ := l.Ledger.Counts()
	require.Greater(t, creates, 9, "creates acknowledged besides the preload of 3 per tenant")

	v, err := l.Verify(ctx)
	require.NoError(t, err)
	assert.Empty(t, v.Lost)
	assert.Equal(t, creates, v.Issues, "every acknowledged create was read back")

	// The raw calls, in rounds of a second until some are answered (on a
	// loaded machine a round may end before its first answer).
	total := 0
	for round := 0; round < 10 && total == 0; round++ {
		raw, err := l.Raw(ctx, time.Second)
		require.NoError(t, err)
		logStats(t, raw)
		assert.Empty(t, raw.Transport, "raw calls failed")
		total += raw.Total()
	}
	assert.Positive(t, total)
}

func logStats(t *testing.T, st *loadtest.Stats) {
	var b strings.Builder
	st.Print(&b)
	t.Log("\n" + b.String())
}

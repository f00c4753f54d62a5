package metricslog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
)

// The local metrics log stays bounded under load: it rotates at its size
// and keeps Backups older files (it grew to 89 MB before).
func TestTheLocalMetricsLogRotatesAndStaysBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "metrics.log")
	sink := telemetry.NewSink(Open(path, 1))
	rec := telemetry.Record{Function: "issues", Route: "GET /v1/issues/{id}", Status: 200, TenantID: strings.Repeat("t", 200)}
	for range 12000 { // about 4 MB of EMF lines
		require.NoError(t, sink.Emit(rec))
	}
	// lumberjack removes the oldest backups in the background after a
	// rotation: the folder reaches its bound shortly after the writes.
	files := func() (n int, total int64) {
		entries, err := os.ReadDir(filepath.Dir(path))
		require.NoError(t, err)
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				n, total = n+1, total+info.Size()
			}
		}
		return n, total
	}
	assert.Eventually(t, func() bool {
		n, total := files()
		return n <= 1+Backups && total <= int64(1+Backups)<<20
	}, eventually.Deadline, 20*time.Millisecond, "at most the current file and its backups, each at most the rotation size")
	n, total := files()
	t.Logf("%d files, %d bytes after writing about 4 MB with a 1 MB limit", n, total)
	cur, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(cur), `"Route":"GET /v1/issues/{id}"`, "the newest lines are in the current file")
}

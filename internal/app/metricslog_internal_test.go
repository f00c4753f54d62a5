package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/telemetry"
)

// The local metrics log stays bounded under load: it rotates at its size
// and keeps MetricsLogBackups older files (it grew to 89 MB before).
func TestTheLocalMetricsLogRotatesAndStaysBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "metrics.log")
	sink := telemetry.NewSink(rotatingLog(path, 1))
	rec := telemetry.Record{Function: "issues", Route: "GET /v1/issues/{id}", Status: 200, TenantID: strings.Repeat("t", 200)}
	for range 12000 { // about 4 MB of EMF lines
		require.NoError(t, sink.Emit(rec))
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		total += info.Size()
	}
	assert.LessOrEqual(t, len(entries), 1+MetricsLogBackups, "the current file and its backups")
	assert.LessOrEqual(t, total, int64(1+MetricsLogBackups)<<20, "at most the rotation size per file")
	cur, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(cur), `"Route":"GET /v1/issues/{id}"`, "the newest lines are in the current file")
}

package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/app/core"
)

// The in-process platform writes its metrics log to a file (package
// metricslog, registered by importing package app); functions do not link it.
func TestTheInProcessPlatformHasTheMetricsLogFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", "metrics.log")
	w := core.MetricsLogFile(path)
	require.NotNil(t, w, "package app registers the local metrics log's file")
	_, err := w.Write([]byte("{\"line\":1}\n"))
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "{\"line\":1}\n", string(b))
}

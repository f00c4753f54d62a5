package devstack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shared synth worker keeps its sentinel synthesis beside the
// directory of its first request (infra/stacks.ServeTenantSynths:
// <parent of out_dir>/.sentinel), for as long as it runs. Through
// synthVia every request's directory is under the package's own
// directory, whichever test asks first, so the sentinel outlives that
// test's t.TempDir(); the template still lands in the test's directory,
// where the platform's deployer reads it. Before, the first requesting
// test's directory held it, gone once that test ended. A fake worker
// here records the directories a real one would use.
func TestTheSharedSynthWorkersDirectoryOutlivesTheTestsThatAskIt(t *testing.T) {
	var sentinel string
	worker := func(outDir, tenantID string) (string, error) {
		if sentinel == "" {
			sentinel = filepath.Join(filepath.Dir(outDir), ".sentinel")
			if err := os.MkdirAll(sentinel, 0o755); err != nil {
				return "", err
			}
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return "", err
		}
		path := filepath.Join(outDir, "IssueTracker-Tenant-"+tenantID+".template.json")
		return path, os.WriteFile(path, []byte(`{"tenant":"`+tenantID+`"}`), 0o644)
	}
	synth := synthVia(worker)
	for _, id := range []string{"first", "second"} {
		t.Run(id, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), id)
			path, err := synth(out, id)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(out, "IssueTracker-Tenant-"+id+".template.json"), path, "the template is in the test's directory")
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, `{"tenant":"`+id+`"}`, string(b))
		})
		require.NotEmpty(t, sentinel)
		_, err := os.Stat(sentinel)
		assert.NoError(t, err, "the sentinel's directory outlives the test that asked first")
	}
	assert.True(t, strings.HasPrefix(sentinel, synthDir+string(filepath.Separator)), "under the package's own directory: %s", sentinel)
}

package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/infra/stacks"
)

// make dev runs a synth of the working tree when the CDK app's sources
// differ from the commit (devstack.CurrentPlatformTemplate). That synth
// skips the function builds; on the committed sources it must be the
// checked-in template, file by file, or make dev would run another
// platform than the one cdk deploy deploys.
func TestMakeDevsSynthOfThePlatformIsTheCheckedInTemplate(t *testing.T) {
	ready(t)
	if len(synth.substituted) > 0 {
		t.Skipf("functions built from the fixture on this branch: %v", synth.substituted)
	}
	root, err := gofunction.FindRepoRoot(".")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "synth")
	top, err := stacks.SynthLocalPlatform(root, out)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(out, stacks.PlatformStackName+".json"), top)
	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	require.NoError(t, err)
	var want []string
	for stack := range synth.files {
		if stack == stacks.PlatformStackName || strings.HasPrefix(stack, stacks.PlatformStackName+"/") {
			want = append(want, strings.ReplaceAll(stack, "/", ".")+".json")
		}
	}
	require.Len(t, files, len(want), "one file per stack of the platform, nested ones included")
	for _, name := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err, name)
		var tmpl map[string]any
		require.NoError(t, json.Unmarshal(got, &tmpl), name)
		golden, err := os.ReadFile(filepath.Join(root, "infra", "templates", name))
		require.NoError(t, err)
		if diff := cmp.Diff(string(golden), string(normalize(t, tmpl))); diff != "" {
			t.Errorf("make dev's synth of %s differs from the checked-in template (-want +got):\n%s", name, diff)
		}
	}
}

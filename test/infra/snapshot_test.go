package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assetHash matches asset hashes (sha256 hex): they change with every source
// edit and are checked by the asset tests, not by the snapshots.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// deploymentHash is the suffix of the API deployment's logical id: with
// @aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId it covers the
// authorizer function, so it changes with every edit of the authorizer's
// sources, like an asset hash.
var deploymentHash = regexp.MustCompile(`(Deployment[0-9A-F]{8})[0-9a-f]{32}`)

func normalize(t *testing.T, tmpl map[string]any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(tmpl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = deploymentHash.ReplaceAll(assetHash.ReplaceAll(b, []byte("<asset-hash>")), []byte("${1}<deployment-hash>"))
	return append(b, '\n')
}

func TestSnapshots(t *testing.T) {
	ready(t)
	for stack := range synth.files {
		t.Run(stack+" matches its golden template", func(t *testing.T) {
			got := normalize(t, synth.files[stack])
			golden := filepath.Join("..", "..", "infra", "templates", strings.ReplaceAll(stack, "/", ".")+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./test/infra -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("template differs from %s (-want +got); if intended, refresh with -update:\n%s", golden, diff)
			}
		})
	}
}

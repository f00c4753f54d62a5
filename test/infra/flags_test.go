package infra_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/infra/stacks"
)

const cdkModule = "github.com/aws/aws-cdk-go/awscdk/v2"

// recommendedFlags reads the feature flags `cdk init` writes for the
// aws-cdk-lib that go.mod pins: the library's own
// recommended-feature-flags.json, inside the jsii tarball of the Go module.
func recommendedFlags(t *testing.T, root string) (version string, flags map[string]any) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", cdkModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", cdkModule, err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	tgz := filepath.Join(dir, "jsii", "aws-cdk-lib-"+strings.TrimPrefix(version, "v")+".tgz")
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s has no recommended-feature-flags.json", tgz)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "package/recommended-feature-flags.json" {
			if err := json.NewDecoder(tr).Decode(&flags); err != nil {
				t.Fatal(err)
			}
			return version, flags
		}
	}
}

func TestCdkJSONSetsTheFeatureFlagsOfThePinnedCDK(t *testing.T) {
	root, err := gofunction.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	version, want := recommendedFlags(t, root)
	got, err := stacks.FeatureFlags(root)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cdk.json context differs from the flags `cdk init` writes for aws-cdk-lib %s (-want +got); copy them from a fresh `cdk init app --language go`:\n%s", version, diff)
	}
}

func TestEverySynthPathAppliesTheFeatureFlags(t *testing.T) {
	ready(t)
	root, _ := gofunction.FindRepoRoot(".")
	flags, err := stacks.FeatureFlags(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(flags) == 0 {
		t.Fatal("cdk.json sets no feature flags")
	}
	for k, want := range flags {
		got := synth.platform.Node().TryGetContext(jsii.String(k))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("flag %s in the synthesized app (-cdk.json +app):\n%s", k, diff)
		}
	}
}

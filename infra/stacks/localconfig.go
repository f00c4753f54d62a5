package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/internal/cfntemplate"
)

// LocalGoogle is the Google sign-in of the checked-in platform template
// (a test client: nothing in AWS or at Google knows it).
var LocalGoogle = &identity.Google{ClientID: "1234.apps.googleusercontent.com", ClientSecretName: "issuetracker/google-client-secret"}

// LocalPlatformConfig is the configuration of the platform stack whose
// template is checked in (infra/templates/IssueTracker-Platform.json; the
// snapshot test in test/infra synthesizes it with this configuration and
// keeps the file equal) and which `make dev` runs: Google sign-in on, so
// its trigger is built and run; the web app's fixture site, since go test
// runs before the web build; attachment downloads through CloudFront with
// test keys (their private halves were thrown away), in the middle of a
// rotation that signs with the next key (docs/deploy.md). `make dev` also
// synthesizes it afresh (infra local-synth) when the sources the CDK app
// reads changed since the commit, so an edit of the tier catalog or of a
// construct changes the local platform after a restart.
func LocalPlatformConfig(root string) (Config, error) {
	keys := filepath.Join(root, "test", "infra", "testdata")
	pub, err := os.ReadFile(filepath.Join(keys, "downloads.pub.pem"))
	if err != nil {
		return Config{}, fmt.Errorf("the local download key: %w", err)
	}
	next, err := os.ReadFile(filepath.Join(keys, "downloads-next.pub.pem"))
	if err != nil {
		return Config{}, fmt.Errorf("the local next download key: %w", err)
	}
	return Config{RepoRoot: root, FunctionDirs: map[string]string{}, Google: LocalGoogle,
		WebAssetsDir:      filepath.Join(root, "constructs", "webapp", "testdata", "site"),
		DownloadPublicKey: strings.TrimSpace(string(pub)), DownloadNextPublicKey: strings.TrimSpace(string(next)),
		DownloadSignWithNext: true}, nil
}

// SynthLocalPlatform synthesizes the platform stack of LocalPlatformConfig
// into outDir the way the goldens are written (<stack>.json, a nested
// stack's as <stack>.<id>.json), without building the functions
// (gofunction.SkipBuildContext: the local cloud builds them itself), and
// returns the top template's path. outDir appears whole or not at all: the
// files are written beside it and renamed into place.
func SynthLocalPlatform(root, outDir string) (string, error) {
	cfg, err := LocalPlatformConfig(root)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(outDir), 0o755); err != nil {
		return "", err
	}
	asmDir, err := os.MkdirTemp(filepath.Dir(outDir), ".cdk.out-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(asmDir)
	app, err := NewApp(root, asmDir)
	if err != nil {
		return "", err
	}
	app.Node().SetContext(jsii.String(gofunction.SkipBuildContext), true)
	NewPlatformStack(app, cfg)
	asm := app.Synth(nil)
	stack, err := cfntemplate.Load(*asm.Directory(), PlatformStackName)
	if err != nil {
		return "", err
	}
	staging, err := os.MkdirTemp(filepath.Dir(outDir), ".synth-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(staging)
	for _, s := range stack.All() {
		b, err := json.MarshalIndent(s.Template, "", "  ")
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(staging, strings.ReplaceAll(s.Name, "/", ".")+".json"), append(b, '\n'), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Rename(staging, outDir); err != nil {
		if _, statErr := os.Stat(filepath.Join(outDir, PlatformStackName+".json")); statErr != nil {
			return "", err
		} // another make dev synthesized the same sources first
	}
	return filepath.Join(outDir, PlatformStackName+".json"), nil
}

package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
)

// FeatureFlags reads the context of root's cdk.json: the CDK feature flags
// `cdk init` writes for the pinned aws-cdk-lib version (new-style defaults).
// cdk.json is their one copy: the CLI passes them to the app it runs, and
// NewApp gives them to every app it does not run (make synth, tests,
// SynthTenant, the local deployer), so every synth path builds the same
// template.
func FeatureFlags(root string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return f.Context, nil
}

// NewApp is a CDK app with cdk.json's feature flags, writing to outdir
// ("": the CLI's CDK_OUTDIR or cdk.out). root is the repository root
// ("": found from the working directory). Context given on the command line
// (CDK_CONTEXT_JSON) still wins over cdk.json, as with the CLI.
func NewApp(root, outdir string) (awscdk.App, error) {
	if root == "" {
		r, err := gofunction.FindRepoRoot(".")
		if err != nil {
			return nil, err
		}
		root = r
	}
	flags, err := FeatureFlags(root)
	if err != nil {
		return nil, err
	}
	ctx := map[string]any{}
	for k, v := range flags {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	return awscdk.NewApp(props), nil
}

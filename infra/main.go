// Command infra is the IssueTracker CDK app (cdk.json runs it from the repo
// root). Without context it synthesizes the platform stack; -c tenants=a,b
// adds those Platinum tenants' stacks; -c tenant=acme synthesizes that
// tenant's stack alone; -c cell=cell-2 names the cell; -c directory=true
// adds the global tenant directory. `infra synth-worker` serves tenant
// synths to the local cloud (internal/localdeploy.SynthWorker) from one warm
// process; `infra local-synth <dir>` writes the platform stack make dev runs
// when the CDK app's sources changed since the commit.
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/infra/stacks"
)

func main() {
	defer jsii.Close()
	defer func() {
		// Constructs report bad input by panicking: print the message, not a trace.
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, "infra:", r)
			jsii.Close()
			os.Exit(1)
		}
	}()
	if len(os.Args) > 1 && os.Args[1] == "synth-worker" {
		if err := stacks.ServeTenantSynths(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "infra synth-worker:", err)
			jsii.Close()
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "local-synth" {
		// make dev's synth of the platform it runs (devstack.CurrentPlatformTemplate).
		root, err := gofunction.FindRepoRoot(".")
		if err == nil {
			var path string
			if path, err = stacks.SynthLocalPlatform(root, os.Args[2]); err == nil {
				fmt.Println(path)
				return
			}
		}
		fmt.Fprintln(os.Stderr, "infra local-synth:", err)
		jsii.Close()
		os.Exit(1)
	}
	app, err := stacks.NewApp("", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(2)
	}
	cfg := stacks.ConfigFromContext(app)
	tenants, platform, err := stacks.TenantsFromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(2)
	}
	if platform {
		stacks.NewPlatformStack(app, cfg)
	}
	for _, t := range tenants {
		stacks.NewTenantStack(app, t, cfg)
	}
	if dir, replicas := stacks.DirectoryFromContext(app); dir {
		stacks.NewDirectoryStack(app, cfg, replicas)
	}
	if cfg.Nag {
		stacks.ApplyNag(app)
	}
	app.Synth(nil)
}

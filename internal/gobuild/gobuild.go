// Package gobuild holds how the project builds a Go Lambda function: the
// flags constructs/gofunction builds the deployed binaries with, and the
// same build for this machine's architecture, which the local cloud runs
// (internal/lambdaproc). CDK-free, so the local platform can use it.
package gobuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Tags and LDFlags of every function build: no RPC shim, stripped.
const (
	Tags    = "lambda.norpc"
	LDFlags = "-s -w"
)

// SourceMetadata is the template metadata key under which gofunction
// records the package a function is built from ("functions/issues"), so
// the local cloud builds and runs what the template deploys.
const SourceMetadata = "issuetracker:source"

// Args are `go build`'s arguments for out (a file, or a directory ending in
// a separator for several packages) and pkgs.
func Args(out string, pkgs ...string) []string {
	return append([]string{"build", "-trimpath", "-buildvcs=false", "-tags", Tags, "-ldflags", LDFlags, "-o", out}, pkgs...)
}

// HostEnv is env with the settings of a function build for this machine:
// no cgo, the caller's GOFLAGS and GOEXPERIMENT cleared (as gofunction
// does), GOOS and GOARCH of the host.
func HostEnv(env []string) []string {
	return append(env, "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0", "GOFLAGS=", "GOEXPERIMENT=")
}

// BuildHost builds every package of pkgs ("./functions/issues") into dir
// with one `go build` (shared work, the build cache keeps it fast warm) and
// returns each package's binary. The binaries are named after the package
// folder.
func BuildHost(root, dir string, pkgs ...string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(goTool(), Args(dir+string(filepath.Separator), pkgs...)...)
	cmd.Dir = root
	cmd.Env = HostEnv(os.Environ())
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	bins := map[string]string{}
	for _, p := range pkgs {
		bins[p] = filepath.Join(dir, filepath.Base(p))
	}
	return bins, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

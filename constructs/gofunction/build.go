package gofunction

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/issuetracker/issuetracker/internal/gobuild"
)

// Build settings of every function: Lambda's provided.al2023 runtime on
// Graviton (baseline ARMv8.0, which every Graviton runs), no RPC shim,
// stripped, reproducible.
const (
	goos    = "linux"
	goarch  = "arm64"
	goarm64 = "v8.0"
	tags    = gobuild.Tags
	ldflag  = gobuild.LDFlags
)

func buildArgs(out, pkg string) []string { return gobuild.Args(out, pkg) }

// buildEnv is the caller's environment with every setting that changes the
// binary pinned: the caller's GOFLAGS and GOEXPERIMENT are cleared, so the
// asset hash (settings + toolchain + sources) describes the binary fully.
func buildEnv() []string {
	return append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "GOARM64="+goarm64, "CGO_ENABLED=0",
		"GOFLAGS=", "GOEXPERIMENT=")
}

// settings is the build configuration as hashed: target, flags, toolchain.
func settings(toolchain string) string {
	return fmt.Sprintf("toolchain=%s GOOS=%s GOARCH=%s GOARM64=%s tags=%s ldflags=%s trimpath buildvcs=false CGO_ENABLED=0\n",
		toolchain, goos, goarch, goarm64, tags, ldflag)
}

// Toolchain is the version of the Go toolchain that builds in root, as
// `go env GOVERSION` reports it there (go.mod's toolchain line may switch
// to another one than the go on PATH): "go1.26.8". Its runtime (and
// standard library) is linked into every function, so it is part of the
// asset hash: a Go security release redeploys the functions.
func Toolchain(root string) (string, error) {
	cmd := exec.Command(goTool(), "env", "GOVERSION")
	cmd.Dir = root
	cmd.Env = buildEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "go") {
		return "", fmt.Errorf("go env GOVERSION: unexpected %q", v)
	}
	return v, nil
}

// FindRepoRoot walks up from dir to the directory holding go.mod.
func FindRepoRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		d = parent
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// SourceHash is the hash of everything that goes into the binary built from
// pkg (a "./path" relative to root): the Go toolchain that builds it, the
// build settings, go.mod, go.sum and every file of every package of this
// module that pkg imports, for the target platform. It does not depend on
// the machine or the checkout's location: the same sources built by the
// same toolchain (go.mod pins it) give the same asset everywhere, and a new
// toolchain gives a new asset.
func SourceHash(root, pkg string) (string, error) {
	tc, err := Toolchain(root)
	if err != nil {
		return "", err
	}
	return sourceHash(root, pkg, tc)
}

func sourceHash(root, pkg, toolchain string) (string, error) {
	src, err := gobuild.ListSources(root, pkg, tags, buildEnv())
	if err != nil {
		return "", err
	}
	return src.Hash(root, settings(toolchain))
}

// Build compiles pkg into <cacheDir>/<name>-<hash>/bootstrap unless that
// binary exists already, and returns the directory. The build goes to a
// temporary directory renamed into place, so concurrent synths are safe.
func Build(root, pkg, name, hash, cacheDir string) (string, error) {
	dir := filepath.Join(cacheDir, name+"-"+hash[:16])
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, name+"-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goTool(), buildArgs(filepath.Join(tmp, "bootstrap"), pkg)...)
	cmd.Dir = root
	cmd.Env = buildEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process built the same sources first.
		if _, statErr := os.Stat(filepath.Join(dir, "bootstrap")); statErr == nil {
			return dir, nil
		}
		return "", errors.Join(fmt.Errorf("install %s", dir), err)
	}
	return dir, nil
}

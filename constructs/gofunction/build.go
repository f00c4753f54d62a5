package gofunction

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Build settings of every function: Lambda's provided.al2023 runtime on
// Graviton, no RPC shim, stripped, reproducible.
const (
	goos   = "linux"
	goarch = "arm64"
	tags   = "lambda.norpc"
	ldflag = "-s -w"
)

func buildArgs(out, pkg string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-tags", tags, "-ldflags", ldflag, "-o", out, pkg}
}

func buildEnv() []string {
	return append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
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
// pkg (a "./path" relative to root): the build settings, go.mod, go.sum and
// every file of every package of this module that pkg imports, for the
// target platform. It does not depend on the machine or the Go toolchain
// installed, so the same sources give the same asset on every machine.
func SourceHash(root, pkg string) (string, error) {
	cmd := exec.Command(goTool(), "list", "-deps", "-tags", tags,
		"-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}}|{{.}}{{end}}{{range .EmbedFiles}}|{{.}}{{end}}{{end}}{{end}}`, pkg)
	cmd.Dir = root
	cmd.Env = buildEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	files := []string{"go.mod", "go.sum"}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		if len(parts) < 2 {
			continue
		}
		rel, err := filepath.Rel(root, parts[0])
		if err != nil {
			return "", err
		}
		for _, f := range parts[1:] {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	sort.Strings(files)

	h := sha256.New()
	fmt.Fprintf(h, "GOOS=%s GOARCH=%s tags=%s ldflags=%s trimpath CGO_ENABLED=0\n", goos, goarch, tags, ldflag)
	for _, f := range files {
		fh, err := os.Open(filepath.Join(root, f))
		if errors.Is(err, os.ErrNotExist) && f == "go.sum" {
			continue // a module without dependencies
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\n", f)
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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

package localcloud

import (
	"fmt"
	"os"
	"path/filepath"
)

// RepoRoot is the repository root (the folder holding go.mod) above the
// working directory: where `make dev` keeps its state (.local/) and finds
// the tools `make tools` installed.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

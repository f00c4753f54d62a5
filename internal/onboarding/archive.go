package onboarding

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// DirArchive keeps exports in a folder (the local platform; S3 in AWS).
type DirArchive struct{ Dir string }

// Store implements Archive; the file is readable by its owner only.
func (a DirArchive) Store(_ context.Context, name string, body []byte) (string, error) {
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(a.Dir, filepath.Base(name))
	if err := os.WriteFile(p, body, 0o600); err != nil {
		return "", fmt.Errorf("store export: %w", err)
	}
	return "file://" + p, nil
}

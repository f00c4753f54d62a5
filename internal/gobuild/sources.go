package gobuild

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
	"sort"
	"strings"
)

// Sources are the files of root's module that go into what pkg builds.
type Sources struct {
	// Files are relative to root, slash-separated and sorted: go.mod,
	// go.sum, and the Go and embedded files of every package of the
	// module that pkg imports, pkg's own included.
	Files []string
	// Dirs are those packages' folders, relative to root, slash-separated.
	Dirs []string
}

// ListSources asks `go list -deps` (with env and tags, so the target's
// build constraints apply) for pkg's Sources in root.
func ListSources(root, pkg, tags string, env []string) (Sources, error) {
	cmd := exec.Command(goTool(), "list", "-deps", "-tags", tags,
		"-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}}|{{.}}{{end}}{{range .EmbedFiles}}|{{.}}{{end}}{{end}}{{end}}`, pkg)
	cmd.Dir = root
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Sources{}, fmt.Errorf("go list %s: %v: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	s := Sources{Files: []string{"go.mod", "go.sum"}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		if len(parts) < 2 {
			continue
		}
		rel, err := filepath.Rel(root, parts[0])
		if err != nil {
			return Sources{}, err
		}
		s.Dirs = append(s.Dirs, filepath.ToSlash(rel))
		for _, f := range parts[1:] {
			s.Files = append(s.Files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	sort.Strings(s.Files)
	return s, nil
}

// Hash is the SHA-256 of prefix and then of each file's name and content
// (a missing go.sum, a module without dependencies, is skipped).
func (s Sources) Hash(root, prefix string) (string, error) {
	h := sha256.New()
	io.WriteString(h, prefix)
	for _, f := range s.Files {
		fh, err := os.Open(filepath.Join(root, f))
		if errors.Is(err, os.ErrNotExist) && f == "go.sum" {
			continue
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

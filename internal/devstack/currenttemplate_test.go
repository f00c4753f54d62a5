package devstack_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/devstack"
)

// A module shaped like the repository: a CDK app (./infra) that imports a
// tier catalog, a package it does not import, and a local-synth that
// writes the catalog into the platform template, as the real app's does.
var fakeRepo = map[string]string{
	"go.mod":                                     "module example.com/fake\n\ngo 1.22\n",
	"cdk.json":                                   `{"app": "go run ./infra"}`,
	"internal/tiers/tiers.go":                    "package tiers\n\nconst BasicRate = 10\n",
	"internal/issue/issue.go":                    "package issue\n",
	"test/infra/testdata/downloads.pub.pem":      "key\n",
	"test/infra/testdata/downloads-next.pub.pem": "next key\n",
	"infra/templates/IssueTracker-Platform.json": `{"golden": true}`,
	"infra/main.go": `package main

import (
	"fmt"
	"os"
	"path/filepath"

	"example.com/fake/internal/tiers"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "local-synth" {
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[2], 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(os.Args[2], "IssueTracker-Platform.json"), []byte(fmt.Sprintf("{\"rate\": %d}", tiers.BasicRate)), 0o644); err != nil {
		panic(err)
	}
}
`,
}

func TestMakeDevRunsASynthOfTheCDKAppsSourcesWhenTheyDifferFromTheCommit(t *testing.T) {
	root := t.TempDir()
	for name, body := range fakeRepo {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "the commit")
	cache := filepath.Join(root, ".local", "dev")
	golden := filepath.Join(root, devstack.PlatformTemplate)
	current := func() (string, string) {
		var log bytes.Buffer
		p, err := devstack.CurrentPlatformTemplate(root, cache, &log)
		require.NoError(t, err)
		return p, log.String()
	}
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}

	p, log := current()
	assert.Equal(t, golden, p, "the commit's sources: the checked-in template")
	assert.Empty(t, log)

	write("internal/issue/issue.go", "package issue\n\nconst X = 1\n")
	write("internal/tiers/tiers_test.go", "package tiers\n")
	p, _ = current()
	assert.Equal(t, golden, p, "a package the CDK app does not import, and a test, change no template")

	write("internal/tiers/tiers.go", "package tiers\n\nconst BasicRate = 3\n")
	p, log = current()
	require.NotEqual(t, golden, p, "an edited tier catalog is synthesized: %s", log)
	assert.Contains(t, log, "internal/tiers/tiers.go")
	assert.Contains(t, log, "synthesizing")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"rate": 3}`, string(b), "the synth of the working tree")

	again, log := current()
	assert.Equal(t, p, again, "the same sources: the same synth")
	assert.NotContains(t, log, "synthesizing", "found, not synthesized again")

	write("internal/tiers/tiers.go", "package tiers\n\nconst BasicRate = 4\n")
	p4, _ := current()
	assert.NotEqual(t, p, p4, "other sources: another synth")
	write("internal/tiers/tiers.go", fakeRepo["internal/tiers/tiers.go"])
	p, _ = current()
	assert.Equal(t, golden, p, "back to the commit's sources")

	write("internal/tiers/limits.go", "package tiers\n\nconst Burst = 2\n")
	p, log = current()
	assert.NotEqual(t, golden, p, "a new file in a package of the app: %s", log)
	require.NoError(t, os.Remove(filepath.Join(root, "internal/tiers/limits.go")))

	write("cdk.json", `{"app": "go run ./infra", "context": {"x": 1}}`)
	p, log = current()
	assert.NotEqual(t, golden, p, "cdk.json's context: %s", log)
}

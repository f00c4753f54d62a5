package devstack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/gobuild"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

// cdkApp is the CDK app's package.
const cdkApp = "./infra"

// synthInputs is what else its synth of the local platform reads
// (stacks.LocalPlatformConfig): cdk.json's context and the test download keys.
var synthInputs = []string{"cdk.json", "test/infra/testdata/downloads.pub.pem", "test/infra/testdata/downloads-next.pub.pem"}

// CurrentPlatformTemplate is the platform template `make dev` runs. While
// nothing the CDK app reads differs from the commit, that is the checked-in
// synth (PlatformTemplate: test/infra keeps it equal to a synth of the
// commit), at no cost. When a source of the app changed (the tier
// catalog, a construct, the route table, cdk.json), it is a synth of the
// working tree (`infra local-synth`, the functions not built: the local
// cloud builds them), kept in cacheDir/synth/<hash of those sources>, so
// an edit changes the local platform at the next start and a second start
// finds it synthesized. Progress goes to log. A folder that is no git
// checkout runs the checked-in template, and says so.
func CurrentPlatformTemplate(root, cacheDir string, log io.Writer) (string, error) {
	golden := filepath.Join(root, PlatformTemplate)
	changed, err := gitChanged(root)
	if err != nil {
		fmt.Fprintf(log, "template | not a git checkout (%v): running the checked-in %s\n", err, PlatformTemplate)
		return golden, nil
	}
	if len(changed) == 0 {
		return golden, nil
	}
	src, err := gobuild.ListSources(root, cdkApp, "", os.Environ())
	if err != nil {
		return "", fmt.Errorf("the CDK app's sources: %w", err)
	}
	src.Files = append(src.Files, synthInputs...)
	stale := staleSources(changed, src)
	if len(stale) == 0 {
		return golden, nil
	}
	hash, err := src.Hash(root, "infra local-synth\n")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "synth", hash[:16])
	out := filepath.Join(dir, filepath.Base(PlatformTemplate))
	why := strings.Join(stale[:min(len(stale), 3)], ", ")
	if len(stale) > 3 {
		why += fmt.Sprintf(" and %d more", len(stale)-3)
	}
	if _, err := os.Stat(out); err == nil {
		fmt.Fprintf(log, "template | the CDK app's sources differ from the commit (%s): running their synth, %s\n", why, rel(root, out))
		return out, nil
	}
	fmt.Fprintf(log, "template | the CDK app's sources differ from the commit (%s): synthesizing the platform stack into %s (a first CDK build takes about a minute) ...\n", why, rel(root, dir))
	bin := filepath.Join(root, ".local", "bin", "infra-synth") // the synth worker's binary (localdeploy.SynthWorker)
	if err := run(root, "go", "build", "-o", bin, cdkApp); err != nil {
		return "", err
	}
	if err := run(root, bin, "local-synth", dir); err != nil {
		return "", err
	}
	return out, nil
}

// gitChanged lists the paths (slash-separated, relative to root) that
// differ from the commit in the working tree or the index, untracked
// files included, among those the CDK app can read.
func gitChanged(root string) ([]string, error) {
	args := append([]string{"status", "--porcelain=v1", "-z", "--untracked-files=all", "--",
		"infra", "constructs", "internal", "go.mod", "go.sum"}, synthInputs...)
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git status: %v %s", err, strings.TrimSpace(stderr.String()))
	}
	var paths []string
	fields := strings.Split(string(out), "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		paths = append(paths, f[3:])
		if (f[0] == 'R' || f[0] == 'C') && i+1 < len(fields) {
			i++ // a rename's or copy's source follows
			paths = append(paths, fields[i])
		}
	}
	return paths, nil
}

// staleSources are the changed paths that go into the CDK app's synth: one
// of its source files, go.mod or go.sum, one of synthInputs, or a non-test
// Go file added to or removed from one of its packages.
func staleSources(changed []string, src gobuild.Sources) []string {
	var stale []string
	for _, p := range changed {
		switch {
		case slices.Contains(src.Files, p):
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && slices.Contains(src.Dirs, path.Dir(p)):
		default:
			continue
		}
		stale = append(stale, p)
	}
	return stale
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, localdeploy.Tail(out, 2000))
	}
	return nil
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}

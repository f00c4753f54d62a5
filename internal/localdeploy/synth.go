package localdeploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// SynthWithCDKApp synthesizes a tenant stack with the repository's real CDK
// app (`go run ./infra -c tenant=<id>`, as `make synth TENANT=<id>` does) in a
// child process. A child keeps the CDK's jsii runtime (and its ~35 s first
// build) out of the gateway's binary: `make dev` starts fast and only the
// first Platinum sign-up pays for the build.
func SynthWithCDKApp(root string) SynthFunc {
	return func(outDir, tenantID string) (string, error) {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return "", err
		}
		ctxJSON, _ := json.Marshal(map[string]string{"tenant": tenantID})
		cmd := exec.Command("go", "run", "./infra")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CDK_OUTDIR="+outDir, "CDK_CONTEXT_JSON="+string(ctxJSON),
			"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go run ./infra -c tenant=%s: %w\n%s", tenantID, err, tail(out.Bytes(), 2000))
		}
		path := filepath.Join(outDir, "IssueTracker-Tenant-"+tenantID+".template.json")
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("the CDK app wrote no %s", path)
		}
		return path, nil
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

package httpapi_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The in-process gateway puts the request context where
// httpapi.GatewayContext finds it, not where aws-lambda-go-api-proxy's
// getter looks: code that read it with the api-proxy's getter would find
// nothing in process (no caller's source IP, no request id) and the
// event's values in Lambda. Only GatewayContext itself calls that getter.
func TestOnlyHTTPAPIReadsTheProxyContext(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var offenders []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".local", ".git", "cdk.out", "web":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, filepath.Join("internal", "httpapi", "gateway_context.go")) ||
			strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range []string{"GetAPIGatewayContextFromContext", "GetAPIGatewayContext(", "GetStageVarsFromContext", "GetRuntimeContextFromContext"} {
			if strings.Contains(string(b), f) {
				rel, _ := filepath.Rel(root, path)
				offenders = append(offenders, rel+": "+f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offenders) > 0 {
		t.Fatalf("read the request context with httpapi.GatewayContext, not aws-lambda-go-api-proxy's getters:\n%s", strings.Join(offenders, "\n"))
	}
}

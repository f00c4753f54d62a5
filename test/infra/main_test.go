// Package infra_test holds the snapshot and assertion tests of every stack.
// The app (platform stack, one tenant stack, cdk-nag) is synthesized once per
// test binary in TestMain: each synth costs seconds and one node process.
package infra_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/cfntemplate"
)

var update = flag.Bool("update", false, "rewrite the synthesized templates under infra/templates")

const tenantID = "acme"

// cell1API is the first cell's API as cell-2 is told it (Config.Cells).
const (
	cell1API          = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod"
	stacksDefaultCell = "cell-1"
	cell1Files        = "issuetracker-platform-filesbucket1234-abcdef"
)

// cell2 is the second cell the app synthesizes beside the first (schema.DefaultCell).
const cell2 = "cell-2"

// crossTenant is a Platinum tenant of cell-2 in an AWS account of its own.
const (
	crossTenant  = "initech"
	crossAccount = "210987654321"
	// crossSharedPool is the shared pool's id the pipeline passes to a
	// tenant stack in its own account (its user-migration trigger).
	crossSharedPool = "us-east-1_SharedPool"
	// replicaRegion holds a replica of the directory (a cell there).
	replicaRegion = "eu-west-1"
)

// testGoogle is the checked-in platform's Google sign-in.
var testGoogle = stacks.LocalGoogle

// synth is the one synthesized app every test reads.
var synth struct {
	platform *stacks.Platform
	tenant   *stacks.Tenant
	// cell2 is the platform stack of the second cell.
	cell2 *stacks.Platform
	// cross is crossTenant's stack, in its own account; directory the
	// global tenant directory.
	cross     *stacks.Tenant
	directory *stacks.DirectoryStack
	asm       cxapi.CloudAssembly
	// raw templates by stack name, as the tests read them: a nested
	// stack's resources are inlined into its parent's (cfntemplate.Flatten).
	raw map[string]map[string]any
	// files are the templates as written to the cloud assembly, nested
	// stacks under "<parent>/<id>" (the snapshots).
	files map[string]map[string]any
	// substituted lists functions built from the fixture because their
	// folder does not exist yet on this branch.
	substituted []string
	err         error
}

func TestMain(m *testing.M) {
	flag.Parse()
	out, err := os.MkdirTemp("", "cdk-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	synth.err = synthesize(out)
	if len(synth.substituted) > 0 {
		fmt.Fprintf(os.Stderr, "infra tests: built from the gofunction fixture, folders not on this branch yet: %s\n",
			strings.Join(synth.substituted, ", "))
	}
	code := m.Run()
	os.RemoveAll(out)
	jsii.Close()
	os.Exit(code)
}

func synthesize(out string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth panicked: %v", r)
		}
	}()
	root, err := gofunction.FindRepoRoot(".")
	if err != nil {
		return err
	}
	// The checked-in platform's configuration (Google sign-in on, so its
	// trigger is built, granted and checked too; the web app's fixture
	// site, since go test runs before make web-build; test download keys,
	// cell-1 in the middle of a key rotation), with cdk-nag.
	cfg, err := stacks.LocalPlatformConfig(root)
	if err != nil {
		return err
	}
	cfg.Nag = true
	for _, fn := range stacks.FunctionNames() {
		if _, err := os.Stat(filepath.Join(root, "functions", fn, "main.go")); err != nil {
			// The function is written on main and not merged here yet: build
			// the fixture in its place. Asset hashes are normalized in the
			// goldens, so the templates are the same either way.
			cfg.FunctionDirs[fn] = "constructs/gofunction/testdata/hello"
			synth.substituted = append(synth.substituted, fn)
		}
	}
	app, err := stacks.NewApp(root, out)
	if err != nil {
		return err
	}
	synth.platform = stacks.NewPlatformStack(app, cfg)
	synth.tenant = stacks.NewTenantStack(app, tenantID, cfg)
	cfg2 := cfg
	cfg2.Cell = cell2
	cfg2.DownloadPublicKey, cfg2.DownloadNextPublicKey, cfg2.DownloadSignWithNext = "", "", false
	// The second cell reads the global tenant directory (its functions'
	// environment and grants); the first is left as a platform from before
	// cells, whose template make dev's template mode runs.
	cfg2.Directory = true
	cfg2.TenantAccounts = map[string]string{crossTenant: crossAccount}
	// Cell-2 knows the platform's cells (moves, the web app's CSP).
	cfg2.Cells = map[string]string{stacksDefaultCell: cell1API, cell2: "https://api-2.example.com/prod"}
	cfg2.CellBuckets = map[string]string{stacksDefaultCell: cell1Files}
	synth.cell2 = stacks.NewPlatformStack(app, cfg2)
	cfgX := cfg2
	cfgX.WebOrigin = "https://app.example.com" // the pipeline passes it as context
	cfgX.DownloadPublicKey = cfg.DownloadPublicKey
	cfgX.SharedPoolID, cfgX.SharedClientID = crossSharedPool, "sharedclient" // so does it the shared pool
	synth.cross = stacks.NewTenantStack(app, crossTenant, cfgX)
	synth.directory = stacks.NewDirectoryStack(app, cfg, []string{replicaRegion})
	stacks.ApplyNag(app)
	synth.asm = app.Synth(nil)
	synth.raw, synth.files = map[string]map[string]any{}, map[string]map[string]any{}
	for _, name := range []string{stacks.PlatformStackName, stacks.TenantStackName(tenantID), stacks.PlatformStackNameOf(cell2),
		stacks.TenantStackNameOf(cell2, crossTenant), stacks.DirectoryStackName} {
		stack, err := cfntemplate.Load(*synth.asm.Directory(), name)
		if err != nil {
			return err
		}
		for _, s := range stack.All() {
			synth.files[s.Name] = s.Template
		}
		if synth.raw[name], err = stack.Flatten(); err != nil {
			return err
		}
	}
	return nil
}

// ready fails the test when the app did not synthesize.
func ready(t *testing.T) {
	t.Helper()
	if synth.err != nil {
		t.Fatal(synth.err)
	}
}

// template is the assertions view of a synthesized stack, without a resynth.
func template(t *testing.T, stack string) assertions.Template {
	t.Helper()
	ready(t)
	raw := synth.raw[stack]
	var tmpl assertions.Template
	check(t, "parse template "+stack, func() { tmpl = assertions.Template_FromJSON(&raw, nil) })
	if tmpl == nil {
		t.FailNow()
	}
	return tmpl
}

// check runs an assertion that panics (jsii) and turns the panic into a failure.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// resources returns the raw resources of a stack of type typ, by logical id.
func resources(t *testing.T, stack, typ string) map[string]map[string]any {
	t.Helper()
	ready(t)
	out := map[string]map[string]any{}
	for id, r := range synth.raw[stack]["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ref returns the logical id of {"Ref": id} or {"Fn::GetAtt": [id, ...]}.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

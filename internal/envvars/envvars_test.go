package envvars_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// deployed are the functions of the platform stack: every function of the
// route table, the authorizer and the onboarding function.
func deployed() []routes.Function {
	return append(routes.Functions(), routes.FnAuthorizer, routes.FnOnboarding, routes.FnPreSignUp)
}

func TestEveryDeployedFunctionHasAContract(t *testing.T) {
	used := map[string]bool{}
	for _, fn := range deployed() {
		names, ok := envvars.For(fn)
		require.True(t, ok, "no contract for %s", fn)
		for _, n := range names {
			used[n] = true
			assert.Contains(t, envvars.Deployed, n, "%s needs %s, which the stack may not set", fn, n)
		}
	}
	for _, n := range envvars.Deployed {
		assert.True(t, used[n], "%s is set by the stack but no function needs it", n)
	}
	for _, n := range envvars.Local {
		assert.NotContains(t, envvars.Deployed, n)
	}
	_, ok := envvars.For("nosuchfunction")
	assert.False(t, ok)
}

func TestCheckNamesWhatThePlatformDidNotSet(t *testing.T) {
	names, _ := envvars.For(routes.FnAuthorizer)
	env := map[string]string{}
	for _, n := range names {
		env[n] = "x"
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	missing, err := envvars.Missing(routes.FnAuthorizer, lookup)
	require.NoError(t, err)
	assert.Empty(t, missing)

	env[envvars.ProviderPoolID] = ""
	delete(env, envvars.TenantAccessRoleARN)
	missing, _ = envvars.Missing(routes.FnAuthorizer, lookup)
	assert.Equal(t, []string{envvars.ProviderPoolID, envvars.TenantAccessRoleARN}, missing)

	for _, n := range names {
		t.Setenv(n, "")
	}
	err = envvars.Check(routes.FnAuthorizer)
	require.Error(t, err)
	assert.Contains(t, err.Error(), envvars.TenantPoolID)
}

// The class behind a contract that drifts: a variable name spelled in two
// places. No Go file outside this package (tests and the test harness's own
// ITR_TEST_* variables aside) may spell an ITR_ name in a string literal.
func TestNoVariableNameIsSpelledOutsideTheContract(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	name := regexp.MustCompile(`ITR_[A-Z0-9_]+`)
	self, _ := filepath.Abs(".")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata" || n == "web" || path == self) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, _ := strconv.Unquote(lit.Value)
			for _, m := range name.FindAllString(v, -1) {
				if !strings.HasPrefix(m, "ITR_TEST_") {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s spells %s: use the internal/envvars constant", rel, m)
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
}

func TestForIsSortedAndWithoutDuplicates(t *testing.T) {
	for _, fn := range deployed() {
		names, _ := envvars.For(fn)
		assert.True(t, slices.IsSorted(names), fn)
		assert.Len(t, slices.Compact(slices.Clone(names)), len(names), fn)
	}
}

// The download distribution's variables go to the functions that serve
// files as the tenant, and only when configured (no contract needs them).
func TestOnlyTheFileFunctionGetsTheDownloadDistribution(t *testing.T) {
	for _, fn := range deployed() {
		assert.Equal(t, fn == routes.FnAttachments, envvars.StoresFiles(fn), "%s", fn)
		names, _ := envvars.For(fn)
		for _, n := range envvars.CloudFrontDownloads {
			assert.NotContains(t, names, n, "%s: optional, never required", fn)
			assert.Contains(t, envvars.Optional, n)
		}
	}
}

func TestTheDirectoryIsNamedWholeOrNotAtAll(t *testing.T) {
	env := map[string]string{}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, fn := range deployed() {
		require.NoError(t, envvars.CheckDirectory(fn, lookup), "nothing set is one cell")
	}
	env[envvars.DirectoryTable] = "issuetracker-directory"
	err := envvars.CheckDirectory(routes.FnAuthorizer, lookup)
	require.Error(t, err)
	assert.Contains(t, err.Error(), envvars.CellID)
	env[envvars.CellID] = "cell-2"
	require.NoError(t, envvars.CheckDirectory(routes.FnAuthorizer, lookup))
	// Registration also writes the cell's API into the entries it places here.
	err = envvars.CheckDirectory(routes.FnRegistration, lookup)
	require.Error(t, err)
	assert.Contains(t, err.Error(), envvars.CellAPIURL)
	for fn, names := range envvars.ReadsDirectory {
		for _, n := range names {
			assert.Contains(t, envvars.Optional, n, "%s of %s", n, fn)
		}
	}
}

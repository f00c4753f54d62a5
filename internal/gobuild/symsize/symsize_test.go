package symsize_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/gobuild/symsize"
)

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/s3.(*Client).PutObject": "github.com/aws/aws-sdk-go-v2/service/s3",
		"github.com/aws/aws-sdk-go-v2/service/s3/types.(*Grant).Foo":  "github.com/aws/aws-sdk-go-v2/service/s3/types",
		"type:*net/http.Client":                              "net/http",
		"type:.eq.github.com/stripe/stripe-go/v82.Invoice":   "github.com/stripe/stripe-go/v82",
		"go:itab.*os.File,io.Reader":                         "os",
		"slices.SortFunc[go.shape.[]string,go.shape.string]": "slices",
		"gopkg.in/natefinch/lumberjack%2ev2.(*Logger).Write": "gopkg.in/natefinch/lumberjack%2ev2",
		"go:func.*":       "go:",
		"runtime.pclntab": "runtime",
		"github.com/issuetracker/issuetracker/internal/issue.init.func1":         "github.com/issuetracker/issuetracker/internal/issue",
		"github.com/issuetracker/issuetracker/internal/issue/issuedb.Store.List": "github.com/issuetracker/issuetracker/internal/issue/issuedb",
	} {
		assert.Equal(t, want, symsize.PackageOf(name), name)
	}
}

func TestBeyondAndGroups(t *testing.T) {
	fn := map[string]int64{"runtime": 100, "github.com/aws/aws-sdk-go-v2/service/s3": 50, "github.com/aws/aws-sdk-go-v2/service/s3/types": 20, "net/http": 30}
	base := map[string]int64{"runtime": 90, "net/http": 40}
	g := symsize.Groups(fn, symsize.SDKServices(fn))
	assert.Equal(t, []symsize.Package{{"github.com/aws/aws-sdk-go-v2/service/s3", 70}, {"runtime", 10}}, symsize.Beyond(g, base, 0))
	assert.Len(t, symsize.Beyond(g, base, 1), 1)
}

// A real binary: the test binary's own package has symbols, and .bss
// (zero-filled, not in the file) is left out.
func TestByPackageOfABuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nvar big [1 << 24]byte\n\nfunc main() { big[1] = 1; println(len(big)) }\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644))
	build := exec.Command("go", "build", "-o", "bin")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	m, err := symsize.ByPackage(filepath.Join(dir, "bin"))
	require.NoError(t, err)
	assert.Greater(t, m["runtime"], int64(100_000))
	assert.Less(t, m["main"], int64(1<<20), "the 16 MiB zero array is .bss, not in the file")
	st, err := os.Stat(filepath.Join(dir, "bin"))
	require.NoError(t, err)
	var total int64
	for _, b := range m {
		total += b
	}
	assert.Less(t, total, st.Size())
}

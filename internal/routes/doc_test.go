package routes_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/permissions.md from the route table")

// The permission matrix in the docs is the route table, rendered.
func TestPermissionsDocMatchesTheRouteTable(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "permissions.md")
	want := routes.PermissionsMarkdown()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./internal/routes -update`")
	assert.Equal(t, want, string(got), "docs/permissions.md is stale: run `go test ./internal/routes -update`")
}

package schema_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// The first cell's tenant stacks keep the names of a platform from before
// cells; every other cell's carry the cell, and no tenant id of one cell
// can give the name (or match the name pattern) of another cell's stack.
func TestTenantStackNamesCarryTheCellAndNeverCollide(t *testing.T) {
	for _, tc := range []struct{ cell, id, want string }{
		{schema.DefaultCell, "acme", "IssueTracker-Tenant-acme"},
		{"", "acme", "IssueTracker-Tenant-acme"},
		{"cell-2", "acme", "IssueTracker-cell-2-Tenant-acme"},
	} {
		if got := schema.TenantStackName(tc.cell, tc.id); got != tc.want {
			t.Errorf("TenantStackName(%q, %q) = %q, want %q", tc.cell, tc.id, got, tc.want)
		}
	}
	// Tenant ids chosen to look like another cell's names.
	names := map[string]string{}
	for _, cell := range []string{schema.DefaultCell, "cell-2", "cell-2-tenant", "c"} {
		for _, id := range []string{"acme", "cell-2-acme", "cell-2-tenant-acme", "tenant-acme", "c-acme"} {
			n := schema.TenantStackName(cell, id)
			if prev, ok := names[n]; ok {
				t.Errorf("%s is the stack of %s and of %s/%s", n, prev, cell, id)
			}
			names[n] = cell + "/" + id
			for _, other := range []string{schema.DefaultCell, "cell-2", "cell-2-tenant", "c"} {
				p := schema.TenantStackPrefix(other)
				if other != cell && len(n) >= len(p) && n[:len(p)] == p {
					t.Errorf("%s (cell %s) matches cell %s's pattern %s*", n, cell, other, p)
				}
			}
		}
	}
}

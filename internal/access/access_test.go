package access_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

func TestAllows(t *testing.T) {
	cases := []struct {
		name              string
		fn                routes.Function
		action, index, pk string
		attrs             []string
		want              bool
	}{
		{"the authorizer reads a tenant", routes.FnAuthorizer, "GetItem", "", "TENANT#acme", nil, true},
		{"the authorizer writes nothing", routes.FnAuthorizer, "PutItem", "", "TENANT#acme", nil, false},
		{"comments read no tenant audit", routes.FnComments, "Query", "", "AUDIT#acme", nil, false},
		{"comments meter usage", routes.FnComments, "UpdateItem", "", schema.ControlUsage + "acme", nil, true},
		{"meta touches no control item", routes.FnMeta, "GetItem", "", "TENANT#acme", nil, false},
		{"the workspace function writes branding", routes.FnWorkspace, "UpdateItem", "", "TENANT#acme", []string{"branding", "updated_at", "version"}, true},
		{"the workspace function cannot write a tier", routes.FnWorkspace, "UpdateItem", "", "TENANT#acme", []string{"branding", "tier"}, false},
		{"the workspace function cannot replace a tenant", routes.FnWorkspace, "PutItem", "", "TENANT#acme", nil, false},
		{"registration counts sign-ups", routes.FnRegistration, "UpdateItem", "", schema.ControlRate + "register#1.2.3.4", []string{"count", "expires_at"}, true},
		{"registration cannot write an issuer", routes.FnRegistration, "PutItem", "", "ISSUER#https://x", nil, false},
		{"Root lists tenants on the index", routes.FnTenants, "Query", schema.GSI1, schema.ControlTenantList, nil, true},
		{"the list partition is not queryable on the table", routes.FnTenants, "Query", "", schema.ControlTenantList, nil, false},
		{"a key is matched by its prefix only", routes.FnUsers, "GetItem", "", "XTENANT#acme", nil, false},
		{"no function scans the control table", routes.FnOnboarding, "Scan", "", "", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, access.Allows(c.fn, c.action, c.index, c.pk, c.attrs))
		})
	}
}

func TestAllowsDirectory(t *testing.T) {
	entry, counts := schema.DirectoryTenant+"acme", schema.DirectoryCells
	cases := []struct {
		name       string
		fn         routes.Function
		action, pk string
		want       bool
	}{
		{"the authorizer reads an entry", routes.FnAuthorizer, "GetItem", entry, true},
		{"the authorizer writes no entry", routes.FnAuthorizer, "UpdateItem", entry, false},
		{"the authorizer reads no counts", routes.FnAuthorizer, "Query", counts, false},
		{"placement reads the counts", routes.FnRegistration, "Query", counts, true},
		{"registration registers an entry", routes.FnRegistration, "PutItem", entry, true},
		{"registration counts it", routes.FnRegistration, "UpdateItem", counts, true},
		{"registration cannot switch an entry", routes.FnRegistration, "UpdateItem", entry, false},
		{"a move switches the entry", routes.FnOnboarding, "UpdateItem", entry, true},
		{"and both cells' counts", routes.FnOnboarding, "UpdateItem", counts, true},
		{"Root's function has no directory access", routes.FnTenants, "GetItem", entry, false},
		{"tenant data functions have none", routes.FnIssues, "GetItem", entry, false},
		{"no function scans the directory", routes.FnOnboarding, "Scan", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, access.AllowsDirectory(c.fn, c.action, c.pk))
		})
	}
}

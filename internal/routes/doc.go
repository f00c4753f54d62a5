package routes

import (
	"fmt"
	"strings"

	"github.com/issuetracker/issuetracker/internal/roles"
)

// Callers are the kinds of caller the permission matrix has a column for,
// in column order: anonymous ("" role), the three tenant roles, root.
var Callers = []roles.Role{"", roles.User, roles.Admin, roles.SuperAdmin, roles.Root}

// CallerName is the column heading of a caller.
func CallerName(r roles.Role) string {
	switch r {
	case "":
		return "Anonymous"
	case roles.User:
		return "User"
	case roles.Admin:
		return "Admin"
	case roles.SuperAdmin:
		return "Super Admin"
	case roles.Root:
		return "Root"
	}
	return string(r)
}

// AllowsCaller is Allows extended to the anonymous caller ("" role), who may
// call public routes only.
func (a Access) AllowsCaller(r roles.Role) bool {
	if r == "" {
		return a.Kind == Public
	}
	return a.Allows(r)
}

// PermissionsMarkdown renders the permission matrix (docs/permissions.md)
// from the route table: the one source of who may call what.
func PermissionsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Permission matrix\n\n")
	b.WriteString("<!-- Generated from internal/routes by `go test ./internal/routes -update`. Do not edit. -->\n\n")
	b.WriteString("Who may call each route of the API. The table is generated from the route table\n")
	b.WriteString("(`internal/routes`), which is enforced in one place (`internal/app` guard) and tested\n")
	b.WriteString("for every route × every caller (`internal/app/matrix_test.go`). Tenant roles are ordered\n")
	b.WriteString("User < Admin < Super Admin; Root is the provider and holds no tenant role. A refused\n")
	b.WriteString("caller gets 403 `role_forbidden` (401 `unauthorized` without a valid token). An object of\n")
	b.WriteString("another tenant is always 404, whatever the role.\n\n")
	b.WriteString("| Method | Path | Function |")
	for _, c := range Callers {
		b.WriteString(" " + CallerName(c) + " |")
	}
	b.WriteString(" Operation | Summary |\n|---|---|---|")
	for range Callers {
		b.WriteString(":-:|")
	}
	b.WriteString("---|---|\n")
	for _, r := range table {
		fmt.Fprintf(&b, "| %s | `%s` | %s |", r.Method, r.Path, r.Function)
		for _, c := range Callers {
			mark := "—"
			if r.Access.AllowsCaller(c) {
				mark = "✅"
			}
			b.WriteString(" " + mark + " |")
		}
		fmt.Fprintf(&b, " %s | %s |\n", r.OperationID, Summary(r.OperationID))
	}
	return b.String()
}

// Package trackerwire wires the issue tracker's own domains (issues,
// projects, custom fields, cycles, saved views, imports) on DynamoDB: the
// issues function (Issues), and the issue service other wirings build on
// (comments, attachments).
package trackerwire

import (
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/customfield/customfieldapi"
	"github.com/issuetracker/issuetracker/internal/customfield/customfielddb"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/cycle/cycleapi"
	"github.com/issuetracker/issuetracker/internal/cycle/cycledb"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/imports/importsapi"
	"github.com/issuetracker/issuetracker/internal/imports/importsdb"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectapi"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/issuetracker/issuetracker/internal/view/viewapi"
	"github.com/issuetracker/issuetracker/internal/view/viewdb"
)

// Issues is the issues function: issues, labels, search, projects, custom
// fields, cycles, saved views and imports, on the tenant's table only.
var Issues = core.Wiring{Fn: routes.FnIssues, Operations: Operations}

// Operations are the issues function's operations.
func Operations(d core.Deps) httpapi.Operations {
	all := httpapi.Operations{}
	for _, ops := range []httpapi.Operations{
		IssueOperations(d),
		viewapi.Operations(viewapi.Deps{Service: viewService(d)}),
		importsapi.Operations(importsapi.Deps{Service: &imports.Service{Store: &importsdb.Store{DB: d.DB}, Issues: issueService(d), Now: d.Now}}),
		projectapi.Operations(projectapi.Deps{Service: ProjectService(d)}),
		customfieldapi.Operations(customfieldapi.Deps{Service: newFieldService(d.DB, d.Cursors, d.Now)}),
		cycleapi.Operations(cycleapi.Deps{Service: newCycleService(d.DB, d.Cursors, d.Now), Issues: issueService(d)}),
	} {
		maps.Copy(all, ops)
	}
	return all
}

// IssueOperations are the issue domain's own operations (issueapi) that
// the issues function serves; CommentOperations the comments function's.
func IssueOperations(d core.Deps) httpapi.Operations {
	return issueapi.IssueOperations(issueapi.Deps{Service: issueService(d)})
}

// CommentOperations are the issue domain's comments (issueapi), served by
// the comments function (notifywire.Comments).
func CommentOperations(d core.Deps) httpapi.Operations {
	return issueapi.CommentOperations(issueapi.Deps{Service: issueService(d)})
}

// issueService is the issue domain on d's tables.
func issueService(d core.Deps) *issue.Service { return IssueService(d.DB, d.Cursors, d.Now) }

// IssueService is the issue domain with its projects on db.
func IssueService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *issue.Service {
	ps := &project.Service{Store: &projectdb.Store{DB: db}, Users: &issuedb.Directory{DB: db}, Now: now}
	projects := &project.Issues{Service: ps}
	is := &issue.Service{Store: &issuedb.Store{DB: db, Cursors: cursors}, Directory: &issuedb.Directory{DB: db},
		Projects: projects, Workflows: projects,
		Cycles: &cycle.Issues{Service: &cycle.Service{Store: &cycledb.Store{DB: db, Cursors: cursors}, Scope: &issuedb.Store{DB: db, Cursors: cursors},
			Projects: projects, Directory: &issuedb.Directory{DB: db}, Now: now}},
		FieldDefs: &customfield.Issues{Service: &customfield.Service{Store: &customfielddb.Store{DB: db}, Projects: projects, Now: now}},
		Cursors:   cursors, Now: now}
	ps.Tracker = is // status deletions find and remap issues
	return is
}

// newFieldService is the projects' custom fields on db.
func newFieldService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *customfield.Service {
	return IssueService(db, cursors, now).FieldDefs.(*customfield.Issues).Service
}

// newCycleService is the cycle domain on db, with the issues' scope records.
func newCycleService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *cycle.Service {
	return IssueService(db, cursors, now).Cycles.(*cycle.Issues).Service
}

// ProjectService is the project domain on d's tables, with the issues its
// workflow edits check and remap, and the status-deletion heartbeats in
// the control table (with the function's own credentials).
func ProjectService(d core.Deps) *project.Service {
	ps := IssueService(d.DB, d.Cursors, d.Now).Projects.(*project.Issues).Service
	ps.Beats = Heartbeats(d)
	return ps
}

// Heartbeats are the status-deletion jobs' heartbeats on d's control table.
func Heartbeats(d core.Deps) *projectdb.Heartbeats {
	return &projectdb.Heartbeats{DB: d.Control(), Table: d.Names.Control()}
}

// viewService is the saved views on d's tables, over the issue list.
func viewService(d core.Deps) *view.Service {
	return &view.Service{Store: &viewdb.Store{DB: d.DB}, Tracker: issueService(d), Parse: issueapi.ParseListQuery,
		Params: issueapi.FilterParams(), Now: d.Now}
}

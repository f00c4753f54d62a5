// Package issueapi serves the issue domain over HTTP: issues, workflow
// transitions, history, labels, comments and search. Handlers decode the
// request, call issue.Service and encode its answer. Operations are keyed
// by the route table's OperationID (internal/routes) and mounted by
// internal/app, whose route guard makes every POST idempotent with an
// Idempotency-Key.
package issueapi

import (
	"maps"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// Deps of the issue operations.
type Deps struct {
	Service *issue.Service
}

// Operations of the issues and comments functions (the in-process
// platform serves both).
func Operations(d Deps) httpapi.Operations {
	all := IssueOperations(d)
	maps.Copy(all, CommentOperations(d))
	return all
}

// IssueOperations are the issues function's. Each function builds only
// its own: a function links every operation its map names (issue 19).
func IssueOperations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"createIssue":            d.createIssue,
		"bulkEditIssues":         d.bulkEditIssues,
		"listIssues":             d.listIssues,
		"getIssue":               d.getIssue,
		"updateIssue":            d.updateIssue,
		"deleteIssue":            d.deleteIssue,
		"transitionIssue":        d.transitionIssue,
		"moveIssue":              d.moveIssue, // move.go
		"listIssueStatusHistory": listUnderIssue(d.Service.History),
		"listIssueActivity":      listUnderIssue(d.Service.Activity),
		"getWorkflow":            d.getWorkflow,
		"listRelations":          d.listRelations,
		"createRelation":         d.createRelation,
		"deleteRelation":         d.deleteRelation,
		"searchIssues":           d.searchIssues,
		"listLabels":             d.listLabels,
		"createLabel":            d.createLabel,
		"updateLabel":            d.updateLabel,
		"deleteLabel":            d.deleteLabel,
	}
}

// CommentOperations are the comments function's comments.
func CommentOperations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listComments":  listUnderIssue(d.Service.Comments),
		"createComment": d.createComment,
		"updateComment": d.updateComment,
		"deleteComment": d.deleteComment,
	}
}

// etag is the strong validator of an issue version.
var etag = httpapi.ETag

// ifMatch is httpapi.IfMatch.
var ifMatch = httpapi.IfMatch

// WriteIssue writes an issue answer: its version as the ETag, its
// Location when created, the issue as JSON (httpapi.WriteJSON). The load
// tool's floor (loadtest.Floor) answers its reads with it too.
func WriteIssue(w http.ResponseWriter, status int, i issue.Issue) error {
	w.Header().Set("ETag", etag(i.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/issues/"+i.ID)
	}
	return httpapi.WriteJSON(w, status, i)
}

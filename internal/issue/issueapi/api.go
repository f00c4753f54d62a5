// Package issueapi serves the issue domain over HTTP: issues, workflow
// transitions, history, labels, comments and search. Operations are keyed
// by the route table's OperationID (internal/routes) and mounted by
// internal/app, whose route guard makes every POST idempotent with an
// Idempotency-Key.
package issueapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/oklog/ulid/v2"
)

// Deps of the issue operations.
type Deps struct {
	Store     issuedb.Store
	Directory issue.Directory
	Now       func() time.Time
}

// NewDeps wires the DynamoDB implementations; cursors signs list cursors.
func NewDeps(db *dynamodb.Client, now func() time.Time, cursors list.Codec) Deps {
	if now == nil {
		now = time.Now
	}
	return Deps{Store: issuedb.Store{DB: db, Cursors: cursors}, Directory: issuedb.Directory{DB: db}, Now: now}
}

// Operations of the issues and comments functions.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"createIssue":            d.createIssue,
		"listIssues":             d.listIssues,
		"getIssue":               d.getIssue,
		"updateIssue":            d.updateIssue,
		"deleteIssue":            d.deleteIssue,
		"transitionIssue":        d.transitionIssue,
		"listIssueStatusHistory": listUnderIssue(d, d.Store.History),
		"listIssueActivity":      listUnderIssue(d, d.Store.Activity),
		"getWorkflow":            d.getWorkflow,
		"searchIssues":           d.searchIssues,
		"listLabels":             d.listLabels,
		"createLabel":            d.createLabel,
		"updateLabel":            d.updateLabel,
		"deleteLabel":            d.deleteLabel,
		"listComments":           listUnderIssue(d, d.Store.Comments),
		"createComment":          d.createComment,
		"updateComment":          d.updateComment,
		"deleteComment":          d.deleteComment,
	}
}

func (d Deps) now() time.Time { return d.Now().UTC() }

func newID() string { return ulid.Make().String() }

// load finds an issue by id or by human key ("ACME-42"); another tenant's
// key or id is simply not found.
func (d Deps) load(ctx context.Context, p tenancy.Principal, ref string) (issue.Issue, error) {
	id := ref
	if n, isKey, ours := issue.ParseKey(p.TenantID, ref); isKey {
		if !ours {
			return issue.Issue{}, errs.NotFound("issue")
		}
		var err error
		if id, err = d.Store.IDByNumber(ctx, p.Table, p.TenantID, n); err != nil {
			return issue.Issue{}, err
		}
	}
	return d.Store.Get(ctx, p.Table, p.TenantID, id)
}

// etag is the strong validator of an issue version.
func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// ifMatch reads If-Match: 0 when absent or "*", else the version it names.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v <= 0 || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) {
		return 0, errs.Invalid("invalid_if_match", `If-Match must be an ETag of this API, such as "3"`,
			errs.FieldError{Field: "If-Match", Reason: "malformed"})
	}
	return v, nil
}

func stale(want, have int64) error {
	return errs.E(errs.KindPreconditionFailed, "version_mismatch",
		"If-Match names version %d but the issue is at version %d", want, have)
}

func writeIssue(w http.ResponseWriter, status int, i issue.Issue) error {
	w.Header().Set("ETag", etag(i.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/issues/"+i.ID)
	}
	return httpapi.WriteJSON(w, status, i)
}

// pageArgs reads limit and cursor of a child list (list.Params).
func pageArgs(r *http.Request, allowed ...string) (list.Request, error) {
	return list.Params(r.URL.Query(), allowed...)
}

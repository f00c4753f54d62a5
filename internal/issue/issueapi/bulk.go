package issueapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// BulkResult answers a bulk edit: one result per issue named, in order.
type BulkResult struct {
	Results   []BulkItem `json:"results"`
	Succeeded int        `json:"succeeded"`
	Failed    int        `json:"failed"`
}

// BulkItem is one issue's outcome: status 200 (changed, or already as
// asked), 404 (no such issue in the workspace), 409 (its version is not the
// one named, or it kept changing) or 422 (the change does not apply to it,
// such as a transition its status does not allow). Failures carry the
// problem's code, detail and fields.
type BulkItem struct {
	Ref     string            `json:"ref"`
	Status  int               `json:"status"`
	ID      string            `json:"id,omitempty"`
	Key     string            `json:"key,omitempty"`
	Version int64             `json:"version,omitempty"`
	Code    string            `json:"code,omitempty"`
	Detail  string            `json:"detail,omitempty"`
	Errors  []errs.FieldError `json:"errors,omitempty"`
}

// bulkStatus is the per-issue status of a failure kind.
var bulkStatus = map[errs.Kind]int{
	errs.KindNotFound:           http.StatusNotFound,
	errs.KindPreconditionFailed: http.StatusConflict,
	errs.KindConflict:           http.StatusConflict,
	errs.KindInvalid:            http.StatusUnprocessableEntity,
	errs.KindUnprocessable:      http.StatusUnprocessableEntity,
}

const maxBulkBody = 64 << 10

func (d Deps) bulkEditIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in issue.BulkEdit
	if err := httpapi.DecodeJSON(r, &in, maxBulkBody); err != nil {
		return err
	}
	outs, err := d.Service.Bulk(r.Context(), p, in)
	if err != nil {
		return err
	}
	res := BulkResult{Results: make([]BulkItem, len(outs))}
	for n, o := range outs {
		it := BulkItem{Ref: o.Ref.ID, Status: http.StatusOK}
		if o.Err == nil {
			it.ID, it.Key, it.Version = o.Issue.ID, o.Issue.Key, o.Issue.Version
			res.Succeeded++
		} else {
			e := errs.As(o.Err)
			it.Status, it.Code, it.Detail, it.Errors = bulkStatus[e.Kind], e.Code, e.Message, e.Fields
			res.Failed++
		}
		res.Results[n] = it
	}
	return httpapi.WriteJSON(w, http.StatusOK, res)
}

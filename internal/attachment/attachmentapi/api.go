// Package attachmentapi serves attachments over HTTP: upload requests,
// confirmations, lists, downloads and deletes under
// /v1/issues/{issueId}/attachments, and the tenant's storage use. The
// operations are keyed by the route table's OperationID and mounted by
// internal/app.
package attachmentapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Operations of the attachments function. With no service (no object
// storage configured) every operation answers 503 attachments_unavailable.
func Operations(s *attachment.Service) httpapi.Operations {
	h := handlers{s: s}
	return httpapi.Operations{
		"createAttachmentUpload": h.with(h.createUpload),
		"confirmAttachment":      h.with(h.confirm),
		"listAttachments":        h.with(h.list),
		"getAttachment":          h.with(h.get),
		"downloadAttachment":     h.with(h.download),
		"deleteAttachment":       h.with(h.delete),
		"getStorageUsage":        h.with(h.usage),
	}
}

type handlers struct{ s *attachment.Service }

func (h handlers) with(f func(http.ResponseWriter, *http.Request, tenancy.Principal) error) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.s == nil {
			return errs.E(errs.KindInternal, "attachments_unavailable", "attachments are not configured on this platform")
		}
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		return f(w, r, p)
	}
}

// maxUploadRequest bounds the JSON of an upload request.
const maxUploadRequest = 4 << 10

func (h handlers) createUpload(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	var in attachment.UploadRequest
	if err := httpapi.DecodeJSON(r, &in, maxUploadRequest); err != nil {
		return err
	}
	up, err := h.s.RequestUpload(r.Context(), p, r.PathValue("issueId"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/issues/"+up.Attachment.IssueID+"/attachments/"+up.Attachment.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, up)
}

func (h handlers) confirm(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	a, err := h.s.Confirm(r.Context(), p, r.PathValue("issueId"), r.PathValue("attachmentId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, a)
}

func (h handlers) list(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := h.s.List(r.Context(), p, r.PathValue("issueId"), req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (h handlers) get(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	a, err := h.s.Get(r.Context(), p, r.PathValue("issueId"), r.PathValue("attachmentId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, a)
}

func (h handlers) download(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	d, err := h.s.Download(r.Context(), p, r.PathValue("issueId"), r.PathValue("attachmentId"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(w, http.StatusOK, d)
}

func (h handlers) delete(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	if err := h.s.Delete(r.Context(), p, r.PathValue("issueId"), r.PathValue("attachmentId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h handlers) usage(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	u, err := h.s.Usage(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, u)
}

// Issues resolves issue references with the issue service: a human key
// (WEB-42, also under a former project key) through its alias, then the
// issue itself must exist.
type Issues struct{ Service *issue.Service }

// Resolve implements attachment.Issues.
func (i Issues) Resolve(ctx context.Context, p tenancy.Principal, ref string) (string, error) {
	it, err := i.Service.Load(ctx, p, ref)
	if err != nil {
		return "", err
	}
	return it.ID, nil
}

package projectapi

import (
	"net/http"
	"strconv"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// The workflow of a project: read by everyone, changed by Admins.

// maxWorkflowBody bounds a workflow document (50 statuses with names,
// colours and transitions).
const maxWorkflowBody = 32 << 10

// DeletionInput deletes a status of a project's workflow, moving its
// issues to move_to (required while issues are in it).
type DeletionInput struct {
	Status issue.Status `json:"status"`
	MoveTo issue.Status `json:"move_to,omitempty"`
}

func (d Deps) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	wf, err := d.Service.Workflow(r.Context(), p, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	return writeWorkflow(w, wf)
}

func (d Deps) putWorkflow(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in issue.Workflow
	if err := httpapi.DecodeJSON(r, &in, maxWorkflowBody); err != nil {
		return err
	}
	wf, err := d.Service.SetWorkflow(r.Context(), p, r.PathValue("projectId"), want, in)
	if err != nil {
		return err
	}
	return writeWorkflow(w, wf)
}

func (d Deps) deleteStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in DeletionInput
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	job, err := d.Service.DeleteStatus(r.Context(), p, r.PathValue("projectId"), in.Status, in.MoveTo)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, job)
}

func (d Deps) getDeletion(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	job, err := d.Service.DeletionOf(r.Context(), p, r.PathValue("projectId"), issue.Status(r.PathValue("statusId")))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, job)
}

func writeWorkflow(w http.ResponseWriter, wf issue.Workflow) error {
	w.Header().Set("ETag", `"`+strconv.FormatInt(wf.Version, 10)+`"`)
	return httpapi.WriteJSON(w, http.StatusOK, wf)
}

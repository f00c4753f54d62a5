package projectapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// The workflow of a project: read by everyone, changed by Admins.

// maxWorkflowBody bounds a workflow document (50 statuses with names,
// colours and transitions).
const maxWorkflowBody = 32 << 10

// WorkflowInput is a project's new workflow: its statuses in board order
// (the order is the position), each with where it may go.
type WorkflowInput struct {
	Statuses []StatusInput `json:"statuses"`
}

// StatusInput is one status of a WorkflowInput; a missing colour comes
// from the category.
type StatusInput struct {
	Status   issue.Status   `json:"status"`
	Name     string         `json:"name"`
	Category issue.Category `json:"category"`
	Color    string         `json:"color,omitempty"`
	Next     []issue.Status `json:"next,omitempty"`
}

func (in WorkflowInput) workflow() issue.Workflow {
	var w issue.Workflow
	for _, s := range in.Statuses {
		w.Statuses = append(w.Statuses, issue.WorkflowStatus{Status: s.Status, Name: s.Name, Category: s.Category, Color: s.Color, Next: s.Next})
	}
	return w
}

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
	var in WorkflowInput
	if err := httpapi.DecodeJSON(r, &in, maxWorkflowBody); err != nil {
		return err
	}
	wf, err := d.Service.SetWorkflow(r.Context(), p, r.PathValue("projectId"), want, in.workflow())
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
	w.Header().Set("ETag", httpapi.ETag(wf.Version))
	return httpapi.WriteJSON(w, http.StatusOK, wf)
}

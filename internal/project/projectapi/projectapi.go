// Package projectapi serves the project domain over HTTP: the tenant's
// projects, read by everyone and managed by Admins (the route table).
package projectapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/project"
)

// Deps of the project operations.
type Deps struct {
	Service *project.Service
}

// Operations of the projects (served by the issues function).
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listProjects":  d.list,
		"createProject": d.create,
		"getProject":    d.get,
		"updateProject": d.update,
		// workflow.go
		"getProjectWorkflow":        d.getWorkflow,
		"updateProjectWorkflow":     d.putWorkflow,
		"deleteWorkflowStatus":      d.deleteStatus,
		"getWorkflowStatusDeletion": d.getDeletion,
	}
}

const maxBody = project.MaxDescription + 2<<10

func (d Deps) list(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	ps, err := d.Service.List(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(ps, ""))
}

func (d Deps) create(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in project.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	pr, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/projects/"+pr.ID)
	return write(w, http.StatusCreated, pr)
}

func (d Deps) get(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	pr, err := d.Service.Get(r.Context(), p, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, pr)
}

func (d Deps) update(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in project.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	pr, err := d.Service.Update(r.Context(), p, r.PathValue("projectId"), want, in)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, pr)
}

func write(w http.ResponseWriter, status int, pr project.Project) error {
	w.Header().Set("ETag", httpapi.ETag(pr.Version))
	return httpapi.WriteJSON(w, status, pr)
}

// ifMatch is httpapi.IfMatch.
var ifMatch = httpapi.IfMatch

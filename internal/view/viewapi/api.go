// Package viewapi serves saved views over HTTP: their CRUD and the issues
// a view selects. Operations are keyed by the route table's OperationID.
package viewapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/view"
)

// Deps of the view operations.
type Deps struct {
	Service *view.Service
}

// Operations of the saved views (served by the issues function).
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listViews":      d.listViews,
		"createView":     d.createView,
		"getView":        d.getView,
		"updateView":     d.updateView,
		"deleteView":     d.deleteView,
		"listViewIssues": d.listViewIssues,
	}
}

const maxViewBody = 16 << 10

func (d Deps) listViews(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if _, err := list.Params(r.URL.Query()); err != nil {
		return err
	}
	vs, err := d.Service.List(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(vs, ""))
}

func (d Deps) createView(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in view.Input
	if err := httpapi.DecodeJSON(r, &in, maxViewBody); err != nil {
		return err
	}
	v, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/views/"+v.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, v)
}

func (d Deps) getView(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	v, err := d.Service.Get(r.Context(), p, r.PathValue("viewId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (d Deps) updateView(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in view.Input
	if err := httpapi.DecodeJSON(r, &in, maxViewBody); err != nil {
		return err
	}
	v, err := d.Service.Update(r.Context(), p, r.PathValue("viewId"), in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (d Deps) deleteView(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.Service.Delete(r.Context(), p, r.PathValue("viewId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (d Deps) listViewIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.Issues(r.Context(), p, r.PathValue("viewId"), req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

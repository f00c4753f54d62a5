// Package customfieldapi serves a project's custom fields over HTTP.
package customfieldapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
)

// Deps of the custom field operations.
type Deps struct{ Service *customfield.Service }

// Operations of the custom fields (served by the issues function).
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listFields":  d.list,
		"createField": d.create,
		"updateField": d.update,
		"deleteField": d.delete,
	}
}

const maxBody = 8 << 10

func (d Deps) list(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	fs, err := d.Service.List(r.Context(), p, r.PathValue("projectId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(fs, ""))
}

func (d Deps) create(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in customfield.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	f, err := d.Service.Create(r.Context(), p, r.PathValue("projectId"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/projects/"+f.ProjectID+"/fields/"+f.ID)
	w.Header().Set("ETag", etag(f.Version))
	return httpapi.WriteJSON(w, http.StatusCreated, f)
}

func (d Deps) update(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	var in customfield.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	f, err := d.Service.Update(r.Context(), p, r.PathValue("projectId"), r.PathValue("fieldId"), want, in)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(f.Version))
	return httpapi.WriteJSON(w, http.StatusOK, f)
}

func (d Deps) delete(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	if err := d.Service.Delete(r.Context(), p, r.PathValue("projectId"), r.PathValue("fieldId"), want); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// etag is the strong validator of a field's version (If-Match takes it).
var etag = httpapi.ETag

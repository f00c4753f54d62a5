package issueapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
)

const maxLabelBody = 4 << 10

func (d Deps) listLabels(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	ls, err := d.Service.Labels(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(ls, ""))
}

func (d Deps) createLabel(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in issue.LabelInput
	if err := httpapi.DecodeJSON(r, &in, maxLabelBody); err != nil {
		return err
	}
	l, err := d.Service.CreateLabel(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/labels/"+l.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, l)
}

func (d Deps) updateLabel(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in issue.LabelInput
	if err := httpapi.DecodeJSON(r, &in, maxLabelBody); err != nil {
		return err
	}
	l, err := d.Service.UpdateLabel(r.Context(), p, r.PathValue("labelId"), in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, l)
}

func (d Deps) deleteLabel(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.Service.DeleteLabel(r.Context(), p, r.PathValue("labelId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

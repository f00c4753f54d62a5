package issueapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/text"
)

// LabelInput is the body of POST /v1/labels and (merge patch) PATCH /v1/labels/{labelId}.
type LabelInput struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

var colorRE = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func (in LabelInput) apply(l *issue.Label) error {
	if in.Name != nil {
		n := *in.Name
		// NFC before the uniqueness check: names that look the same are the same.
		if err := text.Clean("name", &n, text.Line); err != nil {
			return err
		}
		if c := utf8.RuneCountInString(n); c == 0 || c > issue.MaxLabelName {
			return errs.Field("name", fmt.Sprintf("must be 1 to %d characters", issue.MaxLabelName))
		}
		l.Name = n
	}
	if in.Color != nil {
		c := strings.ToLower(*in.Color)
		if !colorRE.MatchString(c) {
			return errs.Field("color", "must be a hex colour #rrggbb")
		}
		l.Color = c
	}
	return nil
}

func (d Deps) listLabels(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	ls, err := d.Store.Labels(r.Context(), p.Table, p.TenantID)
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
	var in LabelInput
	if err := httpapi.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	if in.Name == nil {
		return errs.Field("name", "is required")
	}
	now := d.now()
	l := issue.Label{ID: newID(), Color: "#888888", CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&l); err != nil {
		return err
	}
	if n, err := d.Store.CountLabels(r.Context(), p.Table, p.TenantID); err != nil {
		return err
	} else if n >= issuedb.MaxCatalog {
		return errs.Conflict("label_catalog_full", fmt.Sprintf("a workspace has at most %d labels", issuedb.MaxCatalog))
	}
	if err := d.Store.CreateLabel(r.Context(), p.Table, p.TenantID, l); err != nil {
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
	var in LabelInput
	if err := httpapi.DecodeJSON(r, &in, 4<<10); err != nil {
		return err
	}
	old, err := d.Store.Label(r.Context(), p.Table, p.TenantID, r.PathValue("labelId"))
	if err != nil {
		return err
	}
	l := old
	if err := in.apply(&l); err != nil {
		return err
	}
	if l == old {
		return httpapi.WriteJSON(w, http.StatusOK, l)
	}
	l.UpdatedAt = d.now()
	if err := d.Store.UpdateLabel(r.Context(), p.Table, p.TenantID, old, l); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, l)
}

func (d Deps) deleteLabel(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	l, err := d.Store.Label(r.Context(), p.Table, p.TenantID, r.PathValue("labelId"))
	if err != nil {
		return err
	}
	if err := d.Store.DeleteLabel(r.Context(), p.Table, p.TenantID, l); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

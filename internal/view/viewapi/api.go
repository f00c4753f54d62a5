// Package viewapi serves saved views over HTTP: their CRUD and the issues
// a view selects. Operations are keyed by the route table's OperationID.
package viewapi

import (
	"encoding/csv"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/text"
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
		"exportView":     d.exportView,
	}
}

const maxViewBody = 16 << 10

func (d Deps) listViews(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
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

// exportView writes up to view.MaxExport issues of the view as CSV (the
// view's columns, a header row; the next slice's cursor in the
// Next-Cursor header) or JSON ({"view", "columns", "items", "next_cursor"}).
func (d Deps) exportView(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format != "csv" && format != "json" && format != "" {
		return errs.Field("format", "must be csv or json")
	}
	cursor, err := list.Cursor(q)
	if err != nil {
		return err
	}
	ex, err := d.Service.Export(r.Context(), p, r.PathValue("viewId"), cursor)
	if err != nil {
		return err
	}
	if format == "json" {
		return httpapi.WriteJSON(w, http.StatusOK, ExportJSON{View: ex.View, Columns: ex.Columns, Items: ex.Issues, NextCursor: ex.NextCursor})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="view-`+ex.View.ID+`.csv"`)
	if ex.NextCursor != "" {
		w.Header().Set("Next-Cursor", ex.NextCursor)
	}
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(text.SpreadsheetSafeRow(ex.Columns))
	for _, row := range ex.Rows {
		_ = cw.Write(text.SpreadsheetSafeRow(row))
	}
	cw.Flush()
	return cw.Error()
}

// ExportJSON is the JSON export of a view.
type ExportJSON struct {
	View       view.View     `json:"view"`
	Columns    []string      `json:"columns"`
	Items      []issue.Issue `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

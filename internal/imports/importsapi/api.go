// Package importsapi serves CSV imports over HTTP: declare a file, send its
// parts, preview (dry run), run in slices until done. Operations are keyed
// by the route table's OperationID.
package importsapi

import (
	"net/http"
	"strconv"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/imports"
)

// Deps of the import operations.
type Deps struct {
	Service *imports.Service
}

// Operations of the imports (served by the issues function).
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"createImport":  d.createImport,
		"getImport":     d.getImport,
		"putImportPart": d.putImportPart,
		"previewImport": d.previewImport,
		"runImport":     d.runImport,
	}
}

func (d Deps) createImport(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in imports.NewJob
	if err := httpapi.DecodeJSON(r, &in, 2<<10); err != nil {
		return err
	}
	j, created, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/imports/"+j.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpapi.WriteJSON(w, status, j)
}

func (d Deps) getImport(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	j, err := d.Service.Get(r.Context(), p, r.PathValue("importId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, j)
}

func (d Deps) putImportPart(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	// One spelling per part: 00 or +0 was part 0 too (written) until audit11.
	n, err := strconv.Atoi(r.PathValue("part"))
	if err != nil || strconv.Itoa(n) != r.PathValue("part") {
		return errs.Field("part", "must be a part number")
	}
	var in imports.Part
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if err := d.Service.PutPart(r.Context(), p, r.PathValue("importId"), n, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (d Deps) previewImport(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	pv, err := d.Service.Preview(r.Context(), p, r.PathValue("importId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pv)
}

func (d Deps) runImport(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	j, err := d.Service.Run(r.Context(), p, r.PathValue("importId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, j)
}

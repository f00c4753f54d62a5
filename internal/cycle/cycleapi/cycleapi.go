// Package cycleapi serves the cycle domain over HTTP: a project's or a
// team's cycles, their issues, their scope report and velocity.
package cycleapi

import (
	"cmp"
	"net/http"
	"strconv"
	"sync"

	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
)

// Deps of the cycle operations.
type Deps struct {
	Service *cycle.Service
	// Issues lists a cycle's issues (the issue list's gsi9 plan).
	Issues *issue.Service
}

// Operations of the cycles (served by the issues function).
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listCycles":      d.list,
		"createCycle":     d.create,
		"getCycle":        d.get,
		"updateCycle":     d.update,
		"deleteCycle":     d.delete,
		"listCycleIssues": d.issues,
		"getCycleReport":  d.report,
		"getVelocity":     d.velocity,
	}
}

const maxBody = 4 << 10

func owner(r *http.Request) cycle.Owner {
	q := r.URL.Query()
	return cycle.Owner{ProjectID: q.Get("project"), TeamID: q.Get("team")}
}

func (d Deps) list(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.List(r.Context(), p, owner(r), req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) create(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in cycle.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	c, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/cycles/"+c.ID)
	return write(w, http.StatusCreated, c)
}

func (d Deps) get(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	c, err := d.Service.Get(r.Context(), p, r.PathValue("cycleId"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, c)
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
	var in cycle.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	c, err := d.Service.Update(r.Context(), p, r.PathValue("cycleId"), want, in)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, c)
}

// delete removes a cycle no issue is in (409 cycle_in_use otherwise).
func (d Deps) delete(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := d.Service.Delete(r.Context(), p, r.PathValue("cycleId"), want); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// issues is one page of the cycle's issues, most recently updated first:
// the cycle's GetItem (another tenant's cycle is a 404) and the page's
// gsi9 Query run in parallel, one round trip of latency.
func (d Deps) issues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("cycleId")
	if !issue.ValidID(id) {
		return errs.NotFound("cycle")
	}
	// The cycle and its issues at once; a cycle not found is the answer
	// (404), whatever the list said of its filter (an unknown cycle is a
	// 400 there: issue.Service.List).
	var pg list.Page[issue.Issue]
	var getErr, listErr error
	var wg sync.WaitGroup
	wg.Go(func() { _, getErr = d.Service.Get(r.Context(), p, id) })
	wg.Go(func() {
		pg, listErr = d.Issues.List(r.Context(), p, issue.ListQuery{Sort: issue.SortUpdated, Desc: true,
			Filter: issue.Filter{Cycles: []string{id}}, Limit: req.Limit, Cursor: req.Cursor})
	})
	wg.Wait()
	if err := cmp.Or(getErr, listErr); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) report(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	rep, err := d.Service.Report(r.Context(), p, r.PathValue("cycleId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rep)
}

func (d Deps) velocity(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	n := 3
	if v := q.Get("cycles"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || strconv.Itoa(n) != v {
			return errs.Invalid("invalid_parameter", "cycles must be an integer 1-12",
				errs.FieldError{Field: "cycles", Reason: "must be an integer 1-12"})
		}
	}
	v, err := d.Service.Velocity(r.Context(), p, owner(r), n)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func write(w http.ResponseWriter, status int, c cycle.Cycle) error {
	w.Header().Set("ETag", httpapi.ETag(c.Version))
	return httpapi.WriteJSON(w, status, c)
}

// ifMatch is httpapi.IfMatch.
var ifMatch = httpapi.IfMatch

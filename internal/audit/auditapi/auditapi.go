// Package auditapi serves a workspace's own audit log to its people: Admins
// read it, Super Admins of tiers with audit export download it as CSV or
// JSON. The tenant is the caller's (the verified token), never a parameter.
package auditapi

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// ExportPage is how many records one export answer holds at most (one
// Query of under 1 MB); the Link header's next URL continues.
const ExportPage = 1000

// Deps of the audit operations; Log nil answers 503.
type Deps struct {
	Log audit.Log
}

// Operations of the workspace's audit log.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listAudit":   d.list,
		"exportAudit": d.export,
	}
}

func (d Deps) log() (audit.Log, error) {
	if d.Log == nil {
		return nil, errs.E(errs.KindUnavailable, "audit_unavailable", "the audit log is not configured in this deployment")
	}
	return d.Log, nil
}

// forTenant is a record as the workspace sees it: the provider's people
// are named, but not their addresses on the network.
func forTenant(r audit.Record) audit.Record {
	if r.Actor.Kind != audit.ActorTenant {
		r.Actor.SourceIP = ""
	}
	return r
}

func (d Deps) list(w http.ResponseWriter, r *http.Request) error {
	l, err := d.log()
	if err != nil {
		return err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := l.List(r.Context(), p.TenantID, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.Map(pg, forTenant))
}

func (d Deps) export(w http.ResponseWriter, r *http.Request) error {
	l, err := d.log()
	if err != nil {
		return err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if t, ok := tiers.Get(p.Tier); !ok || !t.Has(tiers.FeatureAuditExport) {
		return errs.Forbidden("feature_not_in_tier", fmt.Sprintf("audit export is not part of the %s tier", p.Tier))
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format != "csv" && format != "json" {
		return errs.Field("format", "must be csv or json")
	}
	cursor, err := list.Cursor(q)
	if err != nil {
		return err
	}
	pg, err := l.List(r.Context(), p.TenantID, list.Request{Limit: ExportPage, Cursor: cursor})
	if err != nil {
		return err
	}
	recs := list.Map(pg, forTenant).Items
	if pg.NextCursor != "" {
		next := url.Values{"format": {format}, "cursor": {pg.NextCursor}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	name := fmt.Sprintf("audit-%s-%s.%s", p.TenantID, time.Now().UTC().Format("20060102T150405Z"), format)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if format == "json" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return json.NewEncoder(w).Encode(recs)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	return writeCSV(w, recs)
}

// CSVHeader are the export's columns.
var CSVHeader = []string{"at", "action", "actor_kind", "actor_id", "actor_email", "source_ip", "detail"}

func writeCSV(w http.ResponseWriter, recs []audit.Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(text.SpreadsheetSafeRow(CSVHeader)); err != nil {
		return err
	}
	for _, rec := range recs {
		var detail []string
		for _, k := range slices.Sorted(maps.Keys(rec.Detail)) {
			detail = append(detail, k+"="+rec.Detail[k])
		}
		row := []string{rec.At.UTC().Format(time.RFC3339Nano), rec.Action, string(rec.Actor.Kind), rec.Actor.ID, rec.Actor.Email,
			rec.Actor.SourceIP, strings.Join(detail, "; ")}
		if err := cw.Write(text.SpreadsheetSafeRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

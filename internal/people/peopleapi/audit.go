package peopleapi

import (
	"context"
	"log/slog"
	"maps"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/httpapi"
)

// auditedOperations are the Super Admin's changes to who may do what: each
// success is recorded in the tenant's audit log (who, when, what, on whom),
// beside the lifecycle steps and Root's actions.
var auditedOperations = []string{
	"inviteUser", "changeUserRole", "disableUser", "enableUser", "removeUser",
	"putSecuritySettings", "grantSupportAccess", "revokeSupportAccess",
}

// withAudit wraps the audited operations of ops when d.Audit is set.
func (d Deps) withAudit(ops httpapi.Operations) httpapi.Operations {
	if d.Audit == nil {
		return ops
	}
	out := maps.Clone(ops)
	for _, id := range auditedOperations {
		if h, ok := ops[id]; ok {
			out[id] = d.audited(id, h)
		}
	}
	return out
}

// audited records a successful answer of h. The record is written after the
// change; a failure to write it is logged, not turned into a failed answer
// for a change that did happen.
func (d Deps) audited(action string, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		extra := map[string]string{}
		r = r.WithContext(context.WithValue(r.Context(), auditDetailKey{}, extra))
		if err := h(rec, r); err != nil {
			return err
		}
		if rec.status >= 300 {
			return nil
		}
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return nil
		}
		detail := map[string]string{"request_id": httpapi.RequestID(r)}
		if id := r.PathValue("userId"); id != "" {
			detail["user_id"] = id
		}
		maps.Copy(detail, extra)
		if err := d.Audit.Append(r.Context(), audit.Record{TenantID: p.TenantID, At: d.Now().UTC(),
			Actor:  audit.Actor{Kind: audit.ActorTenant, ID: p.UserID, Email: p.Email},
			Action: "people." + action, Detail: detail}); err != nil {
			slog.ErrorContext(r.Context(), "audit record lost", "action", action, "tenant", p.TenantID, "err", err)
		}
		return nil
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

type auditDetailKey struct{}

// addAuditDetail adds k=v to the audit record of the request of ctx, when
// its operation is audited (the support-access grant's expiry, and the
// one a renewal replaced).
func addAuditDetail(ctx context.Context, k, v string) {
	if m, ok := ctx.Value(auditDetailKey{}).(map[string]string); ok {
		m[k] = v
	}
}

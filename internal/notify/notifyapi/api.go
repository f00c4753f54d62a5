// Package notifyapi serves watchers, the inbox and notification
// preferences over HTTP, and the public one-click unsubscribe. The
// operations are keyed by the route table's OperationID and mounted by
// internal/app.
package notifyapi

import (
	"context"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Deps of the operations.
type Deps struct {
	Store  notifydb.Store
	Issues notify.Issues
	Tokens notify.Tokens
	// TenantTable finds the table of a tenant (unsubscribe carries no
	// token; the tenant comes from the signed link).
	TenantTable func(ctx context.Context, tenant string) (string, error)
	Now         func() time.Time
}

// Operations of the notifications function.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listWatchers":               d.with(d.listWatchers),
		"watchIssue":                 d.with(d.watch),
		"unwatchIssue":               d.with(d.unwatch),
		"listNotifications":          d.with(d.list),
		"getUnreadCount":             d.with(d.unread),
		"markNotificationRead":       d.with(d.markRead),
		"markAllNotificationsRead":   d.with(d.markAllRead),
		"getNotificationPreferences": d.with(d.getPrefs),
		"putNotificationPreferences": d.with(d.putPrefs),
		"unsubscribeNotifications":   d.unsubscribe,
	}
}

func (d Deps) with(f func(http.ResponseWriter, *http.Request, tenancy.Principal) error) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		return f(w, r, p)
	}
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// issue checks the issue exists in the caller's tenant (another tenant's
// id is simply not found) and returns it.
func (d Deps) issue(r *http.Request, p tenancy.Principal) (issue.Issue, error) {
	return d.Issues.Get(r.Context(), p.Scope(), r.PathValue("issueId"))
}

func (d Deps) listWatchers(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	is, err := d.issue(r, p)
	if err != nil {
		return err
	}
	pg, err := d.Store.WatchersPage(r.Context(), p.Scope(), is.ID, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) watch(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	return d.setWatch(w, r, p, notify.Watching)
}

func (d Deps) unwatch(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	return d.setWatch(w, r, p, notify.Unwatched)
}

func (d Deps) setWatch(w http.ResponseWriter, r *http.Request, p tenancy.Principal, state string) error {
	is, err := d.issue(r, p)
	if err != nil {
		return err
	}
	if err := d.Store.Watch(r.Context(), p.Scope(), is.ID, notify.Watcher{UserID: p.UserID, Reason: notify.ReasonManual,
		Since: d.now(), State: state}, true); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, notify.WatchState{IssueID: is.ID, Watching: state == notify.Watching})
}

func (d Deps) list(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	unread := false
	switch v := r.URL.Query().Get("unread"); v {
	case "", "false":
	case "true":
		unread = true
	default:
		return errs.Invalid("invalid_parameter", "unread must be true or false", errs.FieldError{Field: "unread", Reason: "must be true or false"})
	}
	pg, err := d.Store.Inbox(r.Context(), p.Scope(), p.UserID, unread, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) unread(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	n, err := d.Store.Unread(r.Context(), p.Scope(), p.UserID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, notify.UnreadCount{Unread: n})
}

func (d Deps) markRead(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	id := r.PathValue("notificationId")
	if !issue.ValidID(id) {
		return errs.NotFound("notification")
	}
	n, err := d.Store.MarkRead(r.Context(), p.Scope(), p.UserID, id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, n)
}

func (d Deps) markAllRead(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	if err := d.Store.MarkAllRead(r.Context(), p.Scope(), p.UserID, d.now()); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, notify.UnreadCount{Unread: 0})
}

func (d Deps) getPrefs(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	prefs, err := d.Store.Preferences(r.Context(), p.Scope(), p.UserID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, prefs)
}

// maxPrefsBody bounds the preferences JSON.
const maxPrefsBody = 2 << 10

func (d Deps) putPrefs(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	var in notify.Preferences
	if err := httpapi.DecodeJSON(r, &in, maxPrefsBody); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	cur, err := d.Store.Preferences(r.Context(), p.Scope(), p.UserID)
	if err != nil {
		return err
	}
	next := cur.Merge(in)
	if err := d.Store.PutPreferences(r.Context(), p.Scope(), p.UserID, next); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, next)
}

// unsubscribe is the one-click unsubscribe of RFC 8058 (a POST to the
// List-Unsubscribe URL): every kind's mail off for the token's person.
func (d Deps) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	tenant, user, err := d.Tokens.Check(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	ctx := tenancy.WithTenant(r.Context(), tenant)
	table, err := d.TenantTable(ctx, tenant)
	if err != nil {
		return err
	}
	if err := d.Store.PutPreferences(ctx, tenancy.Scope{Table: table, TenantID: tenant}, user, notify.AllOff()); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, notify.AllOff())
}

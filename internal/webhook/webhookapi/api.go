// Package webhookapi serves a tenant admin's webhook endpoints over HTTP:
// register, list, change, delete, rotate the secret, read the delivery
// log and redeliver. The operations are keyed by the route table's
// OperationID and mounted by internal/app.
package webhookapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// Deps of the operations.
type Deps struct {
	Service webhook.Service
}

// Endpoints is the answer of listWebhooks: every endpoint (at most
// webhook.MaxEndpoints, so one page).
type Endpoints struct {
	Items []webhook.Endpoint `json:"items"`
}

// Redelivery is the answer of a redelivery: the attempt is queued.
type Redelivery struct {
	DeliveryID string `json:"delivery_id"`
	Queued     bool   `json:"queued"`
}

// maxBody bounds an endpoint's JSON.
const maxBody = 8 << 10

// Operations of the webhooks routes.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"listWebhooks":             with(d.list),
		"getWebhook":               with(d.get),
		"createWebhook":            with(d.create),
		"updateWebhook":            with(d.update),
		"deleteWebhook":            with(d.delete),
		"rotateWebhookSecret":      with(d.rotate),
		"listWebhookDeliveries":    with(d.deliveries),
		"redeliverWebhookDelivery": with(d.redeliver),
	}
}

func with(f func(http.ResponseWriter, *http.Request, tenancy.Principal) error) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		return f(w, r, p)
	}
}

// id is the path's endpoint id; a malformed one is simply not found.
func id(r *http.Request) (string, error) {
	v := r.PathValue("webhookId")
	if len(v) != 26 {
		return "", errs.NotFound("webhook")
	}
	return v, nil
}

func (d Deps) list(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	eps, err := d.Service.List(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, Endpoints{Items: eps})
}

func (d Deps) get(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	e, err := d.Service.Get(r.Context(), p, wid)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, e)
}

func (d Deps) create(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	var in webhook.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	if in.Enabled != nil {
		return errs.Invalid("validation_failed", "enabled: a new endpoint is enabled", errs.FieldError{Field: "enabled", Reason: "is not accepted on create"})
	}
	reg, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, reg)
}

func (d Deps) update(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	var in webhook.Input
	if err := httpapi.DecodeJSON(r, &in, maxBody); err != nil {
		return err
	}
	e, err := d.Service.Update(r.Context(), p, wid, in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, e)
}

func (d Deps) delete(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	if err := d.Service.Delete(r.Context(), p, wid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (d Deps) rotate(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	reg, err := d.Service.RotateSecret(r.Context(), p, wid)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, reg)
}

func (d Deps) deliveries(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.Deliveries(r.Context(), p, wid, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) redeliver(w http.ResponseWriter, r *http.Request, p tenancy.Principal) error {
	wid, err := id(r)
	if err != nil {
		return err
	}
	del, err := d.Service.Redeliver(r.Context(), p, wid, r.PathValue("deliveryId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, Redelivery{DeliveryID: del.ID, Queued: true})
}

package stripebilling

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// APIVersion is the Stripe API version of every request and the release
// train ("basil") a webhook event's api_version must belong to: stripe-go
// v82's (stripe.APIVersion; TestTheClientIsStripeGos keeps them equal).
const APIVersion = "2025-08-27.basil"

// DefaultAPIBase is Stripe's API.
const DefaultAPIBase = "https://api.stripe.com"

// MaxNetworkRetries is how often a failed call is retried (stripe-go's
// MaxNetworkRetries, which the provider set to 2).
const MaxNetworkRetries = 2

// Error is an error answer of Stripe's API ({"error": {...}}).
type Error struct {
	HTTPStatus int    `json:"status"`
	Type       string `json:"type"`
	Code       string `json:"code,omitempty"`
	Param      string `json:"param,omitempty"`
	Message    string `json:"message,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
}

func (e *Error) Error() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// call makes one request of Stripe's API, as stripe-go's backend makes
// it: form-encoded parameters (in the query for GET, the body otherwise),
// the key as a bearer token, the pinned API version, an idempotency key on
// writes (the same for every retry), retried up to MaxNetworkRetries times
// on network errors, 409s, 5xx and when Stripe-Should-Retry says so
// (never when it says no), with stripe-go's backoff. The answer's JSON is
// decoded into out.
func (p *Provider) call(ctx context.Context, method, path string, form url.Values, out any) error {
	key, err := p.Key(ctx)
	if err != nil {
		return fmt.Errorf("stripe api key: %w", err)
	}
	base := p.APIBase
	if base == "" {
		base = DefaultAPIBase
	}
	u := strings.TrimRight(base, "/") + path
	var body string
	if len(form) > 0 {
		if method == http.MethodGet {
			u += "?" + form.Encode()
		} else {
			body = form.Encode()
		}
	}
	idem := ""
	if method != http.MethodGet {
		idem = newIdempotencyKey()
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Stripe-Version", APIVersion)
		req.Header.Set("User-Agent", "issuetracker-stripebilling")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		res, err := hc.Do(req)
		var raw []byte
		if err == nil {
			raw, err = io.ReadAll(io.LimitReader(res.Body, 8<<20))
			res.Body.Close()
		}
		switch {
		case err == nil && res.StatusCode < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("stripe %s %s: %w", method, path, err)
			}
			return nil
		case err != nil && ctx.Err() != nil:
			return err
		case attempt < MaxNetworkRetries && retriable(err, res):
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(retryDelay(attempt)):
			}
			continue
		case err != nil:
			return err
		}
		return apiError(res, raw)
	}
}

var defaultHTTPClient = &http.Client{Timeout: 10 * time.Second}

// retriable is stripe-go's rule (BackendImplementation.shouldRetry).
func retriable(err error, res *http.Response) bool {
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && strings.Contains(ue.Error(), "unsupported protocol scheme") {
			return false
		}
		return true
	}
	switch res.Header.Get("Stripe-Should-Retry") {
	case "false":
		return false
	case "true":
		return true
	}
	return res.StatusCode == http.StatusConflict || res.StatusCode >= 500
}

// retryDelay is stripe-go's backoff: 500 ms (1 + n²), at most 5 s, less
// up to a quarter of jitter, at least 500 ms.
func retryDelay(n int) time.Duration {
	const lo, hi = 500 * time.Millisecond, 5 * time.Second
	d := min(lo+lo*time.Duration(n*n), hi)
	d -= time.Duration(mrand.Int64N(int64(d / 4)))
	return max(d, lo)
}

func apiError(res *http.Response, raw []byte) error {
	var env struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Error == nil {
		return &Error{HTTPStatus: res.StatusCode, Type: "api_error", Message: strings.TrimSpace(string(bytes.ToValidUTF8(raw[:min(len(raw), 200)], nil))),
			RequestID: res.Header.Get("Request-Id")}
	}
	env.Error.HTTPStatus, env.Error.RequestID = res.StatusCode, res.Header.Get("Request-Id")
	return env.Error
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// list is a page of a Stripe list.
type list[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

// ref is an expandable field: the object's id, or the object itself when
// expanded.
type ref struct{ ID string }

func (r *ref) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	var o struct {
		ID string `json:"id"`
	}
	err := json.Unmarshal(b, &o)
	r.ID = o.ID
	return err
}

// The objects' fields the provider reads.
type (
	priceObject struct {
		ID        string `json:"id"`
		LookupKey string `json:"lookup_key"`
	}
	customer struct {
		ID string `json:"id"`
	}
	checkoutSession struct {
		ID                string            `json:"id"`
		URL               string            `json:"url"`
		ClientReferenceID string            `json:"client_reference_id"`
		Metadata          map[string]string `json:"metadata"`
		Customer          *ref              `json:"customer"`
		Subscription      *ref              `json:"subscription"`
	}
	subscriptionObject struct {
		ID       string            `json:"id"`
		Status   string            `json:"status"`
		Metadata map[string]string `json:"metadata"`
		Customer *ref              `json:"customer"`
		Items    *struct {
			Data []struct {
				ID               string `json:"id"`
				CurrentPeriodEnd int64  `json:"current_period_end"`
			} `json:"data"`
		} `json:"items"`
	}
	invoice struct {
		ID               string `json:"id"`
		Number           string `json:"number"`
		Status           string `json:"status"`
		AmountDue        int64  `json:"amount_due"`
		AmountPaid       int64  `json:"amount_paid"`
		Currency         string `json:"currency"`
		Created          int64  `json:"created"`
		PeriodStart      int64  `json:"period_start"`
		PeriodEnd        int64  `json:"period_end"`
		HostedInvoiceURL string `json:"hosted_invoice_url"`
		InvoicePDF       string `json:"invoice_pdf"`
		Customer         *ref   `json:"customer"`
		Parent           *struct {
			SubscriptionDetails *struct {
				Metadata     map[string]string `json:"metadata"`
				Subscription *ref              `json:"subscription"`
			} `json:"subscription_details"`
		} `json:"parent"`
	}
)

// Package httpapi is the HTTP edge shared by every function: handlers that
// return errors, one adapter that writes RFC 9457 problem+json, strict JSON
// decoding, and the caller's Principal from the API Gateway context.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// ProblemContentType is the media type of every error body (RFC 9457).
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the `type` URI of each problem; the suffix is the code.
const ProblemTypeBase = "https://issuetracker.dev/problems/"

// statusOf is THE table from error kind to HTTP status.
var statusOf = map[errs.Kind]int{
	errs.KindInvalid:            http.StatusBadRequest,
	errs.KindUnauthorized:       http.StatusUnauthorized,
	errs.KindForbidden:          http.StatusForbidden,
	errs.KindNotFound:           http.StatusNotFound,
	errs.KindConflict:           http.StatusConflict,
	errs.KindPreconditionFailed: http.StatusPreconditionFailed,
	errs.KindTooLarge:           http.StatusRequestEntityTooLarge,
	errs.KindUnsupportedMedia:   http.StatusUnsupportedMediaType,
	errs.KindUnprocessable:      http.StatusUnprocessableEntity,
	errs.KindRateLimited:        http.StatusTooManyRequests,
	errs.KindUnavailable:        http.StatusServiceUnavailable,
	errs.KindInternal:           http.StatusInternalServerError,
	errs.KindTimeout:            http.StatusGatewayTimeout,
	errs.KindClientClosed:       StatusClientClosed,
}

// StatusClientClosed is the status of a request its client abandoned
// (nginx's 499): the client's doing, never counted as a server error.
const StatusClientClosed = 499

// Status returns the HTTP status for an error kind.
func Status(k errs.Kind) int {
	if s, ok := statusOf[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details body with our extensions.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	Code      string            `json:"code"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
}

// NewProblem builds the problem body for err as answered to r.
func NewProblem(r *http.Request, err error) Problem {
	return ProblemOf(err, r.URL.Path, RequestID(r))
}

// ProblemOf builds the problem body for err about instance (a path); the
// Lambda adapter uses it for events it refuses before a request exists.
func ProblemOf(err error, instance, requestID string) Problem {
	e := Classify(err)
	status := Status(e.Kind)
	if text.Problem(instance, text.Line) != "" || len(instance) > MaxPathBytes {
		instance = "" // a malformed path is not echoed back
	}
	return Problem{
		Type:      ProblemTypeBase + e.Code,
		Title:     statusText(status),
		Status:    status,
		Detail:    e.Message,
		Instance:  instance,
		Code:      e.Code,
		RequestID: requestID,
		Errors:    e.Fields,
	}
}

// WriteError writes err as problem+json. Internal errors are logged in full
// and answered without their cause.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := NewProblem(r, err)
	switch {
	case p.Status == http.StatusServiceUnavailable, p.Status == http.StatusGatewayTimeout:
		// A dependency's outage, not a defect: one line, not an alarm each.
		slog.WarnContext(r.Context(), "dependency unavailable", "err", err, "path", r.URL.Path, "request_id", p.RequestID)
	case p.Status == StatusClientClosed:
		slog.InfoContext(r.Context(), "client closed the request", "err", err, "path", r.URL.Path, "request_id", p.RequestID)
	case p.Status >= 500:
		slog.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path, "request_id", p.RequestID)
	}
	WriteProblem(w, p)
}

func statusText(status int) string {
	if status == StatusClientClosed {
		return "Client Closed Request"
	}
	return http.StatusText(status)
}

// WriteProblem writes a ready problem body. A 429 or 503 says when to come
// back (RetryAfter), when its producer did not.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ProblemContentType)
	if ra := RetryAfter(p.Status); ra != "" && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", ra)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// jsonContentType is every JSON answer's Content-Type value, shared (cap
// 1: an Add to one answer's copies it), so setting it allocates nothing.
var jsonContentType = []string{"application/json"}[:1:1]

// WriteJSON writes v as a JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(NonNil(v))
}

// HandlerFunc is an HTTP handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP writes a returned error as problem+json.
func (h HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// Operations are the handlers of a domain keyed by the route table's
// OperationID; the composition root (internal/app) mounts them.
type Operations map[string]HandlerFunc

// Health is the liveness answer of GET /health.
type Health struct {
	Status string `json:"status"`
}

// Package errs is the error vocabulary of IssueTracker. Domain code and
// stores return these; the HTTP layer maps each Kind to a status in one
// table (internal/httpapi). Everything else is an internal error.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is a stable error class; its string is the problem `code` stem.
type Kind string

const (
	KindInvalid            Kind = "invalid"             // 400 / 422: bad input
	KindUnauthorized       Kind = "unauthorized"        // 401: no or bad credentials
	KindForbidden          Kind = "forbidden"           // 403: authenticated, not allowed
	KindNotFound           Kind = "not_found"           // 404: absent, or another tenant's
	KindConflict           Kind = "conflict"            // 409: state conflict (duplicate)
	KindPreconditionFailed Kind = "precondition_failed" // 412: stale If-Match
	KindTooLarge           Kind = "too_large"           // 413: a request body over the limit
	KindUnsupportedMedia   Kind = "unsupported_media"   // 415: a request body that is not JSON
	KindUnprocessable      Kind = "unprocessable"       // 422: well-formed but not acceptable
	KindRateLimited        Kind = "rate_limited"        // 429
	KindUnavailable        Kind = "unavailable"         // 503: a dependency is down or overloaded; retry later
	KindInternal           Kind = "internal"            // 500
	KindTimeout            Kind = "timeout"             // 504: the function did not answer in time
	KindClientClosed       Kind = "client_closed"       // 499: the client abandoned the request (its context was canceled)
)

// FieldError names one bad field of a request.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a classified error. Code is a stable machine-readable code such
// as "issue_not_found" or "token_expired"; Message is for people.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	Err     error // the cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the answer for an absent object and for another tenant's.
func NotFound(what string) *Error {
	return E(KindNotFound, what+"_not_found", "%s not found", what)
}

// Invalid reports bad input on named fields.
func Invalid(code, msg string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: msg, Fields: fields}
}

// Field is a shorthand for Invalid with one field.
func Field(field, reason string) *Error {
	return Invalid("validation_failed", fmt.Sprintf("%s: %s", field, reason), FieldError{Field: field, Reason: reason})
}

// Fields reports several invalid fields of one request (a 400
// validation_failed): the detail names each field and what it must be, as
// Field's does for one, so a client that shows only the detail still says
// what to fix.
func Fields(bad ...FieldError) *Error {
	parts := make([]string, len(bad))
	for i, f := range bad {
		parts[i] = f.Field + ": " + f.Reason
	}
	return Invalid("validation_failed", strings.Join(parts, "; "), bad...)
}

// TooLarge reports a request body over the limit (413).
func TooLarge(code, msg string) *Error { return E(KindTooLarge, code, "%s", msg) }

// Unauthorized reports missing or bad credentials.
func Unauthorized(code, msg string) *Error { return E(KindUnauthorized, code, "%s", msg) }

// Forbidden reports an authenticated caller who may not do this.
func Forbidden(code, msg string) *Error { return E(KindForbidden, code, "%s", msg) }

// Conflict reports a state conflict.
func Conflict(code, msg string) *Error { return E(KindConflict, code, "%s", msg) }

// Internal wraps an unexpected error.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// Unavailable reports that a dependency (database, identity provider,
// object store, mail) cannot answer now; the client should retry later.
func Unavailable(code, msg string, cause error) *Error {
	return &Error{Kind: KindUnavailable, Code: code, Message: msg, Err: cause}
}

// As returns the *Error in err's chain, or an internal error wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// WithFields returns e naming the fields it is about.
func (e *Error) WithFields(f ...FieldError) *Error {
	e.Fields = append(e.Fields, f...)
	return e
}

// Package list is the one toolkit of every list the API answers: one page
// type, one strict page-size rule and one cursor codec.
//
// Page size: `limit` is an integer from 1 to MaxLimit (100); absent means
// DefaultLimit (50); anything else (0, -1, 101, "ten", "1e2", " 5") is a 400
// naming `limit`. Every list uses this rule, tenant and admin lists alike.
//
// Cursors are opaque and tamper-evident: the position where the page stopped
// (a DynamoDB key, an offset...) as base64url JSON, followed by an
// HMAC-SHA256 tag over that encoding and the list's scope, under a
// per-deployment key (Keyring). The scope names the list, the tenant and
// everything that shapes the list (filters, sort, the parent issue), so a
// cursor of one list, filter or tenant cannot be replayed on another. A
// forged, truncated, oversized or foreign cursor is a 400 invalid_cursor.
package list

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Page is one page of any list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewPage returns a page whose Items is never null in JSON.
func NewPage[T any](items []T, next string) Page[T] {
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, NextCursor: next}
}

// Map converts the items of a page.
func Map[T, U any](p Page[T], f func(T) U) Page[U] {
	out := make([]U, len(p.Items))
	for i, it := range p.Items {
		out[i] = f(it)
	}
	return Page[U]{Items: out, NextCursor: p.NextCursor}
}

// Page size rule.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// Limit parses a `limit` query value with the one rule of the API.
func Limit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit || strconv.Itoa(n) != s {
		return 0, errs.Invalid("invalid_limit", "limit must be an integer from 1 to "+strconv.Itoa(MaxLimit),
			errs.FieldError{Field: "limit", Reason: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)})
	}
	return n, nil
}

// Request is a page request: the size and the cursor as sent.
type Request struct {
	Limit  int
	Cursor string
}

// Params reads `limit` and `cursor` of a list request; no parameter of q
// may appear twice. Which parameters a route takes is the route table's
// word (routes.Route.QueryParams, enforced before the handler runs).
func Params(q url.Values) (Request, error) {
	for k, vs := range q {
		if len(vs) > 1 {
			return Request{}, errs.Invalid("repeated_parameter", "query parameter "+strconv.Quote(k)+" is repeated",
				errs.FieldError{Field: k, Reason: "repeated"})
		}
	}
	if q.Has("limit") && q.Get("limit") == "" {
		return Request{}, errs.Invalid("invalid_limit", "limit is empty: leave it out for the default ("+strconv.Itoa(DefaultLimit)+"), or send 1 to "+strconv.Itoa(MaxLimit),
			errs.FieldError{Field: "limit", Reason: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)})
	}
	n, err := Limit(q.Get("limit"))
	if err != nil {
		return Request{}, err
	}
	c, err := Cursor(q)
	if err != nil {
		return Request{}, err
	}
	return Request{Limit: n, Cursor: c}, nil
}

// Cursor reads the `cursor` query parameter: absent or empty, the first
// page (clients page with "?cursor=" + next, next empty at first). A cursor
// given twice or longer than any this API returns is a 400, never the
// first page; every other one is checked by Decode.
func Cursor(q url.Values) (string, error) {
	vs, ok := q["cursor"]
	switch {
	case !ok:
		return "", nil
	case len(vs) > 1:
		return "", errs.Invalid("repeated_parameter", `query parameter "cursor" is repeated`,
			errs.FieldError{Field: "cursor", Reason: "repeated"})
	case len(vs[0]) > MaxCursorLen:
		return "", invalidCursor("is longer than the cursors this API returns")
	}
	return vs[0], nil
}

// MaxCursorLen bounds a cursor; positions larger than this are not encoded.
const MaxCursorLen = 1024

// tagLen is the HMAC-SHA256 tag length kept in a cursor (128 bits).
const tagLen = 16

// Codec encodes and decodes cursors under a deployment's key.
type Codec struct {
	Keys *Keyring
}

// Scope names one list as seen by one caller: the list's name and every
// value that shapes its contents (tenant, parent, sort, filters).
func Scope(list string, parts ...string) string {
	var b strings.Builder
	b.WriteString(list)
	for _, p := range parts {
		b.WriteByte(0)
		b.WriteString(p)
	}
	return b.String()
}

// Encode returns the cursor of pos (a JSON-encodable position) in scope.
func (c Codec) Encode(ctx context.Context, scope string, pos any) (string, error) {
	key, err := c.Keys.Key(ctx)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(pos)
	if err != nil {
		return "", errs.Internal(err)
	}
	body := base64.RawURLEncoding.EncodeToString(b)
	s := body + "." + base64.RawURLEncoding.EncodeToString(tag(key, scope, body))
	if len(s) > MaxCursorLen {
		return "", errs.Internal(errorString("cursor position too large: " + strconv.Itoa(len(s)) + " bytes"))
	}
	return s, nil
}

// Decode reads a cursor of scope into pos (a pointer): the tag must be the
// one this deployment wrote for this scope, and the position must decode
// into pos exactly (no unknown or missing fields).
func (c Codec) Decode(ctx context.Context, scope, cursor string, pos any) error {
	if len(cursor) > MaxCursorLen {
		return invalidCursor("is longer than the cursors this API returns")
	}
	body, sig, ok := strings.Cut(cursor, ".")
	if !ok {
		return invalidCursor("is not a cursor this list returned")
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(got) != tagLen {
		return invalidCursor("is not a cursor this list returned")
	}
	key, err := c.Keys.Key(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, tag(key, scope, body)) {
		return invalidCursor("was not issued for this list, or was altered")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return invalidCursor("is damaged")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(pos); err != nil || dec.More() {
		return invalidCursor("is damaged")
	}
	return nil
}

func tag(key []byte, scope, body string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("issuetracker-cursor-v1\x00"))
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(body))
	return m.Sum(nil)[:tagLen]
}

func invalidCursor(reason string) error {
	return errs.Invalid("invalid_cursor", "the cursor "+reason, errs.FieldError{Field: "cursor", Reason: reason})
}

type errorString string

func (e errorString) Error() string { return string(e) }

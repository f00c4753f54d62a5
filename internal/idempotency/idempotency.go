// Package idempotency makes POST routes safe to retry: the first response to
// an Idempotency-Key is stored (with a TTL) and replayed to any retry with the
// same key and body; the same key with another body is a 422, and a retry
// while the first request still runs is a 409. The route guard
// (internal/app) wraps every POST of the route table with Store.Wrap.
//
// Records are per caller: a tenant user's in the tenant's table, Root's and
// anonymous callers' (per source address) in the control table.
package idempotency

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/schema"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks a replayed response.
const ReplayedHeader = "Idempotent-Replayed"

// MaxKeyLen bounds a key (printable ASCII).
const MaxKeyLen = 255

// Store keeps idempotency records: pk "T#<tenant>#IDEM#<user>#<key>", sk
// "IDEM", expiring after TTL (24h by default). Keys are per caller, so two
// users cannot collide or read each other's responses.
type Store struct {
	// DB is the tenant data client (tenant users' records).
	DB *dynamodb.Client
	// Control and ControlTable keep Root's and anonymous callers' records;
	// without them those POSTs run without idempotency (unit wiring).
	Control      *dynamodb.Client
	ControlTable string
	Now          func() time.Time
	// TTL is how long a response is replayable; Lease how long a pending
	// request holds its key before a retry may take it over (a crashed run).
	TTL, Lease time.Duration
}

func recordPK(tenant, user, k string) string {
	return schema.TenantKeyPrefix(tenant) + "IDEM#" + user + "#" + k
}

const recordSK = "IDEM"

// Record states: pending (claimed, the write has not committed), committed
// (the write committed with the claim's token; no response stored yet),
// done (the response is stored and replayed).
const (
	statePending   = "pending"
	stateCommitted = txclaim.StateCommitted
	stateDone      = "done"
)

type record struct {
	PK          string            `dynamodbav:"pk"`
	SK          string            `dynamodbav:"sk"`
	State       string            `dynamodbav:"state"` // pending, committed, done
	Token       string            `dynamodbav:"token,omitempty"`
	Fingerprint string            `dynamodbav:"fingerprint"`
	LeaseUntil  int64             `dynamodbav:"lease_until"`
	ExpiresAt   int64             `dynamodbav:"expires_at"` // the table's TTL attribute
	Status      int               `dynamodbav:"status,omitempty"`
	Header      map[string]string `dynamodbav:"header,omitempty"`
	Body        []byte            `dynamodbav:"body,omitempty"`
}

// replayed lists the response headers a replay repeats.
var replayed = []string{"Content-Type", "ETag", "Location"}

// Wrap returns h made idempotent for requests that carry the header;
// requests without it run as they are.
//
// The claim (a random token) rides in the request context: the handler's
// own DynamoDB transaction commits it (txclaim, installed on the clients by
// awsx), so a request whose lease was taken over cannot commit its write,
// and a retry that finds the write committed never runs the handler again
// even when the first request died before storing its response.
func (s Store) Wrap(h httpapi.HandlerFunc) httpapi.HandlerFunc { return (&keyed{s, h, false}).serve }

// WrapOneTransaction is Wrap for a handler whose write is one
// TransactWriteItems (routes.Route.WriteClaimsKey): no claim before the
// handler; the write's transaction puts the record (state committed) if the
// key is free, so a keyed request costs one round trip less (the stored
// response). A key already held fails that transaction, and the request is
// answered from the record (replay, 409 or 422): the handler's reads before
// its write are repeated, and a create's number counter moves (a gap in
// issue keys), but nothing is written twice.
func (s Store) WrapOneTransaction(h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return (&keyed{s, h, true}).serve
}

// keyed is h made idempotent by Wrap or WrapOneTransaction (inWrite). Its
// serve method is compiled once; a closure returned by Wrap was compiled
// again into each caller that inlined Wrap (2.5 KB each in every function:
// docs/performance.md, "Room under the 64 KiB step").
type keyed struct {
	s       Store
	h       httpapi.HandlerFunc
	inWrite bool
}

func (x *keyed) serve(w http.ResponseWriter, r *http.Request) error {
	s, h, inWrite := x.s, x.h, x.inWrite
	k := r.Header.Get(Header)
	if _, sent := r.Header[Header]; !sent {
		return h(w, r)
	}
	// An empty key is a malformed key, not no key: the client asked for a
	// retry-safe request and would get an unprotected one (a retry writing
	// twice); it was run unprotected until audit11.
	if k == "" || len(k) > MaxKeyLen || !printable(k) {
		return errs.Invalid("invalid_idempotency_key", fmt.Sprintf("%s must be 1 to %d printable ASCII characters", Header, MaxKeyLen),
			errs.FieldError{Field: Header, Reason: "malformed"})
	}
	db, table, pk, ok := s.scope(r, k)
	if !ok {
		return h(w, r)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, httpapi.DefaultMaxBody+1))
	if err != nil {
		return errs.Invalid("unreadable_body", "the request body could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
	fp := hex.EncodeToString(sum[:])
	c := &txclaim.Claim{Table: table, Key: dynamo.Key(pk, recordSK), Token: newToken()}
	if inWrite {
		now := s.now()
		c.Now = now.Unix()
		c.Put, err = attributevalue.MarshalMap(record{PK: pk, SK: recordSK, State: stateCommitted, Token: c.Token, Fingerprint: fp,
			LeaseUntil: now.Add(s.lease()).Unix(), ExpiresAt: now.Add(s.ttl()).Unix()})
		if err != nil {
			return err
		}
	} else {
		prev, err := s.claim(r, db, table, pk, fp, c.Token)
		if err != nil {
			return err
		}
		if prev != nil {
			return s.answerExisting(w, *prev, fp)
		}
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	herr := h(rec, txclaimed(r, c))
	var taken *txclaim.TakenError
	switch {
	case errors.As(herr, &taken):
		var prev record
		if err := attributevalue.UnmarshalMap(taken.Item, &prev); err != nil {
			return fmt.Errorf("decode idempotency record: %w", err)
		}
		return s.answerExisting(w, prev, fp)
	case errors.Is(herr, txclaim.ErrLost):
		// Another request holds the key now and our write did not commit:
		// leave the record to it.
		return s.inProgress(w, s.lease())
	case herr != nil:
		httpapi.WriteError(rec, r, herr)
	}
	switch {
	case rec.status >= 500 && !inWrite:
		// Let a retry run again, unless the write committed (then a retry
		// must not repeat it) or the key is no longer ours.
		s.release(r, db, table, pk, c.Token)
	case rec.status >= 500:
		// Nothing to release: the record exists only if the write
		// committed, and then a retry must not repeat it.
	case answered(c, rec):
		// The write's transaction stored this very answer with it.
	case inWrite && !c.Committed():
		// No transaction ran (a 4xx before the write): store the answer
		// if the key is still free.
		if err := s.store(r, db, table, pk, fp, c.Token, rec, "attribute_not_exists(pk)"); err != nil {
			return err
		}
	default:
		if err := s.store(r, db, table, pk, fp, c.Token, rec, "#t = :token"); err != nil {
			return err
		}
	}
	return rec.flush(w)
}

// AnswerWith is for a handler whose answer renders the value its write
// commits (a create answers with the item it creates): write renders that
// answer, and the service calls txclaim.Prepare with the value just before
// its transaction, which then stores the answer with the write, saving the
// PutItem that would store it afterwards. The answer actually sent is
// compared with the one stored, and stored by that PutItem when they differ.
// Without an Idempotency-Key it does nothing.
func AnswerWith[T any](r *http.Request, write func(w http.ResponseWriter, v T) error) {
	c := txclaim.From(r.Context())
	if c == nil {
		return
	}
	c.Render = func(v any) (txclaim.Answer, bool) {
		t, ok := v.(T)
		if !ok {
			return txclaim.Answer{}, false
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		if err := write(rec, t); err != nil {
			return txclaim.Answer{}, false
		}
		return rec.answer(), true
	}
}

// answered: a transaction of the request stored the answer rec holds.
func answered(c *txclaim.Claim, rec *recorder) bool {
	a, ok := c.Stored()
	return ok && a.Equal(rec.answer())
}

func txclaimed(r *http.Request, c *txclaim.Claim) *http.Request {
	return r.WithContext(txclaim.With(r.Context(), c))
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// release deletes a pending record that is still ours after a failure.
func (s Store) release(r *http.Request, db *dynamodb.Client, table, pk, token string) {
	_, _ = db.DeleteItem(r.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: dynamo.Key(pk, recordSK),
		ConditionExpression:      aws.String("#t = :token AND #s = :pending"),
		ExpressionAttributeNames: map[string]string{"#t": txclaim.AttrToken, "#s": txclaim.AttrState},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":token":   &types.AttributeValueMemberS{Value: token},
			":pending": &types.AttributeValueMemberS{Value: statePending}}})
}

// scope finds where the caller's records live: the tenant's table for a
// tenant user, the control table for Root and for anonymous callers (keyed
// by source address).
func (s Store) scope(r *http.Request, k string) (*dynamodb.Client, string, string, bool) {
	if p, err := httpapi.CallerPrincipal(r); err == nil {
		if p.TenantID != "" {
			return s.DB, p.Table, recordPK(p.TenantID, p.UserID, k), s.DB != nil
		}
		return s.Control, s.ControlTable, schema.ControlRootIdempotency + p.UserID + "#" + k, s.Control != nil
	}
	ip := ""
	if rc, ok := httpapi.GatewayContext(r.Context()); ok {
		ip = rc.Identity.SourceIP
	}
	return s.Control, s.ControlTable, schema.ControlPublicIdempotency + ip + "#" + k, s.Control != nil
}

// claim takes the key with a conditional put; if the key is already taken
// it returns the existing record (read by the same call).
func (s Store) claim(r *http.Request, db *dynamodb.Client, table, pk, fp, token string) (*record, error) {
	now := s.now()
	rec := record{PK: pk, SK: recordSK, State: statePending, Token: token, Fingerprint: fp,
		LeaseUntil: now.Add(s.lease()).Unix(), ExpiresAt: now.Add(s.ttl()).Unix()}
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, err
	}
	_, err = db.PutItem(r.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#s = :pending AND lease_until < :now) OR expires_at < :now"),
		ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: statePending},
			":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old record
		if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
			return nil, fmt.Errorf("decode idempotency record: %w", err)
		}
		return &old, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	return nil, nil
}

func (s Store) answerExisting(w http.ResponseWriter, prev record, fp string) error {
	left := time.Duration(prev.LeaseUntil-s.now().Unix()) * time.Second
	switch {
	case prev.Fingerprint != fp:
		e := errs.E(errs.KindUnprocessable, "idempotency_key_reused", "this %s was used with another request body", Header)
		e.Fields = []errs.FieldError{{Field: Header, Reason: "reused with a different request"}}
		return e
	case prev.State == stateDone:
	case prev.State == stateCommitted && left <= 0:
		// The write committed but its request ended before storing the
		// response (a crash, a timeout): running the handler again would
		// repeat the write.
		return errs.Conflict("idempotency_response_lost", "the request with this "+Header+
			" was applied, but its response was not kept: do not retry it; read the resource it changed (for a create, list or search for it) instead")
	default:
		// The first request holds a lease, or has committed its write and is
		// storing its response: the client may retry when it ends.
		return s.inProgress(w, left)
	}
	for k, v := range prev.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(prev.Status)
	_, err := w.Write(prev.Body)
	return err
}

// inProgress answers 409 idempotency_in_progress with Retry-After (at least 1 s).
func (s Store) inProgress(w http.ResponseWriter, left time.Duration) error {
	w.Header().Set("Retry-After", strconv.FormatInt(max(1, int64(left.Seconds())), 10))
	return errs.Conflict("idempotency_in_progress", "a request with this "+Header+" is still running; retry later")
}

// store stores the response if cond holds (the record is still ours, or
// the key is free).
func (s Store) store(r *http.Request, db *dynamodb.Client, table, pk, fp, token string, rec *recorder, cond string) error {
	a := rec.answer()
	item, err := attributevalue.MarshalMap(record{PK: pk, SK: recordSK, State: stateDone, Token: token, Fingerprint: fp,
		ExpiresAt: s.now().Add(s.ttl()).Unix(), Status: a.Status, Header: a.Header, Body: a.Body})
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: item, ConditionExpression: aws.String(cond)}
	if strings.Contains(cond, ":token") {
		in.ExpressionAttributeNames = map[string]string{"#t": txclaim.AttrToken}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":token": &types.AttributeValueMemberS{Value: token}}
	}
	_, err = db.PutItem(r.Context(), in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		// Taken over after the lease (a handler without a transaction ran
		// long), or taken by another request meanwhile: the key is another
		// request's now; answer without storing.
		return nil
	}
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

func (s Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Store) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return 24 * time.Hour
}

func (s Store) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 30 * time.Second
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder captures a response so it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if !r.wrote {
		r.status, r.wrote = s, true
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.wrote = true; return r.body.Write(b) }

// answer is what the record keeps of the response: status, the headers a
// replay repeats, body.
func (r *recorder) answer() txclaim.Answer {
	hdr := map[string]string{}
	for _, k := range replayed {
		if v := r.header.Get(k); v != "" {
			hdr[k] = v
		}
	}
	return txclaim.Answer{Status: r.status, Header: hdr, Body: r.body.Bytes()}
}

func (r *recorder) flush(w http.ResponseWriter) error {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, err := w.Write(r.body.Bytes())
	return err
}

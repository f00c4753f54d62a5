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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/issuetracker/issuetracker/internal/dynamo"
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

type record struct {
	PK          string            `dynamodbav:"pk"`
	SK          string            `dynamodbav:"sk"`
	State       string            `dynamodbav:"state"` // pending, done
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
func (s Store) Wrap(h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		k := r.Header.Get(Header)
		if k == "" {
			return h(w, r)
		}
		if len(k) > MaxKeyLen || !printable(k) {
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
		prev, err := s.claim(r, db, table, pk, fp)
		if err != nil {
			return err
		}
		if prev != nil {
			return s.answerExisting(w, *prev, fp)
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		herr := h(rec, r)
		if herr != nil {
			httpapi.WriteError(rec, r, herr)
		}
		if rec.status >= 500 {
			// Let a retry run again: nothing durable is promised for a failure.
			_, _ = db.DeleteItem(r.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: dynamo.Key(pk, recordSK)})
		} else if err := s.complete(r, db, table, pk, fp, rec); err != nil {
			return err
		}
		return rec.flush(w)
	}
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
	if rc, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok {
		ip = rc.Identity.SourceIP
	}
	return s.Control, s.ControlTable, schema.ControlPublicIdempotency + ip + "#" + k, s.Control != nil
}

// claim takes the key with a conditional put; if the key is already taken
// it returns the existing record (read by the same call).
func (s Store) claim(r *http.Request, db *dynamodb.Client, table, pk, fp string) (*record, error) {
	now := s.now()
	rec := record{PK: pk, SK: recordSK, State: "pending", Fingerprint: fp,
		LeaseUntil: now.Add(s.lease()).Unix(), ExpiresAt: now.Add(s.ttl()).Unix()}
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, err
	}
	_, err = db.PutItem(r.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#s = :pending AND lease_until < :now) OR expires_at < :now"),
		ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: "pending"},
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
	switch {
	case prev.Fingerprint != fp:
		e := errs.E(errs.KindUnprocessable, "idempotency_key_reused", "this %s was used with another request body", Header)
		e.Fields = []errs.FieldError{{Field: Header, Reason: "reused with a different request"}}
		return e
	case prev.State != "done":
		// The first request holds a lease (it may have died with a dependency's
		// outage): the client may retry when it ends.
		w.Header().Set("Retry-After", strconv.FormatInt(max(1, prev.LeaseUntil-s.now().Unix()), 10))
		return errs.Conflict("idempotency_in_progress", "a request with this Idempotency-Key is still running; retry later")
	}
	for k, v := range prev.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(prev.Status)
	_, err := w.Write(prev.Body)
	return err
}

func (s Store) complete(r *http.Request, db *dynamodb.Client, table, pk, fp string, rec *recorder) error {
	hdr := map[string]string{}
	for _, k := range replayed {
		if v := rec.header.Get(k); v != "" {
			hdr[k] = v
		}
	}
	item, err := attributevalue.MarshalMap(record{PK: pk, SK: recordSK, State: "done", Fingerprint: fp,
		ExpiresAt: s.now().Add(s.ttl()).Unix(), Status: rec.status, Header: hdr, Body: rec.body.Bytes()})
	if err != nil {
		return err
	}
	if _, err := db.PutItem(r.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
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

func (r *recorder) flush(w http.ResponseWriter) error {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, err := w.Write(r.body.Bytes())
	return err
}

package idempotency_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// world is a Store on DynamoDB Local and a "create" handler whose write is
// one TransactWriteItems (like issue create), with a clock the test moves.
type world struct {
	t        *testing.T
	db       *dynamodb.Client
	table    string
	store    idempotency.Store
	now      atomic.Int64 // Unix seconds
	failDone atomic.Bool  // the response's PutItem fails (a crash before completion)
	// inWrite: the handler's transaction claims the key (WrapOneTransaction).
	inWrite bool
}

// bothModes runs f with a claim before the handler (Wrap) and with the
// claim in the write (WrapOneTransaction).
func bothModes(t *testing.T, f func(t *testing.T, w *world)) {
	for _, inWrite := range []bool{false, true} {
		name := "claim first"
		if inWrite {
			name = "claim in the write"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.inWrite = inWrite
			f(t, w)
		})
	}
}

const issuesPK = "T#acme#TESTISSUES"

func newWorld(t *testing.T) *world {
	t.Helper()
	_, names := testenv.Tables(t)
	cfg, e := testenv.AWS(t)
	w := &world{t: t, table: names.App()}
	w.now.Store(time.Now().Unix())
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("failCompletion", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if p, ok := in.Parameters.(*dynamodb.PutItemInput); ok && w.failDone.Load() {
				if s, ok := p.Item["state"].(*types.AttributeValueMemberS); ok && s.Value == "done" {
					return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("injected: the process died before storing the response")
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
	w.db = awsx.DynamoDB(cfg, e)
	w.store = idempotency.Store{DB: w.db, Now: func() time.Time { return time.Unix(w.now.Load(), 0) }, Lease: 30 * time.Second}
	return w
}

// create writes one issue in a transaction and answers 201 with its id;
// before, if set, runs after the claim and before the write.
func (w *world) create(before func()) httpapi.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		if before != nil {
			before()
		}
		id := randomID()
		_, err := w.db.TransactWriteItems(r.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
			Put: &types.Put{TableName: aws.String(w.table), Item: dynamo.Key(issuesPK, id), ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
		if err != nil {
			return err
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusCreated)
		return json.NewEncoder(rw).Encode(map[string]string{"id": id})
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (w *world) call(h httpapi.HandlerFunc, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/v1/issues", strings.NewReader(`{"title":"t"}`))
	if key != "" {
		r.Header.Set(idempotency.Header, key)
	}
	r = r.WithContext(tenancy.WithPrincipal(r.Context(), tenancy.Principal{TenantID: "acme", UserID: "ann", Table: w.table}))
	rec := httptest.NewRecorder()
	wrap := w.store.Wrap
	if w.inWrite {
		wrap = w.store.WrapOneTransaction
	}
	httpapi.HandlerFunc(wrap(h)).ServeHTTP(rec, r)
	return rec
}

func (w *world) issues() int {
	out, err := w.db.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(w.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: issuesPK}},
		ConsistentRead:            aws.Bool(true)})
	require.NoError(w.t, err)
	return int(out.Count)
}

func code(t *testing.T, rec *httptest.ResponseRecorder) string {
	var p struct{ Code string }
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	return p.Code
}

func TestACrashAfterTheWriteIsNotRepeatedByARetryAfterTheLease(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.create(nil)
		w.failDone.Store(true)
		first := w.call(h, "k1")
		require.GreaterOrEqual(t, first.Code, 500, "the completion was made to fail")
		require.Equal(t, 1, w.issues())

		w.failDone.Store(false)
		w.now.Add(31) // the lease has ended
		retry := w.call(h, "k1")
		assert.Equal(t, http.StatusConflict, retry.Code, retry.Body.String())
		assert.Equal(t, "idempotency_response_lost", code(t, retry))
		assert.Equal(t, 1, w.issues(), "the retry ran the write a second time")
	})
}

func TestARetryWithinTheLeaseOfACommittedWriteIsInProgress(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.create(nil)
		w.failDone.Store(true)
		require.GreaterOrEqual(t, w.call(h, "k").Code, 500)
		w.failDone.Store(false)
		retry := w.call(h, "k")
		assert.Equal(t, http.StatusConflict, retry.Code)
		assert.Equal(t, "idempotency_in_progress", code(t, retry))
		assert.NotEmpty(t, retry.Header().Get("Retry-After"))
		assert.Equal(t, 1, w.issues())
	})
}

// A request stalls after its claim; its lease ends and a retry takes the key
// over and creates the issue; the stalled request then cannot commit.
func TestARequestWhoseLeaseWasTakenOverCannotCommitItsWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	claimed, resume := make(chan struct{}), make(chan struct{})
	stalled := w.create(func() { close(claimed); <-resume })
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- w.call(stalled, "k") }()
	<-claimed

	w.now.Add(31)
	second := w.call(w.create(nil), "k")
	require.Equal(t, http.StatusCreated, second.Code, second.Body.String())

	close(resume)
	first := <-done
	assert.Equal(t, http.StatusConflict, first.Code, first.Body.String())
	assert.Equal(t, "idempotency_in_progress", code(t, first))
	assert.Equal(t, 1, w.issues(), "the stalled request committed a second issue")

	replay := w.call(w.create(nil), "k")
	assert.Equal(t, second.Body.String(), replay.Body.String(), "the winner's record was changed")
	assert.Equal(t, "true", replay.Header().Get(idempotency.ReplayedHeader))
}

// A failed request whose key was taken over must not delete the new
// holder's record.
func TestAFailureDoesNotReleaseAKeyTakenOverByAnotherRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	claimed, resume := make(chan struct{}), make(chan struct{})
	failing := func(http.ResponseWriter, *http.Request) error {
		close(claimed)
		<-resume
		return errors.New("boom")
	}
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- w.call(failing, "k") }()
	<-claimed

	w.now.Add(31)
	holderIn, holderResume := make(chan struct{}), make(chan struct{})
	holder := make(chan *httptest.ResponseRecorder)
	go func() { holder <- w.call(w.create(func() { close(holderIn); <-holderResume }), "k") }()
	<-holderIn

	close(resume)
	require.Equal(t, http.StatusInternalServerError, (<-done).Code)
	// The holder's claim is intact: a third request is told to wait.
	third := w.call(w.create(nil), "k")
	assert.Equal(t, "idempotency_in_progress", code(t, third), third.Body.String())

	close(holderResume)
	assert.Equal(t, http.StatusCreated, (<-holder).Code)
	assert.Equal(t, 1, w.issues())
}

func TestAFailureBeforeTheWriteLetsARetryRunAgain(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		fail := true
		h := w.create(nil)
		flaky := func(rw http.ResponseWriter, r *http.Request) error {
			if fail {
				return errors.New("boom")
			}
			return h(rw, r)
		}
		require.Equal(t, http.StatusInternalServerError, w.call(flaky, "k").Code)
		fail = false
		assert.Equal(t, http.StatusCreated, w.call(flaky, "k").Code)
		assert.Equal(t, 1, w.issues())
	})
}

func TestConcurrentRequestsWithOneKeyCreateOneIssue(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.create(nil)
		var wg sync.WaitGroup
		codes := make([]string, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := w.call(h, "same")
				codes[i] = http.StatusText(rec.Code) + " " + code(t, rec)
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, w.issues(), codes)
		for _, c := range codes {
			assert.Contains(t, []string{"Created ", "Conflict idempotency_in_progress"}, c)
		}
	})
}

func TestRequestsWithoutTheHeaderAreUnchanged(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.create(nil)
		a, b := w.call(h, ""), w.call(h, "")
		assert.Equal(t, http.StatusCreated, a.Code)
		assert.Equal(t, http.StatusCreated, b.Code)
		assert.Empty(t, b.Header().Get(idempotency.ReplayedHeader))
		assert.Equal(t, 2, w.issues())
	})
}

// The marker is the transaction's last action; when the caller's own item
// fails, the caller sees only its own cancellation reasons.
func TestAStoreSeesOnlyItsOwnCancellationReasons(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		var got error
		dup := func(rw http.ResponseWriter, r *http.Request) error {
			item := dynamo.Key(issuesPK, "fixed")
			put := func() error {
				_, err := w.db.TransactWriteItems(r.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
					Put: &types.Put{TableName: aws.String(w.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
				return err
			}
			if err := put(); err != nil {
				return err
			}
			got = put()
			rw.WriteHeader(http.StatusCreated)
			return nil
		}
		require.Equal(t, http.StatusCreated, w.call(dup, "k").Code)
		failed, ok := dynamo.CancelledItems(got)
		require.True(t, ok, "%v", got)
		assert.Equal(t, []bool{true}, failed)
	})
}

func TestARetryAfterSuccessReplaysAndAnotherBodyIs422(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.create(nil)
		first := w.call(h, "k")
		require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
		again := w.call(h, "k")
		assert.Equal(t, http.StatusCreated, again.Code)
		assert.Equal(t, first.Body.String(), again.Body.String())
		assert.Equal(t, "true", again.Header().Get(idempotency.ReplayedHeader))
		assert.Equal(t, 1, w.issues())

		r := httptest.NewRequest("POST", "/v1/issues", strings.NewReader(`{"title":"other"}`))
		r.Header.Set(idempotency.Header, "k")
		r = r.WithContext(tenancy.WithPrincipal(r.Context(), tenancy.Principal{TenantID: "acme", UserID: "ann", Table: w.table}))
		rec := httptest.NewRecorder()
		wrap := w.store.Wrap
		if w.inWrite {
			wrap = w.store.WrapOneTransaction
		}
		httpapi.HandlerFunc(wrap(h)).ServeHTTP(rec, r)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Equal(t, "idempotency_key_reused", code(t, rec))
		assert.Equal(t, 1, w.issues())
	})
}

// prepared is create whose answer is rendered before its write
// (idempotency.AnswerWith + txclaim.Prepare, as issue and comment create
// do); sent, if set, changes the answer actually sent.
func (w *world) prepared(sent func(id string) string) httpapi.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		write := func(rw http.ResponseWriter, id string) error {
			rw.Header().Set("Content-Type", "application/json")
			rw.Header().Set("Location", "/v1/issues/"+id)
			rw.WriteHeader(http.StatusCreated)
			return json.NewEncoder(rw).Encode(map[string]string{"id": id})
		}
		idempotency.AnswerWith(r, write)
		id := randomID()
		txclaim.Prepare(r.Context(), id)
		_, err := w.db.TransactWriteItems(r.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
			Put: &types.Put{TableName: aws.String(w.table), Item: dynamo.Key(issuesPK, id), ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
		if err != nil {
			return err
		}
		if sent != nil {
			id = sent(id)
		}
		return write(rw, id)
	}
}

// An answer stored by the write itself needs no PutItem afterwards: a
// process that dies right after its write still leaves a retry the
// answer (where, without it, the retry gets idempotency_response_lost).
func TestAnAnswerStoredWithTheWriteSurvivesACrashBeforeCompletion(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.prepared(nil)
		w.failDone.Store(true) // any PutItem of a done record fails
		first := w.call(h, "k1")
		require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
		require.Equal(t, 1, w.issues())

		w.now.Add(31)
		retry := w.call(h, "k1")
		assert.Equal(t, http.StatusCreated, retry.Code, retry.Body.String())
		assert.Equal(t, first.Body.String(), retry.Body.String())
		assert.Equal(t, first.Header().Get("Location"), retry.Header().Get("Location"))
		assert.Equal(t, "true", retry.Header().Get(idempotency.ReplayedHeader))
		assert.Equal(t, 1, w.issues(), "the retry ran the write a second time")
	})
}

// When the answer sent is not the one rendered before the write, the one
// sent is stored (by the PutItem) and replayed.
func TestAnAnswerThatChangedAfterTheWriteIsStoredAsSent(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, w *world) {
		h := w.prepared(func(id string) string { return id + "-as-sent" })
		first := w.call(h, "k1")
		require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
		require.Contains(t, first.Body.String(), "-as-sent")
		retry := w.call(h, "k1")
		assert.Equal(t, first.Body.String(), retry.Body.String())
		assert.Equal(t, first.Header().Get("Location"), retry.Header().Get("Location"))
		assert.Equal(t, 1, w.issues())
	})
}

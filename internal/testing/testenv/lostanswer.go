package testenv

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// LostAnswers is a DynamoDB client's HTTP client that sends each request
// on, and for the first attempt of each call of the operations it was made
// for, drops the database's answer and fails the attempt with a connection
// reset: the write committed, its answer is lost, and the SDK retries the
// call (issue 15, "a retried conditional write answers a conflict for its
// own success").
type LostAnswers struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	ops map[string]bool
	mu  sync.Mutex
	// Dropped counts the answers dropped; seen keeps the SDK's invocation
	// ids (the same on every attempt of one call) of the calls dropped once.
	Dropped int
	seen    map[string]bool
	// whole is how many more calls lose every attempt's answer
	// (WithLostCalls); wholeCalls are those calls.
	whole      int
	wholeCalls map[string]bool
}

// WithLostCalls returns a copy of db whose first n calls of ops lose the
// answer of every attempt: each attempt reaches the database (the first
// commits; the SDK's retries of a write find its own commit, owntoken),
// and the call fails all the same, as when the network drops every answer
// until the SDK gives up or the caller's deadline comes. Later calls answer.
func WithLostCalls(db *dynamodb.Client, n int, ops ...string) (*dynamodb.Client, *LostAnswers) {
	c, l := WithLostAnswers(db, ops...)
	l.whole, l.wholeCalls = n, map[string]bool{}
	l.seen = nil
	return c, l
}

// WithLostAnswers returns a copy of db whose first attempt of every call of
// ops ("PutItem", "UpdateItem", "TransactWriteItems", ...) commits and
// loses its answer.
func WithLostAnswers(db *dynamodb.Client, ops ...string) (*dynamodb.Client, *LostAnswers) {
	opts := db.Options()
	l := &LostAnswers{next: opts.HTTPClient, ops: map[string]bool{}, seen: map[string]bool{}}
	for _, op := range ops {
		l.ops[op] = true
	}
	opts.HTTPClient = l
	return dynamodb.New(opts), l
}

// Do implements the SDK's HTTPClient.
func (l *LostAnswers) Do(r *http.Request) (*http.Response, error) {
	res, err := l.next.Do(r)
	if err != nil {
		return res, err
	}
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	call := r.Header.Get("Amz-Sdk-Invocation-Id")
	l.mu.Lock()
	var drop bool
	if l.wholeCalls != nil {
		if l.ops[op] && !l.wholeCalls[call] && l.whole > 0 {
			l.wholeCalls[call] = true
			l.whole--
		}
		drop = l.wholeCalls[call]
	} else {
		// Only a committed attempt has an answer to lose.
		drop = l.ops[op] && !l.seen[call] && res.StatusCode == http.StatusOK
		if drop {
			l.seen[call] = true
		}
	}
	if drop {
		l.Dropped++
	}
	l.mu.Unlock()
	if !drop {
		return res, nil
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil, fmt.Errorf("read the answer of %s: %w", op, syscall.ECONNRESET)
}

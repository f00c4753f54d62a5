// Package txclaim binds an idempotency claim to a request's context and
// makes the request's own DynamoDB transaction commit it: a middleware on
// every DynamoDB client built by package awsx adds one action to each
// TransactWriteItems call made under a claim, so the write and the
// idempotency record change together or not at all.
//
// Two modes:
//   - a claimed key (Claim.Put nil): the record exists, pending, with the
//     claim's token; the action is an Update "token still ours → state
//     committed". If another request took the key over, the write does not
//     commit and the call fails with ErrLost.
//   - a key claimed by the write itself (Claim.Put set, routes whose write is
//     one transaction): the first transaction puts the record if the key is
//     free; if it is not, the call fails with a *TakenError carrying the
//     record. Later transactions of the same request use the Update form.
//
// The package depends on the SDK only, so awsx can install it.
package txclaim

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// MaxActions is DynamoDB's limit of actions in one transaction: a
// transaction already that long runs without the marker.
const MaxActions = 100

// Record attributes the marker reads and writes (package idempotency's
// record item).
const (
	AttrToken      = "token"
	AttrState      = "state"
	AttrStatus     = "status"
	AttrHeader     = "header"
	AttrBody       = "body"
	StateCommitted = "committed"
	// StateDone: the record holds the request's answer.
	StateDone = "done"
)

// Answer is a request's answer as the idempotency record keeps it: the
// status, the headers a replay repeats, and the body.
type Answer struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Equal reports whether two answers are the same.
func (a Answer) Equal(b Answer) bool {
	return a.Status == b.Status && maps.Equal(a.Header, b.Header) && bytes.Equal(a.Body, b.Body)
}

// Claim is one request's hold on an idempotency record.
type Claim struct {
	Table string
	Key   map[string]types.AttributeValue
	Token string
	// Put is the record to create in the first transaction (state
	// committed, with Token); nil when the key was claimed beforehand.
	Put map[string]types.AttributeValue
	// Now is the clock for the Put's condition (an expired record may be
	// replaced), in Unix seconds.
	Now int64
	// Render, set by a handler that knows its answer before its write (a
	// create answers with the item it writes), turns the value the write
	// is about to commit into that answer. Prepare calls it; the
	// transaction then stores the answer with the write, so no separate
	// write stores it afterwards (the wrapper checks that the answer sent
	// is the one stored, and stores the one sent when it is not).
	Render func(v any) (Answer, bool)

	answer    *Answer
	committed atomic.Bool
}

// Prepare renders, for the claim ctx carries (if any, and if its handler
// set Render), the answer that committing v will give; the request's
// transactions from then on store it with their write. Services call it
// just before the transaction that writes v.
func Prepare(ctx context.Context, v any) {
	c := From(ctx)
	if c == nil || c.Render == nil || c.committed.Load() {
		return
	}
	if a, ok := c.Render(v); ok {
		c.answer = &a
	}
}

// Stored returns the answer a committed transaction of this request stored
// with its write, if any.
func (c *Claim) Stored() (Answer, bool) {
	if c.answer == nil || !c.committed.Load() {
		return Answer{}, false
	}
	return *c.answer, true
}

// Committed reports whether a transaction of this request committed the
// marker (a transaction whose answer was lost may have committed it too:
// the record's state is the truth).
func (c *Claim) Committed() bool { return c.committed.Load() }

// ErrLost: the claim's token is no longer on the record (a retry took the
// key over after the lease): the transaction did not commit.
var ErrLost = errors.New("idempotency claim lost to another request")

// TakenError: the key is already held (Put mode); Item is the record as
// stored. The transaction did not commit.
type TakenError struct {
	Item map[string]types.AttributeValue
}

func (e *TakenError) Error() string { return "idempotency key already taken" }

type ctxKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c *Claim) context.Context { return context.WithValue(ctx, ctxKey{}, c) }

// From returns the claim ctx carries, or nil.
func From(ctx context.Context) *Claim {
	c, _ := ctx.Value(ctxKey{}).(*Claim)
	return c
}

// Middleware installs the marker on a DynamoDB client's stack (an
// APIOptions entry): on TransactWriteItems only, the one operation it acts
// on. The SDK builds a call's stack anew on every call, so a middleware on
// every operation costs every read its insertion and a layer of the handler
// chain (awsx.TestWriteMiddlewaresStayOffReads).
func Middleware(st *middleware.Stack) error {
	if st.ID() != "TransactWriteItems" {
		return nil
	}
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("IdempotencyClaimMarker", handle), middleware.After)
}

func handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	c := From(ctx)
	tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
	if c == nil || !ok || len(tw.TransactItems) >= MaxActions || !writesTable(tw.TransactItems, c.Table) {
		return next.HandleInitialize(ctx, in)
	}
	putting := c.Put != nil && !c.committed.Load()
	n := len(tw.TransactItems)
	cp := *tw
	cp.TransactItems = append(slices.Clip(tw.TransactItems), c.action(putting))
	in.Parameters = &cp
	out, md, err := next.HandleInitialize(ctx, in)
	if err == nil {
		c.committed.Store(true)
		return out, md, nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) <= n {
		return out, md, err
	}
	if mine := tce.CancellationReasons[n]; aws.ToString(mine.Code) == "ConditionalCheckFailed" {
		if putting {
			return out, md, &TakenError{Item: mine.Item}
		}
		return out, md, ErrLost
	}
	// The caller's own items failed: hide the marker's reason, so stores that
	// read CancellationReasons by index see their own transaction.
	tce.CancellationReasons = tce.CancellationReasons[:n]
	return out, md, err
}

func (c *Claim) action(putting bool) types.TransactWriteItem {
	if putting {
		item := c.Put
		if c.answer != nil {
			item = maps.Clone(c.Put)
			maps.Copy(item, c.answer.attributes())
			item[AttrState] = &types.AttributeValueMemberS{Value: StateDone}
		}
		return types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(c.Table), Item: item,
			ConditionExpression:                 aws.String("attribute_not_exists(pk) OR expires_at < :now"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Now, 10)}},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}
	}
	up := &types.Update{
		TableName: aws.String(c.Table), Key: c.Key,
		UpdateExpression:         aws.String("SET #s = :committed"),
		ConditionExpression:      aws.String("#t = :token"),
		ExpressionAttributeNames: map[string]string{"#s": AttrState, "#t": AttrToken},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":committed": &types.AttributeValueMemberS{Value: StateCommitted},
			":token":     &types.AttributeValueMemberS{Value: c.Token}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if c.answer != nil {
		up.UpdateExpression = aws.String("SET #s = :committed, #status = :status, #header = :header, #body = :body")
		up.ExpressionAttributeNames["#status"], up.ExpressionAttributeNames["#header"], up.ExpressionAttributeNames["#body"] = AttrStatus, AttrHeader, AttrBody
		a := c.answer.attributes()
		up.ExpressionAttributeValues[":committed"] = &types.AttributeValueMemberS{Value: StateDone}
		up.ExpressionAttributeValues[":status"], up.ExpressionAttributeValues[":header"], up.ExpressionAttributeValues[":body"] = a[AttrStatus], a[AttrHeader], a[AttrBody]
	}
	return types.TransactWriteItem{Update: up}
}

// attributes are the answer's attributes on the record (package
// idempotency's record item: status, header, body).
func (a Answer) attributes() map[string]types.AttributeValue {
	h := make(map[string]types.AttributeValue, len(a.Header))
	for k, v := range a.Header {
		h[k] = &types.AttributeValueMemberS{Value: v}
	}
	body := a.Body
	if body == nil {
		body = []byte{}
	}
	return map[string]types.AttributeValue{
		AttrStatus: &types.AttributeValueMemberN{Value: strconv.Itoa(a.Status)},
		AttrHeader: &types.AttributeValueMemberM{Value: h},
		AttrBody:   &types.AttributeValueMemberB{Value: body},
	}
}

// writesTable: the marker goes only into transactions on the record's table.
func writesTable(items []types.TransactWriteItem, table string) bool {
	for _, it := range items {
		var t *string
		switch {
		case it.Put != nil:
			t = it.Put.TableName
		case it.Update != nil:
			t = it.Update.TableName
		case it.Delete != nil:
			t = it.Delete.TableName
		case it.ConditionCheck != nil:
			t = it.ConditionCheck.TableName
		}
		if aws.ToString(t) == table {
			return true
		}
	}
	return false
}

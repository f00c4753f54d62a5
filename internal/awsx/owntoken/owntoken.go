// Package owntoken makes a conditional DynamoDB write that the SDK retries
// recognise its own earlier success (issue 15).
//
// The SDK retries a call whose answer it did not get (a connection reset,
// a timeout, a 5xx), but the attempt whose answer was lost may have
// committed. The retry of a conditional write then meets its own write:
// a create (attribute_not_exists) finds the item it created and fails its
// condition, an update guarded by a version finds the version it set. The
// store answers a conflict (409 view_exists, 412) for the client's own
// successful write, and an unconditioned-by-version update that adds to a
// counter is applied twice.
//
// A middleware on every DynamoDB client built by package awsx gives each
// PutItem and UpdateItem call that has a ConditionExpression a token of its
// own, the same for all the SDK's attempts of that call (the Initialize
// step runs once per call, the retries below it), and so each UpdateItem
// whose expression accumulates (Accumulates: an ADD, arithmetic,
// list_append), condition or not: a counter's retry after a lost answer
// must not count twice. The token's bytes (Size) are then part of the item:
//
//   - the item written carries the token (attribute Attr);
//   - the condition becomes (condition) AND (attribute_not_exists(Attr) OR
//     Attr <> token), so a retry after the call's own commit always fails
//     its condition, and an update is never applied twice;
//   - ReturnValuesOnConditionCheckFailure is ALL_OLD, so a failed condition
//     returns the item as stored: if it carries the call's token, an earlier
//     attempt of this very call committed, and the call succeeds (an
//     UpdateItem asked for ALL_NEW or UPDATED_NEW answers the stored item).
//
// A token is random and used by one call only, so finding it proves that
// call's write committed. TransactWriteItems needs none of this: the SDK
// gives each call a ClientRequestToken, and DynamoDB (and DynamoDB Local)
// answers a retry with the same token as the first commit for 10 minutes.
// Calls that ask for the old item (ReturnValues ALL_OLD or UPDATED_OLD) get
// the token too: their retry after their own commit succeeds instead of
// answering a conflict, but the old item is gone by then, so the output
// carries no Attributes and its ResultMetadata says so (OldLost). A caller
// that needs the old values knows the item before the call and falls back
// to it (OldItem: the purge's marker, a mail suppression), or keeps what it
// needs in the item itself (usagedb keeps the previous day beside the last:
// UPDATED_NEW answers it). A conditional DeleteItem leaves nothing to carry a token: a
// retried one whose condition fails on an item that is gone is taken as its
// own success (deleteCall); an unconditional DeleteItem asked for ALL_OLD
// whose retry found nothing is marked OldLost as well (its first attempt
// may have deleted the item).
//
// The token is bookkeeping, not data: the domain stores unmarshal items into
// their types and never read it; whatever copies items raw (the export)
// drops it (Strip). The package depends on the SDK only, so awsx can
// install it.
package owntoken

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Attr is the attribute that carries the token of the last conditional
// write of an item (access.WriteToken: grants limited to some attributes
// allow it).
const Attr = "wtok"

const (
	namePH  = "#owntok"
	valuePH = ":owntok"
)

// Recognised counts the retried calls that found their own earlier
// success (instead of answering a conflict); Attempts counts the SDK's
// attempts of all calls. A call that succeeded after a retry is logged
// (INFO) with its operation and attempts.
var Recognised, Attempts atomic.Int64

// Operations are the operations handle acts on (a conditional PutItem,
// UpdateItem or DeleteItem): the only ones Middleware is installed on.
var Operations = []string{"PutItem", "UpdateItem", "DeleteItem"}

// Middleware installs the token on a DynamoDB client's stack (an
// APIOptions entry): on the conditional single-item writes it acts on
// (Operations) only. The SDK builds a call's stack anew on every call, so
// the two middlewares on every operation cost every read their insertion
// and two layers of the handler chain.
func Middleware(st *middleware.Stack) error {
	if !slices.Contains(Operations, st.ID()) {
		return nil
	}
	if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("OwnWriteToken", handle), middleware.After); err != nil {
		return err
	}
	// Below the retry loop: runs once per attempt.
	return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("OwnWriteTokenAttempts", countAttempt), middleware.After)
}

type attemptsKey struct{}

func countAttempt(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if n, ok := ctx.Value(attemptsKey{}).(*int); ok {
		*n++
		Attempts.Add(1)
	}
	return next.HandleFinalize(ctx, in)
}

// handle acts on the inputs of Operations (keep the two in step).
func handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	switch p := in.Parameters.(type) {
	case *dynamodb.PutItemInput:
		if p.ConditionExpression == nil {
			break
		}
		tok := rand.Text()
		cp := *p
		cp.Item = maps.Clone(p.Item)
		cp.Item[Attr] = &types.AttributeValueMemberS{Value: tok}
		cp.ConditionExpression, cp.ExpressionAttributeNames, cp.ExpressionAttributeValues = guard(p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues, tok)
		cp.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		in.Parameters = &cp
		return call(ctx, in, next, "PutItem", tok, p.ReturnValues == types.ReturnValueAllOld, func(map[string]types.AttributeValue) any { return &dynamodb.PutItemOutput{} })
	case *dynamodb.UpdateItemInput:
		if p.UpdateExpression == nil || (p.ConditionExpression == nil && !Accumulates(*p.UpdateExpression)) {
			break
		}
		tok := rand.Text()
		cp := *p
		cp.ConditionExpression, cp.ExpressionAttributeNames, cp.ExpressionAttributeValues = guard(p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues, tok)
		cp.UpdateExpression = aws.String(withSet(*p.UpdateExpression))
		cp.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		in.Parameters = &cp
		old := p.ReturnValues == types.ReturnValueAllOld || p.ReturnValues == types.ReturnValueUpdatedOld
		return call(ctx, in, next, "UpdateItem", tok, old, func(item map[string]types.AttributeValue) any {
			out := &dynamodb.UpdateItemOutput{}
			if p.ReturnValues == types.ReturnValueAllNew || p.ReturnValues == types.ReturnValueUpdatedNew {
				out.Attributes = Strip(item)
			}
			return out
		})
	case *dynamodb.DeleteItemInput:
		if p.ConditionExpression == nil {
			if p.ReturnValues == types.ReturnValueAllOld {
				return unconditionalDelete(ctx, in, next)
			}
			break
		}
		cp := *p
		cp.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		in.Parameters = &cp
		return deleteCall(ctx, in, next, p.ReturnValues == types.ReturnValueAllOld)
	}
	attempts := new(int)
	out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, attempts), in)
	logRetried(ctx, middleware.GetOperationName(ctx), *attempts, err)
	return out, md, err
}

// deleteCall runs a conditional DeleteItem: a delete leaves no item to
// carry a token, so a retried call whose condition fails on an item that is
// no longer there is taken as the call's own earlier success (the item is
// gone, which is what the call asked for: its first attempt deleted it, or
// another call did meanwhile, and a DELETE is idempotent). A failed
// condition on an item that is there (a version that moved on) stays a
// conflict, and so does a first attempt's.
func deleteCall(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler, old bool) (middleware.InitializeOutput, middleware.Metadata, error) {
	attempts := new(int)
	out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, attempts), in)
	var ccf *types.ConditionalCheckFailedException
	if err == nil || *attempts < 2 || !errors.As(err, &ccf) || len(ccf.Item) > 0 {
		logRetried(ctx, "DeleteItem", *attempts, err)
		return out, md, err
	}
	Recognised.Add(1)
	slog.InfoContext(ctx, "dynamodb: a retried delete found its item gone", "op", "DeleteItem", "attempts", *attempts)
	if old {
		md.Set(oldLostKey{}, true)
	}
	return middleware.InitializeOutput{Result: &dynamodb.DeleteItemOutput{}}, md, nil
}

// unconditionalDelete runs a DeleteItem without a condition that asks for
// the old item: a retry after its first attempt deleted the item answers
// no Attributes, as if there had been none; the output says OldLost then.
func unconditionalDelete(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	attempts := new(int)
	out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, attempts), in)
	logRetried(ctx, "DeleteItem", *attempts, err)
	if o, ok := out.Result.(*dynamodb.DeleteItemOutput); ok && err == nil && *attempts > 1 && len(o.Attributes) == 0 {
		md.Set(oldLostKey{}, true)
	}
	return out, md, err
}

type oldLostKey struct{}

// OldLost reports whether a call that asked for the old item (ReturnValues
// ALL_OLD or UPDATED_OLD) succeeded through a retry after its own first
// attempt had committed: the old values are unknown (the output has none),
// though the write is done. md is the output's ResultMetadata.
func OldLost(md middleware.Metadata) bool {
	v, _ := md.Get(oldLostKey{}).(bool)
	return v
}

// OldItem is the item a call that asked for it (ReturnValues ALL_OLD)
// replaced or deleted: the answer's attrs, or, when the answer that carried
// them was lost and the SDK's retry found the call's own commit (OldLost),
// known: the item as the caller read or wrote it before the call. Every
// caller that needs the old item decides the same way: it knows the item
// before the call (a consistent read, or the write that made it), and the
// answer says whether this call was the one that replaced it (an empty
// answer that is not OldLost: another call had, and known is not used).
// An estimate would be off (the purge's marker estimated with the time of
// the purge, not of the delete: up to 10 bytes per marker), and an answer
// without the old values (the mail suppression's lift) would tell less
// than the call did. attrs and known are returned as they are: known may
// carry a token of its own (Strip it for the caller's data, keep it for a
// size).
func OldItem(attrs map[string]types.AttributeValue, md middleware.Metadata, known map[string]types.AttributeValue) map[string]types.AttributeValue {
	if OldLost(md) {
		return known
	}
	return attrs
}

// logRetried logs a call that succeeded after more than one attempt of the
// SDK's (the earlier attempts may have committed: the chaos suite's record,
// in services.log, of which writes were retried). A call that failed is the
// caller's to report.
func logRetried(ctx context.Context, op string, attempts int, err error) {
	if attempts > 1 && err == nil {
		slog.InfoContext(ctx, "dynamodb: call succeeded after a retry", "op", op, "attempts", attempts)
	}
}

// call runs the call and turns a failed condition that found the call's own
// token into success.
func call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler, op, tok string, old bool, success func(map[string]types.AttributeValue) any) (middleware.InitializeOutput, middleware.Metadata, error) {
	attempts := new(int)
	out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, attempts), in)
	var ccf *types.ConditionalCheckFailedException
	if err == nil || !errors.As(err, &ccf) || !Ours(ccf.Item, tok) {
		logRetried(ctx, op, *attempts, err)
		return out, md, err
	}
	Recognised.Add(1)
	slog.InfoContext(ctx, "dynamodb: a retried write found its own earlier success", "op", op, "attempts", *attempts)
	if old {
		md.Set(oldLostKey{}, true)
	}
	return middleware.InitializeOutput{Result: success(ccf.Item)}, md, nil
}

// Accumulates reports whether an update expression is not idempotent:
// applied twice, it leaves another item than applied once. That is an ADD
// clause (a counter, or elements added to a set), arithmetic (SET n = n +
// :one, if_not_exists(n, :zero) + :one) or list_append. An UpdateItem whose
// expression accumulates carries the token even without a condition of its
// own (its condition is then the token's alone, which holds for every call
// but a retry of itself): a retry after a lost answer does not count twice.
// SET to values, REMOVE and DELETE (elements from a set) are idempotent and
// get no token without a condition: their retry writes the same item.
//
// ADD and SET are reserved words, never bare attribute names, and names and
// values in placeholders (#n, :v) are letters, digits and underscores, so
// the keyword and the operators are found by a scan of the text.
func Accumulates(expr string) bool {
	if strings.ContainsAny(expr, "+-") || strings.Contains(expr, "list_append(") {
		return true
	}
	word := func(c byte) bool {
		return c == '_' || c == '#' || c == ':' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	for i := 0; i+3 <= len(expr); i++ {
		if strings.EqualFold(expr[i:i+3], "ADD") && (i == 0 || !word(expr[i-1])) && (i+3 == len(expr) || !word(expr[i+3])) {
			return true
		}
	}
	return false
}

// Size is what the token adds to an item's stored size (dynamo.ItemSize):
// the attribute's name and a token of rand.Text's 26 characters. A store
// that meters its items' bytes (internal/usage) adds it for an item that a
// conditional PutItem or UpdateItem, or an accumulating UpdateItem, wrote:
// such an item keeps the token of its last such write.
const Size = int64(len(Attr) + 26)

// Ours reports whether item carries tok.
func Ours(item map[string]types.AttributeValue, tok string) bool {
	s, ok := item[Attr].(*types.AttributeValueMemberS)
	return ok && s.Value == tok
}

func guard(cond *string, names map[string]string, values map[string]types.AttributeValue, tok string) (*string, map[string]string, map[string]types.AttributeValue) {
	names, values = maps.Clone(names), maps.Clone(values)
	if names == nil {
		names = map[string]string{}
	}
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	names[namePH] = Attr
	values[valuePH] = &types.AttributeValueMemberS{Value: tok}
	c := "attribute_not_exists(" + namePH + ") OR " + namePH + " <> " + valuePH
	if cond != nil {
		c = "(" + *cond + ") AND (" + c + ")"
	}
	return &c, names, values
}

// withSet adds "Attr = token" to an update expression's SET clause, or a
// SET clause of its own. SET is a reserved word: standing alone it is the
// clause's keyword, never an attribute name.
func withSet(expr string) string {
	const set = namePH + " = " + valuePH
	space := func(i int) bool { return i < 0 || i >= len(expr) || strings.ContainsRune(" \t\r\n", rune(expr[i])) }
	for i := 0; i+3 <= len(expr); i++ {
		if strings.EqualFold(expr[i:i+3], "SET") && space(i-1) && space(i+3) && i+3 < len(expr) {
			return expr[:i+4] + set + ", " + expr[i+4:]
		}
	}
	return expr + "\nSET " + set
}

// Strip returns item without the token (item itself when it has none).
func Strip(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if _, ok := item[Attr]; !ok {
		return item
	}
	out := maps.Clone(item)
	delete(out, Attr)
	return out
}

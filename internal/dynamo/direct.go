package dynamo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// GetItemDirect is GetItem with the answer decoded straight into out (a
// pointer to a struct) by the direct decoder (itemjson.go) instead of the
// SDK's deserializer and attributevalue. Only the answer's decoding
// changes: the request, its signing, retries, timeouts and the SDK's
// errors are the SDK client's (an answer that is not 2xx, DynamoDB's error
// bodies, is decoded by the SDK into its typed errors), and an answer the
// direct decoder declines is decoded by the SDK from the same bytes, then
// by attributevalue, as GetItem does.
func GetItemDirect(ctx context.Context, db *dynamodb.Client, table string, key map[string]types.AttributeValue, out any, what string, notFound error) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return GetItem(ctx, db, table, key, out, what, notFound)
	}
	pl := planFor(rv.Elem().Type())
	if pl == nil {
		return GetItem(ctx, db, table, key, out, what, notFound)
	}
	r := &directRead{dst: rv.Elem(), plan: pl}
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)}, r.use)
	if err != nil {
		return fmt.Errorf("get %s: %w", what, err)
	}
	switch r.state {
	case directItem:
		return nil
	case directNoItem:
		return notFound
	}
	if res.Item == nil {
		return notFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

const (
	directSDK    = iota // the SDK decoded the answer (declined, or an error)
	directItem          // decoded into dst
	directNoItem        // a 2xx answer without an Item
)

// directRead stands in for the client's protocol for one call: it
// serializes as the protocol does and decodes a 2xx answer into dst.
type directRead struct {
	smithyhttp.ClientProtocol
	dst   reflect.Value
	plan  *plan
	state int
}

func (r *directRead) use(o *dynamodb.Options) {
	r.ClientProtocol = o.Protocol
	o.Protocol = r
}

var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (r *directRead) DeserializeResponse(ctx context.Context, op *smithy.OperationSchema, types *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	r.state = directSDK
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return r.ClientProtocol.DeserializeResponse(ctx, op, types, resp, out)
	}
	buf := answerBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer answerBufs.Put(buf)
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return &smithy.DeserializationError{Err: err} // as the SDK's protocol answers a body it cannot read (a CRC32 mismatch too)
	}
	found, err := decodeGetItem(buf.Bytes(), r.dst, r.plan)
	if err == nil {
		r.state = directNoItem
		if found {
			r.state = directItem
		}
		return nil
	}
	r.dst.SetZero()
	body := resp.Body
	resp.Body = readCloser{bytes.NewReader(buf.Bytes()), body}
	defer func() { resp.Body = body }()
	return r.ClientProtocol.DeserializeResponse(ctx, op, types, resp, out)
}

type readCloser struct {
	io.Reader
	io.Closer
}

package dynamo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type kindName string

type sub struct {
	Handle string `dynamodbav:"handle"`
	UserID string `dynamodbav:"user_id"`
	N      int    `dynamodbav:"n,omitempty"`
}

// everyKind has a field of every kind the direct decoder decodes (those of
// issuedb's items, and a few more).
type everyKind struct {
	PK       string         `dynamodbav:"pk"`
	Str      string         `dynamodbav:"s"`
	Named    kindName       `dynamodbav:"named"`
	Int      int            `dynamodbav:"i"`
	I64      int64          `dynamodbav:"i64"`
	I8       int8           `dynamodbav:"i8"`
	F        float64        `dynamodbav:"f"`
	B        bool           `dynamodbav:"b"`
	PInt     *int           `dynamodbav:"pi,omitempty"`
	PBool    *bool          `dynamodbav:"pb,omitempty"`
	PTime    *time.Time     `dynamodbav:"pt,omitempty"`
	PNull    *int           `dynamodbav:"pnull"`
	T        time.Time      `dynamodbav:"t"`
	L        []string       `dynamodbav:"l,omitempty"`
	Empty    []string       `dynamodbav:"empty"`
	Subs     []sub          `dynamodbav:"subs,omitempty"`
	Sub      sub            `dynamodbav:"sub"`
	Counts   map[string]int `dynamodbav:"counts"`
	Fields   map[string]any `dynamodbav:"fields,omitempty"`
	Any      any            `dynamodbav:"any"`
	Untagged string
	Skipped  string `dynamodbav:"-"`
	hidden   string //nolint:unused // attributevalue skips it, and so must the decoder
}

func ptr[T any](v T) *T { return &v }

func fullItem() everyKind {
	t := time.Date(2026, 12, 2, 13, 4, 5, 123456789, time.UTC)
	return everyKind{
		PK: "T#acme#ISSUE#01J", Str: "Checkout \"broken\" \\ on Safari\n\ttab é ✓ 日本", Named: "bug",
		Int: -42, I64: 1 << 53, I8: -128, F: 3.25, B: true,
		PInt: ptr(0), PBool: ptr(false), PTime: ptr(t.Add(time.Hour)), T: t,
		L: []string{"ui", "", "p1"}, Empty: []string{}, Subs: []sub{{Handle: "ann", UserID: "u1"}, {Handle: "bo", UserID: "u2", N: 3}},
		Sub: sub{Handle: "h", UserID: "u"}, Counts: map[string]int{"a": 1, "b": -2},
		Fields: map[string]any{"sev": "high", "points": 5.0, "done": true, "none": nil, "tags": []any{"x", 1.5, false, nil, map[string]any{}},
			"nested": map[string]any{"k": []any{}}},
		Any: map[string]any{"x": "y"}, Untagged: "u", Skipped: "",
	}
}

// avJSON writes an attribute value as DynamoDB's JSON wire format.
func avJSON(b *bytes.Buffer, av types.AttributeValue) {
	str := func(s string) { j, _ := json.Marshal(s); b.Write(j) }
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		b.WriteString(`{"S":`)
		str(v.Value)
	case *types.AttributeValueMemberN:
		b.WriteString(`{"N":`)
		str(v.Value)
	case *types.AttributeValueMemberBOOL:
		fmt.Fprintf(b, `{"BOOL":%t`, v.Value)
	case *types.AttributeValueMemberNULL:
		fmt.Fprintf(b, `{"NULL":%t`, v.Value)
	case *types.AttributeValueMemberSS:
		b.WriteString(`{"SS":[`)
		for i, s := range v.Value {
			if i > 0 {
				b.WriteByte(',')
			}
			str(s)
		}
		b.WriteByte(']')
	case *types.AttributeValueMemberL:
		b.WriteString(`{"L":[`)
		for i, e := range v.Value {
			if i > 0 {
				b.WriteByte(',')
			}
			avJSON(b, e)
		}
		b.WriteByte(']')
	case *types.AttributeValueMemberM:
		b.WriteString(`{"M":`)
		mapJSON(b, v.Value)
	default:
		panic(fmt.Sprintf("avJSON: %T", av))
	}
	b.WriteByte('}')
}

func mapJSON(b *bytes.Buffer, m map[string]types.AttributeValue) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		j, _ := json.Marshal(k)
		b.Write(j)
		b.WriteByte(':')
		avJSON(b, m[k])
	}
	b.WriteByte('}')
}

func answerOf(t testing.TB, item map[string]types.AttributeValue) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"Item":`)
	mapJSON(&b, item)
	b.WriteByte('}')
	return b.Bytes()
}

func marshal(t testing.TB, v any) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(v)
	require.NoError(t, err)
	return m
}

// sdkDecode is what the SDK's protocol and attributevalue make of a 2xx
// GetItem answer: the reference the direct decoder must agree with.
func sdkDecode(p []byte, out any) (bool, error) {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(p))}}
	res := &dynamodb.GetItemOutput{}
	op := smithy.NewOperationSchema(schemas.GetItem, schemas.GetItemInput, schemas.GetItemOutput)
	if err := awsjson.New10(schemas.DynamoDB_20120810).DeserializeResponse(context.Background(), op, dynamodb.TypeRegistry, resp, res); err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

func TestTheDirectDecoderDecodesEveryKindAsTheSDKDoes(t *testing.T) {
	want := fullItem()
	item := marshal(t, want)
	item["pnull"] = &types.AttributeValueMemberNULL{Value: true}
	item["unknown"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberSS{Value: []string{"a"}}, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}}
	p := answerOf(t, item)

	var got everyKind
	found, err := dynamo.DecodeGetItem(p, &got)
	require.NoError(t, err, "the direct decoder decodes every kind of this item itself")
	assert.True(t, found)
	var sdk everyKind
	sdkFound, err := sdkDecode(p, &sdk)
	require.NoError(t, err)
	assert.True(t, sdkFound)
	assert.Equal(t, sdk, got)
	assert.Equal(t, want, got, "and both are the item written")

	// White space between tokens, as any JSON writer may put it.
	spaced := bytes.NewBuffer(nil)
	require.NoError(t, json.Indent(spaced, p, " ", "\t"))
	var got2 everyKind
	found, err = dynamo.DecodeGetItem(spaced.Bytes(), &got2)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, want, got2)

	for _, c := range []struct{ name, body string }{
		{"no Item", `{}`},
		{"no Item, spaced", " { }\n"},
	} {
		var v everyKind
		found, err := dynamo.DecodeGetItem([]byte(c.body), &v)
		require.NoError(t, err, c.name)
		assert.False(t, found, c.name)
		sdkFound, err := sdkDecode([]byte(c.body), &v)
		require.NoError(t, err, c.name)
		assert.False(t, sdkFound, c.name)
	}
}

// What the direct decoder leaves to the SDK: every one of these is decided
// by the SDK (and attributevalue) from the same bytes.
func TestTheDirectDecoderDeclinesWhatItDoesNotDecodeExactly(t *testing.T) {
	for name, body := range map[string]string{
		"a string set":                 `{"Item":{"l":{"SS":["a","b"]}}}`,
		"binary":                       `{"Item":{"s":{"B":"aGk="}}}`,
		"NULL false":                   `{"Item":{"pi":{"NULL":false}}}`,
		"two members in one value":     `{"Item":{"s":{"S":"a","N":"1"}}}`,
		"a number out of int8's range": `{"Item":{"i8":{"N":"300"}}}`,
		"a fraction into an int":       `{"Item":{"i":{"N":"1.5"}}}`,
		"a string into an int":         `{"Item":{"i":{"S":"1"}}}`,
		"a time that is not RFC 3339":  `{"Item":{"t":{"S":"yesterday"}}}`,
		"an attribute given twice":     `{"Item":{"s":{"S":"a"},"s":{"S":"b"}}}`,
		"a name that differs by case":  `{"Item":{"S":{"S":"a"}}}`,
		"a surrogate escape":           `{"Item":{"s":{"S":"\ud83d\ude00"}}}`,
		"invalid UTF-8":                "{\"Item\":{\"s\":{\"S\":\"\xff\"}}}",
		"ConsumedCapacity":             `{"ConsumedCapacity":{"TableName":"t","CapacityUnits":1},"Item":{}}`,
		"Item null":                    `{"Item":null}`,
		"trailing bytes":               `{"Item":{}} x`,
		"truncated":                    `{"Item":{"s":{"S":"a"}`,
		"empty":                        ``,
	} {
		var v everyKind
		_, err := dynamo.DecodeGetItem([]byte(body), &v)
		assert.ErrorIs(t, err, dynamo.ErrDeclined, name)
	}
}

// ddbStub answers GetItem calls with what answer gives for attempt n (from 1).
func ddbStub(t *testing.T, answer func(n int, w http.ResponseWriter)) (*dynamodb.Client, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		answer(int(calls.Add(1)), w)
	}))
	t.Cleanup(srv.Close)
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = time.Millisecond
		}),
	})
	return db, &calls
}

func answer(status int, errType, body string) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if errType != "" {
			w.Header().Set("X-Amzn-ErrorType", errType)
		}
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

var errGone = errors.New("gone")

func TestGetItemDirectAnswersAsGetItem(t *testing.T) {
	ctx := context.Background()
	key := dynamo.Key("T#acme#ISSUE#01J", "ISSUE")
	want := fullItem()
	item := marshal(t, want)
	item["pnull"] = &types.AttributeValueMemberNULL{Value: true}
	full := string(answerOf(t, item))

	get := func(db *dynamodb.Client) (sdk, direct everyKind, sdkErr, directErr error) {
		sdkErr = dynamo.GetItem(ctx, db, "app", key, &sdk, "issue", errGone)
		directErr = dynamo.GetItemDirect(ctx, db, "app", key, &direct, "issue", errGone)
		return
	}

	t.Run("an item", func(t *testing.T) {
		db, _ := ddbStub(t, answer(200, "", full))
		sdk, direct, sdkErr, directErr := get(db)
		require.NoError(t, sdkErr)
		require.NoError(t, directErr)
		assert.Equal(t, want, direct)
		assert.Equal(t, sdk, direct)
		// The direct decoder did the decoding, not the SDK's deserializer
		// behind it (about 140 allocations fewer per call).
		sdkAllocs := testing.AllocsPerRun(20, func() { var v everyKind; _ = dynamo.GetItem(ctx, db, "app", key, &v, "issue", errGone) })
		directAllocs := testing.AllocsPerRun(20, func() { var v everyKind; _ = dynamo.GetItemDirect(ctx, db, "app", key, &v, "issue", errGone) })
		assert.Less(t, directAllocs, sdkAllocs-80, "allocations per call: direct %.0f, SDK %.0f", directAllocs, sdkAllocs)
	})
	t.Run("no item", func(t *testing.T) {
		db, _ := ddbStub(t, answer(200, "", `{}`))
		_, _, sdkErr, directErr := get(db)
		assert.Same(t, errGone, sdkErr)
		assert.Same(t, errGone, directErr)
	})
	t.Run("an answer left to the SDK (a string set)", func(t *testing.T) {
		db, _ := ddbStub(t, answer(200, "", `{"Item":{"pk":{"S":"p"},"l":{"SS":["a","b"]}}}`))
		sdk, direct, sdkErr, directErr := get(db)
		require.NoError(t, sdkErr)
		require.NoError(t, directErr)
		assert.Equal(t, everyKind{PK: "p", L: []string{"a", "b"}}, direct)
		assert.Equal(t, sdk, direct)
	})
	t.Run("an answer attributevalue refuses", func(t *testing.T) {
		db, _ := ddbStub(t, answer(200, "", `{"Item":{"i8":{"N":"300"}}}`))
		_, _, sdkErr, directErr := get(db)
		require.Error(t, sdkErr)
		require.Error(t, directErr)
		assert.Equal(t, sdkErr.Error(), directErr.Error())
		assert.Contains(t, directErr.Error(), "decode issue")
	})
	t.Run("a checksum that does not match", func(t *testing.T) {
		// The SDK checks DynamoDB's CRC32 when the body is closed; the
		// direct read hands it the same body to close.
		db, _ := ddbStub(t, func(_ int, w http.ResponseWriter) {
			w.Header().Set("X-Amz-Crc32", "1")
			_, _ = io.WriteString(w, full)
		})
		_, _, sdkErr, directErr := get(db)
		assert.Equal(t, sdkErr == nil, directErr == nil, "%v / %v", sdkErr, directErr)
	})

	for _, c := range []struct {
		name, errType string
		status        int
		attempts      int32
		is            func(error) bool
	}{
		{"a table that does not exist", "ResourceNotFoundException", 400, 1, func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		{"throughput exceeded (retried)", "ProvisionedThroughputExceededException", 400, 3, func(err error) bool {
			var e *types.ProvisionedThroughputExceededException
			return errors.As(err, &e)
		}},
		{"throttling (retried)", "ThrottlingException", 400, 3, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{"an internal error (retried)", "InternalServerError", 500, 3, func(err error) bool { var e *types.InternalServerError; return errors.As(err, &e) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"no: %s"}`, c.errType, c.name)
			db, calls := ddbStub(t, answer(c.status, c.errType, body))
			var v everyKind
			err := dynamo.GetItemDirect(ctx, db, "app", key, &v, "issue", errGone)
			require.Error(t, err)
			assert.True(t, c.is(err), "%T %v", err, err)
			assert.Equal(t, c.attempts, calls.Load(), "attempts")
			calls.Store(0)
			sdkErr := dynamo.GetItem(ctx, db, "app", key, &v, "issue", errGone)
			assert.Equal(t, sdkErr.Error(), err.Error())
			assert.Equal(t, c.attempts, calls.Load())
		})
	}

	t.Run("throttled, then the item", func(t *testing.T) {
		throttled := answer(400, "ThrottlingException", `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"}`)
		db, calls := ddbStub(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				throttled(n, w)
				return
			}
			answer(200, "", full)(n, w)
		})
		var v everyKind
		require.NoError(t, dynamo.GetItemDirect(ctx, db, "app", key, &v, "issue", errGone))
		assert.Equal(t, want, v)
		assert.EqualValues(t, 2, calls.Load())
	})
}

// FuzzDecodeGetItem: wherever the direct decoder answers (it declines the
// rest), the SDK's protocol and attributevalue answer the same.
//
//	go test -run '^$' -fuzz FuzzDecodeGetItem -fuzztime 60s ./internal/dynamo/
func FuzzDecodeGetItem(f *testing.F) {
	item := marshal(f, fullItem())
	item["pnull"] = &types.AttributeValueMemberNULL{Value: true}
	f.Add(answerOf(f, item))
	for _, s := range []string{
		`{}`, `{"Item":{}}`, ` {"Item" : {"s" : {"S" : "a\u00e9\n"} } } `,
		`{"Item":{"fields":{"M":{"a":{"L":[{"N":"1e3"},{"NULL":true},{"BOOL":false}]}}}}}`,
		`{"Item":{"i":{"N":"-0"},"f":{"N":"1E-3"},"i64":{"N":"+7"}}}`,
		`{"Item":{"pi":{"NULL":true},"pt":{"S":"2026-12-02T13:04:05+01:00"}}}`,
		`{"Item":{"counts":{"M":{"a":{"N":"1"},"a":{"N":"2"}}}}}`,
		`{"Item":{"any":{"M":{}},"empty":{"L":[]},"subs":{"L":[{"M":{"handle":{"S":"h"}}}]}}}`,
		`{"Item":{"unknown":{"NS":["1","x"]},"s":{"S":"\/\b\f\r\t\"\\"}}}`,
		`{"Item":{"s":{"S":"a"}},"Item":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var direct everyKind
		found, err := dynamo.DecodeGetItem(p, &direct)
		if err != nil {
			if !errors.Is(err, dynamo.ErrDeclined) {
				t.Fatalf("an error other than declining: %v", err)
			}
			return
		}
		var sdk everyKind
		sdkFound, sdkErr := sdkDecode(p, &sdk)
		if sdkErr != nil {
			t.Fatalf("the direct decoder answered %q, the SDK failed: %v", p, sdkErr)
		}
		if found != sdkFound {
			t.Fatalf("%q: found %v, the SDK %v", p, found, sdkFound)
		}
		if !assert.Equal(t, sdk, direct) {
			t.Fatalf("%q: decoded differently", strings.ToValidUTF8(string(p), "?"))
		}
	})
}

// BenchmarkDecodeGetItemAnswer: one GetItem answer (the item of every kind,
// about 1.3 KB) decoded by the SDK's protocol and attributevalue, and by
// the direct decoder: the CPU and allocations the direct read saves per
// call, without a network or DynamoDB.
//
//	go test -run '^$' -bench BenchmarkDecodeGetItemAnswer -count 3 -cpu 1 ./internal/dynamo/
func BenchmarkDecodeGetItemAnswer(b *testing.B) {
	item := marshal(b, fullItem())
	item["pnull"] = &types.AttributeValueMemberNULL{Value: true}
	p := answerOf(b, item)
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			var v everyKind
			if _, err := sdkDecode(p, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			var v everyKind
			if _, err := dynamo.DecodeGetItem(p, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

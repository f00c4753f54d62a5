package awsx_test

import (
	"context"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

// getItemAnswer is a GetItem answer of an issue's size and shape.
const getItemAnswer = `{"Item":{"pk":{"S":"T#acme#I#01JDZQ3V7X9K2M4N6P8R0S1T2U"},"sk":{"S":"ISSUE"},` +
	`"id":{"S":"01JDZQ3V7X9K2M4N6P8R0S1T2U"},"tenantId":{"S":"acme"},"number":{"N":"42"},"key":{"S":"ACME-42"},` +
	`"title":{"S":"Checkout button does nothing on Safari"},"description":{"S":"Steps to reproduce:\n1. open the cart\n2. press checkout"},` +
	`"type":{"S":"bug"},"priority":{"S":"high"},"status":{"S":"in_progress"},"category":{"S":"started"},` +
	`"labels":{"L":[{"S":"frontend"},{"S":"safari"}]},"mentions":{"L":[]},"reporterId":{"S":"u1"},"assigneeId":{"S":"u2"},` +
	`"projectId":{"S":"default"},"createdAt":{"S":"2026-11-30T10:00:00Z"},"updatedAt":{"S":"2026-12-01T09:30:00Z"},` +
	`"version":{"N":"7"},"gsi1pk":{"S":"T#acme#ISSUES"},"gsi1sk":{"S":"2026-12-01T09:30:00Z#01JDZQ3V7X9K2M4N6P8R0S1T2U"}}}`

// dynamoStub answers every call with getItemAnswer and DynamoDB's CRC32
// header of it.
func dynamoStub(tb testing.TB) *httptest.Server {
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(getItemAnswer))), 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", crc)
		_, _ = w.Write([]byte(getItemAnswer))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetItemCall is the CPU of one GetItem call in this process (the
// SDK's middleware, signing, the HTTP exchange's client side, decoding)
// against a stub that answers at once (its CPU, in this process too, is the
// same for every client): the SDK's own cost per call, with the SDK's
// defaults, with LeanCalls, and with awsx.DynamoDB's client.
//
//	go test -run '^$' -bench BenchmarkGetItemCall -benchtime 20000x ./internal/awsx/
func BenchmarkGetItemCall(b *testing.B) {
	srv := dynamoStub(b)
	e := awsx.Endpoints{DynamoDB: srv.URL}
	ctx := context.Background()
	in := &dynamodb.GetItemInput{TableName: aws.String("issuetracker-app"), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "T#acme#I#01JDZQ3V7X9K2M4N6P8R0S1T2U"},
			"sk": &types.AttributeValueMemberS{Value: "ISSUE"}}}
	for _, c := range []struct {
		name string
		db   *dynamodb.Client
	}{
		{"sdk-defaults", dynamodb.NewFromConfig(awsx.LocalConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })},
		{"sdk-defaults+lean", dynamodb.NewFromConfig(awsx.LocalConfig(), func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			awsx.LeanCalls(o)
		})},
		{"awsx", awsx.DynamoDB(awsx.LocalConfig(), e)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range 20 {
				if _, err := c.db.GetItem(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				out, err := c.db.GetItem(ctx, in)
				if err != nil || len(out.Item) == 0 {
					b.Fatal(err, out)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}

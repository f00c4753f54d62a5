package awsx

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// A DynamoDB call's request goes to the socket in one write: the SDK's
// client alone writes its headers and then its body (two system calls per
// call, two segments for DynamoDB to read).
func TestADynamoDBCallIsOneWrite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Item":{"pk":{"S":"a"}}}`))
	}))
	defer srv.Close()
	writesPerCall := func(lean bool) float64 {
		var writes atomic.Int64
		hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			d := &net.Dialer{}
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := d.DialContext(ctx, network, addr)
				return countingConn{c, &writes}, err
			}
		})
		db := dynamodb.NewFromConfig(LocalConfig(), func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			o.HTTPClient = hc
			if lean {
				LeanCalls(o)
			}
		})
		const calls = 20
		for range calls {
			out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
			require.NoError(t, err)
			require.Len(t, out.Item, 1)
		}
		return float64(writes.Load()) / calls
	}
	assert.Equal(t, 2.0, writesPerCall(false), "the SDK alone (if this becomes 1, the SDK fixed it and wholeBodies can go)")
	assert.Equal(t, 1.0, writesPerCall(true), "with LeanCalls")
}

// countingResolver counts the rule evaluations of the SDK's resolver.
type countingResolver struct {
	next  dynamodb.EndpointResolverV2
	calls atomic.Int64
}

func (r *countingResolver) ResolveEndpoint(ctx context.Context, p dynamodb.EndpointParameters) (smithyendpoints.Endpoint, error) {
	r.calls.Add(1)
	return r.next.ResolveEndpoint(ctx, p)
}

// The endpoint cache answers what the SDK's rules answer, for tables named
// by name and by ARN, in AWS and against a local endpoint, with FIPS and
// dual-stack, and evaluates the rules once per set of parameters that does
// not name a table by ARN.
func TestTheEndpointCacheAnswersWhatTheRulesAnswer(t *testing.T) {
	rules := dynamodb.NewDefaultEndpointResolverV2()
	inner := &countingResolver{next: rules}
	cache := newEndpointCache(inner)
	arn := "arn:aws:dynamodb:eu-west-1:123456789012:table/issuetracker-app"
	var cases []dynamodb.EndpointParameters
	for _, region := range []string{"eu-west-1", "us-east-1", "cn-north-1", "us-gov-west-1"} {
		for _, endpoint := range []*string{nil, aws.String("http://127.0.0.1:8000")} {
			for _, fips := range []*bool{nil, aws.Bool(false), aws.Bool(true)} {
				for _, dual := range []*bool{nil, aws.Bool(false), aws.Bool(true)} {
					for _, acct := range []*string{nil, aws.String("123456789012")} {
						for _, mode := range []string{"preferred", "disabled", "required"} {
							for _, tables := range [][]string{{"issuetracker-app"}, {"issuetracker-control"}, {arn}, nil} {
								p := dynamodb.EndpointParameters{Region: aws.String(region), Endpoint: endpoint, UseFIPS: fips,
									UseDualStack: dual, AccountId: acct, AccountIdEndpointMode: aws.String(mode)}
								if len(tables) > 0 {
									p.ResourceArn = aws.String(tables[0])
									p.ResourceArnList = slices.Clone(tables)
								}
								cases = append(cases, p)
							}
						}
					}
				}
			}
		}
	}
	check := func() {
		for _, p := range cases {
			want, wantErr := rules.ResolveEndpoint(t.Context(), p)
			got, err := cache.ResolveEndpoint(t.Context(), p)
			if wantErr != nil {
				assert.Error(t, err, "%+v", p)
				continue
			}
			require.NoError(t, err, "%+v", p)
			assert.Equal(t, want.URI.String(), got.URI.String(), "%+v", p)
			assert.Equal(t, want.Headers, got.Headers, "%+v", p)
			wa, _ := want.Properties.Get("authSchemes").([]any)
			ga, _ := got.Properties.Get("authSchemes").([]any)
			assert.Equal(t, wa, ga, "%+v", p)
		}
	}
	check()
	// Again: now only the tables named by ARN, and the parameters the
	// rules refuse (errors are not cached), reach the rules.
	var uncached int64
	for _, p := range cases {
		if _, err := rules.ResolveEndpoint(t.Context(), p); err != nil || isARN(p.ResourceArn) {
			uncached++
		}
	}
	require.Greater(t, uncached, int64(0))
	require.Less(t, uncached, int64(len(cases)))
	inner.calls.Store(0)
	check()
	assert.Equal(t, uncached, inner.calls.Load(), "rule evaluations for %d calls", len(cases))
}

// The cache's key holds every endpoint parameter but the tables: a
// parameter the SDK adds would otherwise be ignored by the key.
func TestEndpointKeyCoversEveryParameter(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[dynamodb.EndpointParameters]().Fields() {
		names = append(names, f.Name)
	}
	assert.ElementsMatch(t, []string{"Region", "UseDualStack", "UseFIPS", "Endpoint", "AccountId", "AccountIdEndpointMode",
		"ResourceArn", "ResourceArnList", "IsSearchOperation"}, names,
		"dynamodb.EndpointParameters changed: add the new parameter to endpointKey (percall.go)")
}

package awsx

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// The DynamoDB client's per-call costs that its configuration can remove,
// measured by BenchmarkGetItemCall and in docs/performance.md. Both are
// options any user of the SDK has (Options.HTTPClient,
// Options.EndpointResolverV2), and the load tool's raw phase builds its
// client with awsx.DynamoDB too, so it gets them as well.

// maxWholeBody bounds the request bodies wholeBodies reads into memory.
// DynamoDB's largest request (a 100-item TransactWriteItems of 400 KB
// items) is larger, and is sent as before.
const maxWholeBody = 256 << 10

// wholeBodies sends a request whose body is small and of known length as
// one buffer. The SDK hands net/http its serialized request wrapped in its
// own reader, which net/http cannot tell is in memory: it then flushes the
// request's headers to the socket before copying the body, two writes (two
// system calls, two segments for DynamoDB to read) per call instead of one.
type wholeBodies struct{ next aws.HTTPClient }

func (c wholeBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength > 0 && r.ContentLength <= maxWholeBody {
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			_ = r.Body.Close()
			return nil, err
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b)) // net/http sees through NopCloser
	}
	return c.next.Do(r)
}

// endpointCache resolves each distinct set of endpoint parameters once.
// The SDK evaluates DynamoDB's endpoint rules on every call (the
// parameters bound, a decision diagram walked, the table name parsed as a
// possible ARN, the URL built): about 4% of a GetItem's CPU. The answer
// depends on the table only when the table is named by an ARN (its
// account and region pick the endpoint); such calls are resolved every
// time, as before.
type endpointCache struct {
	next dynamodb.EndpointResolverV2
	mu   sync.RWMutex
	m    map[endpointKey]smithyendpoints.Endpoint
}

// endpointKey is every EndpointParameters field but the tables
// (TestEndpointKeyCoversEveryParameter fails when the SDK adds one).
type endpointKey struct {
	region, endpoint, accountID, accountIDMode optString
	dualStack, fips, search                    int8 // 0 unset, 1 false, 2 true
}

// optString keeps an unset string apart from an empty one.
type optString struct {
	set bool
	s   string
}

func opt(s *string) optString {
	if s == nil {
		return optString{}
	}
	return optString{true, *s}
}

func tri(b *bool) int8 {
	switch {
	case b == nil:
		return 0
	case *b:
		return 2
	}
	return 1
}

func isARN(s *string) bool { return s != nil && strings.HasPrefix(*s, "arn:") }

// endpointCacheSize bounds the cache; one client sees a handful of keys
// (one per region and endpoint it is configured with).
const endpointCacheSize = 1024

func newEndpointCache(next dynamodb.EndpointResolverV2) *endpointCache {
	return &endpointCache{next: next, m: map[endpointKey]smithyendpoints.Endpoint{}}
}

func (c *endpointCache) ResolveEndpoint(ctx context.Context, p dynamodb.EndpointParameters) (smithyendpoints.Endpoint, error) {
	if isARN(p.ResourceArn) || len(p.ResourceArnList) > 0 && isARN(&p.ResourceArnList[0]) {
		return c.next.ResolveEndpoint(ctx, p)
	}
	k := endpointKey{region: opt(p.Region), endpoint: opt(p.Endpoint), accountID: opt(p.AccountId),
		accountIDMode: opt(p.AccountIdEndpointMode), dualStack: tri(p.UseDualStack), fips: tri(p.UseFIPS), search: tri(p.IsSearchOperation)}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return e, nil
	}
	e, err := c.next.ResolveEndpoint(ctx, p)
	if err != nil {
		return e, err // not cached: an error may depend on the table
	}
	c.mu.Lock()
	if len(c.m) >= endpointCacheSize {
		clear(c.m)
	}
	c.m[k] = e
	c.mu.Unlock()
	return e, nil
}

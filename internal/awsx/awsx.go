// Package awsx loads AWS SDK configuration once per process, pointing the
// clients at the local cloud when endpoints are set (make dev, tests) and at
// AWS otherwise.
package awsx

import (
	"errors"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/keylog"
)

// Endpoints overrides service endpoints; empty means AWS.
type Endpoints struct {
	DynamoDB string
	Cognito  string
	S3       string
}

// EndpointsFromEnv reads the local endpoints (envvars.DynamoDBEndpoint,
// CognitoEndpoint, S3Endpoint); unset in AWS.
func EndpointsFromEnv() Endpoints {
	return Endpoints{
		DynamoDB: os.Getenv(envvars.DynamoDBEndpoint),
		Cognito:  os.Getenv(envvars.CognitoEndpoint),
		S3:       os.Getenv(envvars.S3Endpoint),
	}
}

// Local reports whether any endpoint points at the local cloud.
func (e Endpoints) Local() bool { return e.DynamoDB != "" || e.Cognito != "" || e.S3 != "" }

// LocalConfig is the configuration of every client of the local cloud.
func LocalConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  HTTPClient(),
	}
}

// Timeouts of every AWS SDK call attempt: a dependency that stops
// answering costs a request a bounded wait, then the SDK's retries, then a
// 503 (httpapi.Classify), never a hang.
const (
	DialTimeout    = 2 * time.Second
	AttemptTimeout = 10 * time.Second
)

// MaxIdleConnsPerHost is how many idle connections to one endpoint the SDK's
// HTTP client keeps for reuse. The SDK keeps 10: a process with more calls
// in flight than that (the local platform serves every function's requests
// through one client) closed every connection beyond the tenth when its call
// ended and dialled a new one for the next call (thousands of sockets in
// TIME_WAIT at 32 clients, 3% of the platform's CPU in dialling, more in
// DynamoDB Local's accepting). A Lambda function makes one call at a time
// and never reaches it.
const MaxIdleConnsPerHost = 256

// HTTPClient is the SDK's HTTP client: DialTimeout to connect, AttemptTimeout
// for the answer's headers once the request is sent, and up to
// MaxIdleConnsPerHost connections kept for reuse.
func HTTPClient() *awshttp.BuildableClient { return httpClient(AttemptTimeout) }

// httpClient is HTTPClient waiting attempt for an answer's headers.
func httpClient(attempt time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			// The wait for the answer, not the whole exchange: a large export
			// upload to S3 may take longer than this and must not be cut.
			t.ResponseHeaderTimeout = attempt
			t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
			t.MaxIdleConns = max(t.MaxIdleConns, MaxIdleConnsPerHost)
		})
}

// DynamoDB builds a DynamoDB client for cfg and e, with DynamoDBRetryer,
// the idempotency marker (txclaim): a transaction made under a request's
// idempotency claim commits the claim with it, whichever store makes it,
// and the migration key log (keylog): a write made while the tenant's tier
// migration copies it logs its keys first, and the write token (owntoken):
// a conditional PutItem or UpdateItem that the SDK retries after its first
// attempt committed recognises its own write instead of failing its
// condition.
// Each of the three installs itself only on the write operations it acts
// on: the SDK builds every call's middleware stack anew, and reads carried
// them for nothing (TestWriteMiddlewaresStayOffReads).
func DynamoDB(cfg aws.Config, e Endpoints) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if e.DynamoDB != "" {
			o.BaseEndpoint = aws.String(e.DynamoDB)
		}
		o.Retryer = DynamoDBRetryer()
		o.APIOptions = append(o.APIOptions, txclaim.Middleware, keylog.Middleware, owntoken.Middleware)
		LeanCalls(o)
	})
}

// LeanCalls removes two per-call costs of the SDK's DynamoDB client
// (percall.go; docs/performance.md): the endpoint rules evaluated on every
// call (cached per set of parameters) and the request's headers and body
// written to the socket apart (one buffer when the body is small). The
// wrapped HTTP client is no *awshttp.BuildableClient, so the SDK no longer
// adjusts it per client (its defaults mode's timeouts, none in the legacy
// mode used here, and the opt-in 2026 read timeout): HTTPClient's own
// DialTimeout and AttemptTimeout bound every call, as before.
func LeanCalls(o *dynamodb.Options) {
	hc := o.HTTPClient
	if hc == nil {
		hc = HTTPClient()
	}
	o.HTTPClient = wholeBodies{next: hc}
	if o.EndpointResolverV2 == nil {
		o.EndpointResolverV2 = dynamodb.NewDefaultEndpointResolverV2()
	}
	o.EndpointResolverV2 = newEndpointCache(o.EndpointResolverV2)
}

// DynamoDB retries: the SDK's standard retryer (throttling, 5xx, broken
// connections) with more attempts and a shorter maximum backoff, which
// also retries a transaction cancelled only because another transaction
// was writing the same items at the same time (TransactionConflict: two
// comments on one issue, two writers of one counter). Such a transaction
// wrote nothing, and the SDK sends the same ClientRequestToken on every
// attempt, so repeating it is safe; a cancellation for any other reason
// (a condition that failed) is the caller's answer and is not retried.
// Without this, concurrent writers on a loaded machine got 500s.
//
// The client-side retry quota is off: in Lambda a client serves one
// request at a time, and the local platform runs every function's
// requests through one client, where a burst of conflicts would empty the
// shared bucket and fail unrelated requests.
const (
	DynamoDBMaxAttempts = 6
	DynamoDBMaxBackoff  = 800 * time.Millisecond
)

// DynamoDBRetryer returns the retryer DynamoDB clients use.
func DynamoDBRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = DynamoDBMaxAttempts
		o.MaxBackoff = DynamoDBMaxBackoff
		o.RateLimiter = ratelimit.None
		o.Retryables = append(slices.Clone(o.Retryables), retry.IsErrorRetryableFunc(TransactionConflict))
	})
}

// RetriesExhausted says whether err is an AWS call that the SDK's retryer
// gave up on after its attempts, each failing with an error it deems
// retryable (throttling, a 5xx, a broken connection, a response that
// timed out): an overloaded service, not a refusal. A long-running job may
// back off and try again later (a tier migration's copy and catch-up:
// onboarding.Machine.Transient).
func RetriesExhausted(err error) bool {
	var e *retry.MaxAttemptsError
	return errors.As(err, &e)
}

// TransactionConflict says whether err is a transaction cancelled only by
// conflicts with other transactions (retry), by something else (do not),
// or is not a cancelled transaction (no opinion).
func TransactionConflict(err error) aws.Ternary {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return aws.UnknownTernary
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict":
			conflict = true
		default:
			return aws.FalseTernary
		}
	}
	return aws.BoolTernary(conflict)
}

// BulkAttemptTimeout bounds an attempt of a bulk call (Bulk): a
// BatchWriteItem or BatchGetItem of up to 25 or 100 items, which a
// DynamoDB Local queueing other processes' batch writes answers only after
// every one before it (25-item batches took 10-25 s at load 25-32 while
// 21 batch writes waited in it, docs/performance.md "Cell moves under
// another process's load").
const BulkAttemptTimeout = 2 * time.Minute

// The bulk client is built on first use, not at package init: a package
// variable initialised by sync.OnceValue is linked into every function,
// and the issues function (which makes no bulk call) crossed its 10 MB
// size budget by it (cmd/lambdafigures -sizes).
var (
	bulkOnce   sync.Once
	bulkClient aws.HTTPClient
)

func bulkHTTP() aws.HTTPClient {
	bulkOnce.Do(func() { bulkClient = wholeBodies{next: httpClient(BulkAttemptTimeout)} })
	return bulkClient
}

// Bulk is a per-call option of DynamoDB's batch calls in long-running
// jobs (a migration's copy, rounds, barriers, drain and retirement): each
// attempt waits BulkAttemptTimeout for its answer instead of
// AttemptTimeout. An attempt that times out is still executed by the
// service, and the SDK sends it again: with the 10 s of AttemptTimeout,
// every attempt of a batch that DynamoDB Local answered in 11-25 s timed
// out, was executed anyway and sent again, six times, each resend another
// batch in its queue, and the move's catch_up failed its four retries
// (exceeded maximum number of attempts) while its writes had landed.
func Bulk(o *dynamodb.Options) { o.HTTPClient = bulkHTTP() }

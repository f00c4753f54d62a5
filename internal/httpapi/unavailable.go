package httpapi

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	"github.com/issuetracker/issuetracker/internal/errs"
)

// RetryAfterUnavailable is the Retry-After (seconds) of a 503: long enough
// for a restarted dependency, short enough that a client's retry is prompt.
const RetryAfterUnavailable = "2"

// RetryAfterThrottled is the Retry-After (seconds) of a 429 whose producer
// set none: a limiter's own wait, when it knows one, is more exact.
const RetryAfterThrottled = "1"

// RetryAfter is the Retry-After every answer of status must carry when its
// producer set none (every 429 and 503 of the platform says when to come
// back); empty for any other status.
func RetryAfter(status int) string {
	switch status {
	case 503:
		return RetryAfterUnavailable
	case 429:
		return RetryAfterThrottled
	}
	return ""
}

// Classify returns the classified error of err. An unclassified (internal)
// error caused by a dependency that cannot answer now (connection refused or
// reset, a timeout, throttling, a server fault of an AWS service) becomes a
// 503 the client may retry, not a 500: the request did not fail because of
// a defect, and nothing it asked for was acknowledged.
func Classify(err error) *errs.Error {
	e := errs.As(err)
	if e.Kind == errs.KindInternal && errors.Is(err, context.Canceled) {
		// The caller went away (the request's context is canceled only
		// then): not a server error.
		c := errs.E(errs.KindClientClosed, "client_closed_request", "the client closed the request")
		c.Err = err
		return c
	}
	if e.Kind != errs.KindInternal || !DependencyDown(err) {
		return e
	}
	code := e.Code
	if code == "internal" {
		code = "service_unavailable"
	}
	return errs.Unavailable(code, "a service the API depends on is unavailable or overloaded; retry shortly", err)
}

// throttled are the AWS error codes that mean "too much, retry later".
var throttled = map[string]bool{
	"ProvisionedThroughputExceededException": true, "ThrottlingException": true, "RequestLimitExceeded": true,
	"TooManyRequestsException": true, "LimitExceededException": false, "ServiceUnavailable": true,
	"InternalServerError": true, "SlowDown": true,
}

// DependencyDown reports whether err comes from a dependency that cannot
// answer now rather than from a defect or a bad request.
func DependencyDown(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error // *url.Error, *net.OpError, *net.DNSError: the call never got an answer
	if errors.As(err, &ne) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return throttled[ae.ErrorCode()] || ae.ErrorFault() == smithy.FaultServer
	}
	return false
}

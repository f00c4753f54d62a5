// Package sigv4test checks SigV4 signatures in fakes of AWS services, as
// the services do: the request re-signed with the same credentials,
// service, region and time (its X-Amz-Date) carries the same
// Authorization. The hand-signed calls' tests use it (awsx/assumerole,
// webhook/sqsqueue).
package sigv4test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Verified reads r's body and reports whether r is signed by creds for
// service in region: its session token, and its Authorization over the
// body's hash, the host and the headers named (e.g. Content-Type,
// X-Amz-Target), which must be the ones the client signed.
func Verified(r *http.Request, creds aws.Credentials, service, region string, headers ...string) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, false
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		return body, false
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return body, false
	}
	for _, h := range headers {
		again.Header.Set(h, r.Header.Get(h))
	}
	sum := sha256.Sum256(body)
	if v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, region, at) != nil {
		return body, false
	}
	return body, again.Header.Get("Authorization") == r.Header.Get("Authorization")
}

package apikeys_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/testing/sigv4test"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var creds = aws.Credentials{AccessKeyID: "AKIDFUNCTION", SecretAccessKey: "secret", SessionToken: "token"}

// fakeAPIGateway records requests and answers like API Gateway's REST API.
func fakeAPIGateway(t *testing.T, existing bool) (*apikeys.AWS, *[]string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var signed []string
		if r.Header.Get("Content-Type") != "" {
			signed = append(signed, "Content-Type")
		}
		b, ok := sigv4test.Verified(r, creds, "apigateway", "us-east-1", signed...)
		if !ok {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"The request signature we calculated does not match the signature you provided."}`)
			return
		}
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/apikeys":
			if existing {
				_, _ = io.WriteString(w, `{"item":[{"id":"k1","name":"it-tenant-acme","value":"secret"}]}`)
			} else {
				_, _ = io.WriteString(w, `{"item":[]}`)
			}
		case r.Method == "POST" && r.URL.Path == "/apikeys":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":"k1","name":"it-tenant-acme","value":"secret","enabled":true}`)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/keys"):
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":"k1","type":"API_KEY"}`)
		default:
			w.WriteHeader(202)
		}
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	return &apikeys.AWS{Config: cfg, Prefix: "it", Plans: map[tiers.Name]string{tiers.Basic: "plan-basic", tiers.Premium: "plan-premium"}}, &got
}

func TestAWSKeys(t *testing.T) {
	ctx := context.Background()
	t.Run("a new tenant gets a named, tagged key added to its tier's plan", func(t *testing.T) {
		k, got := fakeAPIGateway(t, false)
		id, value, err := k.Create(ctx, "acme", tiers.Basic)
		require.NoError(t, err)
		assert.Equal(t, "k1", id)
		assert.Equal(t, "secret", value)
		require.Len(t, *got, 3)
		assert.Contains(t, (*got)[0], "GET /apikeys?")
		assert.Contains(t, (*got)[0], "name=it-tenant-acme")
		assert.Contains(t, (*got)[0], "includeValues=true")
		assert.Contains(t, (*got)[1], `"name":"it-tenant-acme"`)
		assert.Contains(t, (*got)[1], `"issuetracker:tenant":"acme"`)
		assert.Contains(t, (*got)[2], "POST /usageplans/plan-basic/keys")
		assert.Contains(t, (*got)[2], `"keyId":"k1"`)
		assert.Contains(t, (*got)[2], `"keyType":"API_KEY"`)
	})
	t.Run("a retry finds the existing key instead of creating a second", func(t *testing.T) {
		k, got := fakeAPIGateway(t, true)
		id, _, err := k.Create(ctx, "acme", tiers.Basic)
		require.NoError(t, err)
		assert.Equal(t, "k1", id)
		for _, r := range *got {
			assert.NotContains(t, r, "POST /apikeys?")
		}
	})
	t.Run("a tier change leaves the old plan, then joins the new one", func(t *testing.T) {
		k, got := fakeAPIGateway(t, false)
		require.NoError(t, k.Move(ctx, "k1", tiers.Basic, tiers.Premium))
		require.Len(t, *got, 2)
		assert.Contains(t, (*got)[0], "DELETE /usageplans/plan-basic/keys/k1")
		assert.Contains(t, (*got)[1], "POST /usageplans/plan-premium/keys")
	})
	t.Run("a tier without a plan is an error before any call", func(t *testing.T) {
		k, got := fakeAPIGateway(t, false)
		_, _, err := k.Create(ctx, "acme", tiers.Standard)
		assert.Error(t, err)
		assert.Empty(t, *got)
	})
	t.Run("deleting the key is one call", func(t *testing.T) {
		k, got := fakeAPIGateway(t, false)
		require.NoError(t, k.Delete(ctx, "k1"))
		assert.Equal(t, []string{"DELETE /apikeys/k1? "}, *got)
	})
}

// answerAs is a fake API Gateway that checks signatures and answers the
// calls with these statuses in turn (200 once they run out), with API
// Gateway's error type header.
func answerAs(t *testing.T, statuses ...int) (*apikeys.AWS, *[]string) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var signed []string
		if r.Header.Get("Content-Type") != "" {
			signed = append(signed, "Content-Type")
		}
		if _, ok := sigv4test.Verified(r, creds, "apigateway", "us-east-1", signed...); !ok {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"The request signature we calculated does not match the signature you provided."}`)
			return
		}
		got = append(got, r.Method+" "+r.URL.Path)
		status := http.StatusOK
		if len(statuses) > 0 {
			status, statuses = statuses[0], statuses[1:]
		}
		types := map[int]string{409: "ConflictException", 404: "NotFoundException", 429: "TooManyRequestsException", 500: "InternalFailure"}
		if typ := types[status]; typ != "" {
			w.Header().Set("X-Amzn-ErrorType", typ+":http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"as told"}`)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	return &apikeys.AWS{Config: cfg, Prefix: "it", Backoff: func(int) time.Duration { return 0 },
		Plans: map[tiers.Name]string{tiers.Basic: "plan-basic", tiers.Premium: "plan-premium"}}, &got
}

func TestAWSKeysErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("a key already on the plan is a done move; a key gone is a done delete", func(t *testing.T) {
		k, got := answerAs(t, 404, 409, 200)
		require.NoError(t, k.Move(ctx, "k1", tiers.Basic, tiers.Premium))
		assert.Equal(t, []string{"DELETE /usageplans/plan-basic/keys/k1", "POST /usageplans/plan-premium/keys", "GET /usageplans/plan-premium/keys/k1"}, *got)
		k, _ = answerAs(t, 404)
		require.NoError(t, k.Delete(ctx, "k1"))
	})
	t.Run("a key on another plan of the stage is an error", func(t *testing.T) {
		k, _ := answerAs(t, 202, 409, 404)
		err := k.Move(ctx, "k1", tiers.Basic, tiers.Premium)
		assert.ErrorContains(t, err, "add api key k1 to usage plan plan-premium: apigateway: ConflictException: as told (HTTP 409)")
	})
	t.Run("throttling and 5xx are retried three times at most", func(t *testing.T) {
		k, got := answerAs(t, 429, 500)
		require.NoError(t, k.Delete(ctx, "k1"))
		assert.Len(t, *got, 3)
		k, got = answerAs(t, 500, 500, 500, 500)
		assert.ErrorContains(t, k.Delete(ctx, "k1"), "InternalFailure")
		assert.Len(t, *got, 3)
	})
	t.Run("a wrong signature is refused", func(t *testing.T) {
		k, _ := answerAs(t)
		k.Config.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, "wrong", creds.SessionToken)
		assert.ErrorContains(t, k.Delete(ctx, "k1"), "InvalidSignatureException")
		k.Config.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
		k.Config.Region = "eu-west-1"
		assert.ErrorContains(t, k.Delete(ctx, "k1"), "InvalidSignatureException")
	})
}

package apikeys_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPIGateway records requests and answers like API Gateway's REST API.
func fakeAPIGateway(t *testing.T, existing bool) (*apikeys.AWS, *[]string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
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
	c := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	return &apikeys.AWS{C: c, Prefix: "it", Plans: map[tiers.Name]string{tiers.Basic: "plan-basic", tiers.Premium: "plan-premium"}}, &got
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

package apikeys_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSSM answers GetParameters from params and records each request body,
// after checking its SigV4 signature as SSM would: the request re-signed
// with the same credentials, region, service and time carries the same
// Authorization (a wrong service, region, payload hash or signed header
// answers 403 like AWS).
func fakeSSM(t *testing.T, params map[string]string) (apikeys.SSM, *[]map[string]any) {
	var got []map[string]any
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, bytes.NewReader(b))
		for _, h := range []string{"Content-Type", "X-Amz-Target"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		sum := sha256.Sum256(b)
		if err != nil || r.Header.Get("X-Amz-Security-Token") != "token" ||
			v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "ssm", "eu-west-1", at) != nil ||
			again.Header.Get("Authorization") != r.Header.Get("Authorization") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match"}`)
			return
		}
		var in map[string]any
		_ = json.Unmarshal(b, &in)
		in["target"] = r.Header.Get("X-Amz-Target")
		got = append(got, in)
		var found, invalid []string
		for _, n := range in["Names"].([]any) {
			if v, ok := params[n.(string)]; ok {
				found = append(found, fmt.Sprintf(`{"Name":%q,"Type":"String","Value":%q}`, n, v))
			} else {
				invalid = append(invalid, fmt.Sprintf("%q", n))
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"Parameters":[%s],"InvalidParameters":[%s]}`, strings.Join(found, ","), strings.Join(invalid, ","))
	}))
	t.Cleanup(srv.Close)
	return apikeys.SSM{Config: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}}, &got
}

func TestUsagePlansFromSSM(t *testing.T) {
	ctx := context.Background()
	all := map[string]string{}
	want := map[tiers.Name]string{}
	for _, tr := range tiers.All() {
		all["/issuetracker/usage-plans/"+string(tr.Name)] = "plan-" + string(tr.Name)
		want[tr.Name] = "plan-" + string(tr.Name)
	}
	t.Run("every tier's plan id comes from one GetParameters call under the prefix", func(t *testing.T) {
		c, got := fakeSSM(t, all)
		plans, err := apikeys.PlansFromSSM(ctx, c, "/issuetracker/usage-plans/")
		require.NoError(t, err)
		assert.Equal(t, want, plans)
		require.Len(t, *got, 1)
		assert.Equal(t, "AmazonSSM.GetParameters", (*got)[0]["target"])
		var names []string
		for _, n := range (*got)[0]["Names"].([]any) {
			names = append(names, n.(string))
		}
		assert.ElementsMatch(t, []string{"/issuetracker/usage-plans/basic", "/issuetracker/usage-plans/standard",
			"/issuetracker/usage-plans/premium", "/issuetracker/usage-plans/platinum"}, names)
	})
	t.Run("a prefix without its trailing slash names the same parameters", func(t *testing.T) {
		c, _ := fakeSSM(t, all)
		plans, err := apikeys.PlansFromSSM(ctx, c, "/issuetracker/usage-plans")
		require.NoError(t, err)
		assert.Equal(t, want, plans)
	})
	t.Run("a tier without its parameter stops the cold start with its name", func(t *testing.T) {
		partial := map[string]string{}
		for k, v := range all {
			if !strings.HasSuffix(k, "/premium") {
				partial[k] = v
			}
		}
		c, _ := fakeSSM(t, partial)
		_, err := apikeys.PlansFromSSM(ctx, c, "/issuetracker/usage-plans/")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "/issuetracker/usage-plans/premium")
	})
	t.Run("an SSM error is an error with its code and message", func(t *testing.T) {
		c, _ := fakeSSM(t, all)
		c.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wrong", "token")
		_, err := apikeys.PlansFromSSM(ctx, c, "/issuetracker/usage-plans/")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "InvalidSignatureException: The request signature we calculated does not match (HTTP 403)")
		assert.Contains(t, err.Error(), "/issuetracker/usage-plans/")
	})
	t.Run("without a base endpoint the request goes to the region's SSM endpoint", func(t *testing.T) {
		var host string
		c := apikeys.SSM{Config: aws.Config{Region: "eu-central-1",
			Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
			HTTPClient: clientFunc(func(r *http.Request) (*http.Response, error) {
				host = r.URL.String()
				return nil, errors.New("offline")
			})}}
		_, err := c.GetParameters(ctx, []string{"/x"})
		require.ErrorContains(t, err, "offline")
		assert.Equal(t, "https://ssm.eu-central-1.amazonaws.com/", host)
	})
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// The plan ids are read on the first key operation, not at cold start:
// once on success, again after a failure (whose error is the operation's),
// each read bounded by PlanFetchTimeout.
func TestUsagePlansAreReadLazilyOnceWithATimeout(t *testing.T) {
	calls := 0
	fail := true
	lazy := &apikeys.LazyPlans{Load: func(ctx context.Context) (map[tiers.Name]string, error) {
		calls++
		dl, ok := ctx.Deadline()
		require.True(t, ok, "the read has a deadline")
		assert.LessOrEqual(t, time.Until(dl), apikeys.PlanFetchTimeout)
		if fail {
			return nil, errors.New("no usage plan id for tier basic (SSM parameter /x/basic)")
		}
		return map[tiers.Name]string{tiers.Basic: "plan-basic"}, nil
	}}
	keys := apikeys.AWS{Prefix: "it", LazyPlans: lazy}
	assert.Equal(t, 0, calls, "nothing is read before a key operation")
	err := keys.Move(context.Background(), "key", tiers.Basic, tiers.Premium)
	require.ErrorContains(t, err, "SSM parameter /x/basic", "the operation says what is missing")
	fail = false
	for range 3 {
		plans, err := lazy.Get(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "plan-basic", plans[tiers.Basic])
	}
	assert.Equal(t, 2, calls, "a failed read is retried, a good one kept")
}

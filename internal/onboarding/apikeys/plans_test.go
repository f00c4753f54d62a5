package apikeys_test

import (
	"context"
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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSSM answers GetParameters from params and records each request body.
func fakeSSM(t *testing.T, params map[string]string) (*ssm.Client, *[]map[string]any) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
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
	return ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}), &got
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
}

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

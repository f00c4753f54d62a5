package eventbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/testing/sigv4test"
)

var creds = aws.Credentials{AccessKeyID: "AKIDFUNCTION", SecretAccessKey: "secret", SessionToken: "token"}

// fakeEvents answers PutEvents as EventBridge's JSON 1.1 protocol does,
// after checking the SigV4 signature (service events, eu-west-1); fail
// answers the next calls with these statuses and error types first.
type fakeEvents struct {
	mu     sync.Mutex
	bodies []map[string]any
	fail   []int
}

func (f *fakeEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := sigv4test.Verified(r, creds, "events", "eu-west-1", "Content-Type", "X-Amz-Target")
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var in map[string]any
	if err := json.Unmarshal(b, &in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.bodies = append(f.bodies, in)
	if len(f.fail) > 0 {
		status := f.fail[0]
		f.fail = f.fail[1:]
		w.WriteHeader(status)
		if status == http.StatusBadRequest {
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		} else {
			fmt.Fprint(w, `{"__type":"InternalException","message":"try again"}`)
		}
		return
	}
	e := in["Entries"].([]any)[0].(map[string]any)
	if e["EventBusName"] != "issuetracker" {
		fmt.Fprint(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"NotAuthorizedForSourceException","ErrorMessage":"Not authorized for the source."}]}`)
		return
	}
	fmt.Fprintf(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-%d"}]}`, len(f.bodies))
}

func newClient(t *testing.T, f *fakeEvents) eventbus.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return eventbus.Client{Config: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)},
		Backoff: func(int) time.Duration { return 0 }}
}

func TestPutIsOneSignedPutEventsOfTheSDKsShape(t *testing.T) {
	ctx := context.Background()
	f := &fakeEvents{}
	c := newClient(t, f)
	e := eventbus.Entry{EventBusName: "issuetracker", Source: "issuetracker.lifecycle", DetailType: "Tenant Lifecycle Run Requested",
		Detail: `{"tenant_id":"acme"}`, Resources: []string{"IssueTracker-Tenant-acme"}}
	id, err := c.Put(ctx, e)
	require.NoError(t, err)
	assert.Equal(t, "e-1", id)

	// The SDK's client sends the same body for the same entry.
	var sdkBody map[string]any
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, json.NewDecoder(r.Body).Decode(&sdkBody))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"sdk"}]}`)
	}))
	defer plain.Close()
	sdk := eventbridge.New(eventbridge.Options{Region: "eu-west-1", BaseEndpoint: aws.String(plain.URL), Credentials: c.Config.Credentials})
	out, err := sdk.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(e.EventBusName), Source: aws.String(e.Source), DetailType: aws.String(e.DetailType),
		Detail: aws.String(e.Detail), Resources: e.Resources}}})
	require.NoError(t, err)
	assert.Equal(t, "sdk", aws.ToString(out.Entries[0].EventId))
	require.Len(t, f.bodies, 1)
	assert.Equal(t, sdkBody, f.bodies[0])

	// Without resources, none is sent (as the SDK omits an empty list).
	_, err = c.Put(ctx, eventbus.Entry{EventBusName: "issuetracker", Source: "s", DetailType: "d", Detail: "{}"})
	require.NoError(t, err)
	assert.NotContains(t, f.bodies[1]["Entries"].([]any)[0], "Resources")
}

func TestAFailedEntryARefusalAndABadSignatureAreErrors(t *testing.T) {
	ctx := context.Background()
	f := &fakeEvents{}
	c := newClient(t, f)
	_, err := c.Put(ctx, eventbus.Entry{EventBusName: "other", Source: "s", DetailType: "d", Detail: "{}"})
	assert.EqualError(t, err, "events PutEvents: NotAuthorizedForSourceException: Not authorized for the source.")
	assert.Len(t, f.bodies, 1, "a failed entry is not retried")

	c.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDFUNCTION", "wrong", "token")
	_, err = c.Put(ctx, eventbus.Entry{EventBusName: "issuetracker", Source: "s", DetailType: "d", Detail: "{}"})
	assert.EqualError(t, err, "events PutEvents: InvalidSignatureException: The request signature we calculated does not match (HTTP 400)")

	c.Config.Region = "us-east-1"
	c.Config.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	_, err = c.Put(ctx, eventbus.Entry{EventBusName: "issuetracker", Source: "s", DetailType: "d", Detail: "{}"})
	assert.ErrorContains(t, err, "InvalidSignatureException", "signed for another region")
}

func TestThrottlingAnd5xxAreRetriedThreeTimesAtMost(t *testing.T) {
	ctx := context.Background()
	f := &fakeEvents{fail: []int{http.StatusBadRequest, http.StatusInternalServerError}}
	c := newClient(t, f)
	id, err := c.Put(ctx, eventbus.Entry{EventBusName: "issuetracker", Source: "s", DetailType: "d", Detail: "{}"})
	require.NoError(t, err)
	assert.Equal(t, "e-3", id, "the third attempt")

	f.fail = []int{500, 500, 500, 500}
	_, err = c.Put(ctx, eventbus.Entry{EventBusName: "issuetracker", Source: "s", DetailType: "d", Detail: "{}"})
	assert.EqualError(t, err, "events PutEvents: InternalException: try again (HTTP 500)")
	assert.Len(t, f.bodies, 6)
}

package awsstacks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAWS answers CloudFormation's DescribeStacks (query protocol, XML) and
// EventBridge's PutEvents (JSON 1.1) and records every request.
type fakeAWS struct {
	mu      sync.Mutex
	status  string            // the stack's status; "" = it does not exist
	outputs map[string]string // its outputs
	puts    []string          // PutEvents bodies
	stacks  []string          // DescribeStacks StackName values
}

func (f *fakeAWS) set(status string, outputs map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.outputs = status, outputs
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
		f.puts = append(f.puts, string(b))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
		return
	}
	form, _ := url.ParseQuery(string(b))
	if form.Get("Action") != "DescribeStacks" {
		http.Error(w, "unexpected request "+string(b), http.StatusBadRequest)
		return
	}
	f.stacks = append(f.stacks, form.Get("StackName"))
	w.Header().Set("Content-Type", "text/xml")
	if f.status == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`, form.Get("StackName"))
		return
	}
	var outs strings.Builder
	for k, v := range f.outputs {
		fmt.Fprintf(&outs, `<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>`, k, v)
	}
	fmt.Fprintf(w, `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>%s</StackName><StackStatus>%s</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>%s</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
		form.Get("StackName"), f.status, outs.String())
}

func newFake(t *testing.T) (*fakeAWS, awsstacks.Stacks) {
	f := &fakeAWS{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	return f, awsstacks.Stacks{
		Bus:    "issuetracker",
		Events: eventbus.Client{Config: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds}},
		CFN:    awsstacks.NewCFN(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds}),
	}
}

func TestDeployThroughThePipeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	outputs := map[string]string{"TableName": "issuetracker-tenant-acme", "UserPoolId": "us-east-1_abc", "UserPoolClientId": "client"}
	tests := []struct {
		name        string
		status      string
		wantRequest bool
		wantOutputs bool
	}{
		{"a stack that does not exist is requested and the step waits", "", true, false},
		{"a stack that rolled back after a failed create is requested again", "ROLLBACK_COMPLETE", true, false},
		{"a stack being created is waited for without a second request", "CREATE_IN_PROGRESS", false, false},
		{"a stack being updated is waited for without a second request", "UPDATE_IN_PROGRESS", false, false},
		{"a created stack gives its outputs without a request", "CREATE_COMPLETE", false, true},
		{"an updated stack gives its outputs without a request", "UPDATE_COMPLETE", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, s := newFake(t)
			f.set(tc.status, outputs)
			got, err := s.Deploy(ctx, "acme")
			assert.Equal(t, []string{"IssueTracker-Tenant-acme"}, f.stacks, "DescribeStacks names the tenant's stack")
			if tc.wantOutputs {
				require.NoError(t, err)
				assert.Equal(t, outputs, got)
			} else {
				assert.ErrorIs(t, err, onboarding.ErrWaiting)
			}
			if !tc.wantRequest {
				assert.Empty(t, f.puts)
				return
			}
			require.Len(t, f.puts, 1)
			assert.JSONEq(t, `{"Entries":[{"EventBusName":"issuetracker","Source":"issuetracker.onboarding",
				"DetailType":"Tenant Stack Deploy Requested","Detail":"{\"tenantId\":\"acme\"}",
				"Resources":["IssueTracker-Tenant-acme"]}]}`, f.puts[0])
		})
	}
}

func TestDestroyThroughThePipeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name        string
		status      string
		wantRequest bool
		wantDone    bool
	}{
		{"a stack that does not exist is already destroyed", "", false, true},
		{"a deleted stack is already destroyed", "DELETE_COMPLETE", false, true},
		{"a stack being deleted is waited for", "DELETE_IN_PROGRESS", false, false},
		{"a deployed stack is requested for destruction and the step waits", "CREATE_COMPLETE", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, s := newFake(t)
			f.set(tc.status, nil)
			err := s.Destroy(ctx, "acme")
			if tc.wantDone {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, onboarding.ErrWaiting)
			}
			if !tc.wantRequest {
				assert.Empty(t, f.puts)
				return
			}
			require.Len(t, f.puts, 1)
			assert.Contains(t, f.puts[0], `"DetailType":"Tenant Stack Destroy Requested"`)
			assert.Contains(t, f.puts[0], `"Source":"issuetracker.onboarding"`)
		})
	}
}

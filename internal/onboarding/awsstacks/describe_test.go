package awsstacks_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
)

// describeAnswer is a DescribeStacks answer as CloudFormation writes it:
// the stack's parameters, tags and outputs are <member> lists inside its
// own <member>, values escaped.
const describeAnswer = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/IssueTracker-Tenant-acme/1</StackId>
        <StackName>IssueTracker-Tenant-acme</StackName>
        <Parameters>
          <member><ParameterKey>Tier</ParameterKey><ParameterValue>platinum</ParameterValue></member>
        </Parameters>
        <Tags>
          <member><Key>tenant</Key><Value>acme</Value></member>
        </Tags>
        <CreationTime>2026-01-01T00:00:00Z</CreationTime>
        <StackStatus>UPDATE_ROLLBACK_COMPLETE</StackStatus>
        <StackStatusReason>Update of &quot;Table&quot; failed &amp; rolled back</StackStatusReason>
        <Outputs>
          <member><OutputKey>TableName</OutputKey><OutputValue>issuetracker-tenant-acme</OutputValue><Description>the table</Description></member>
          <member><OutputKey>Issuer</OutputKey><OutputValue>https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x?a=1&amp;b=&lt;2&gt;</OutputValue></member>
          <member><OutputKey>UserPoolId</OutputKey><OutputValue>eu-west-1_x</OutputValue><ExportName>acme-pool</ExportName></member>
        </Outputs>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`

// signedFake answers DescribeStacks after checking the SigV4 signature as
// CloudFormation would (the request re-signed with the same credentials,
// region and time carries the same Authorization; else 403), and records
// each request's content type and form.
type signedFake struct {
	mu    sync.Mutex
	forms []url.Values
	types []string
	bad   int
	// missing answers 400 ValidationError "does not exist".
	missing bool
}

func (f *signedFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
	for _, h := range []string{"Content-Type", "X-Amz-Date"} {
		again.Header.Set(h, r.Header.Get(h))
	}
	auth := r.Header.Get("Authorization")
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	for _, h := range strings.Split(signed, ";") {
		if h != "host" && h != "content-length" {
			again.Header.Set(h, r.Header.Get(h))
		}
	}
	again.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"},
		again, payload, "cloudformation", "eu-west-1", at) != nil || again.Header.Get("Authorization") != auth {
		f.bad++
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error></ErrorResponse>`)
		return
	}
	form, _ := url.ParseQuery(string(body))
	f.forms = append(f.forms, form)
	f.types = append(f.types, r.Header.Get("Content-Type"))
	w.Header().Set("Content-Type", "text/xml")
	if f.missing {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>`+
			`<Message>Stack with id `+form.Get("StackName")+` does not exist</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`)
		return
	}
	_, _ = io.WriteString(w, describeAnswer)
}

// Our DescribeStacks is the SDK client's: the same form (action, version,
// stack name) and content type, signed so that a re-signing fake accepts
// both; the same answer reads as the same status and outputs through
// both; a stack that does not exist is nil for us and the SDK's
// ValidationError for the client. It failed on a wrong signing name and
// on reading a parameter's member as an output.
func TestDescribeStacksIsTheSDKClientsCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &signedFake{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	sdk := cloudformation.NewFromConfig(cfg)
	ours := awsstacks.NewCFN(cfg)

	out, err := sdk.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("IssueTracker-Tenant-acme")})
	require.NoError(t, err)
	st, err := ours.DescribeStack(ctx, "IssueTracker-Tenant-acme")
	require.NoError(t, err)
	require.Equal(t, 0, f.bad, "both signatures verify")
	require.Len(t, f.forms, 2)
	assert.Equal(t, f.forms[0], f.forms[1], "the same form")
	assert.Equal(t, "DescribeStacks", f.forms[1].Get("Action"))
	assert.Equal(t, f.types[0], f.types[1], "the same content type")

	require.Len(t, out.Stacks, 1)
	want := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		want[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	require.NotNil(t, st)
	assert.Equal(t, string(out.Stacks[0].StackStatus), st.Status)
	assert.Equal(t, aws.ToString(out.Stacks[0].StackName), st.Name)
	assert.Equal(t, want, st.Outputs)
	assert.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x?a=1&b=<2>", st.Outputs["Issuer"])

	f.missing = true
	_, err = sdk.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("IssueTracker-Tenant-none")})
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "ValidationError", api.ErrorCode(), "what ours reads as absent is the SDK's ValidationError")
	st, err = ours.DescribeStack(ctx, "IssueTracker-Tenant-none")
	require.NoError(t, err)
	assert.Nil(t, st)

	forged := awsstacks.NewCFN(cfg.Copy())
	forged.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wrong", "")
	_, err = forged.DescribeStack(ctx, "IssueTracker-Tenant-acme")
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "SignatureDoesNotMatch", api.ErrorCode())
}

// A throttled or failing CloudFormation is asked again, three times at
// most, then the error says retries are exhausted (awsx.RetriesExhausted:
// a migration's step is tried again later).
func TestDescribeStacksRetriesThrottlingAndServerErrors(t *testing.T) {
	t.Parallel()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>x</Message></Error></ErrorResponse>`)
	}))
	defer srv.Close()
	c := awsstacks.NewCFN(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	c.Backoff = func(int) time.Duration { return 0 }
	_, err := c.DescribeStack(context.Background(), "s")
	assert.Equal(t, 3, calls)
	assert.True(t, awsx.RetriesExhausted(err), "%v", err)
	assert.ErrorContains(t, err, "InternalFailure")
}

package awsstacks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/xmltext"
)

// CFN reads tenant stacks with CloudFormation's DescribeStacks, the one
// CloudFormation call the functions make: a SigV4-signed awsQuery POST
// (Action=DescribeStacks&StackName=…&Version=2010-05-15) whose XML answer
// is read without encoding/xml, instead of the SDK's CloudFormation
// client (~330 KB of the onboarding function and its package
// initialisation at every cold start; issue 19). CloudFormation has no
// local stand-in: TestDescribeStacksIsTheSDKClientsCall sends ours and the
// SDK client's to a fake that checks both signatures and reads one
// answer through both.
type CFN struct {
	// Config gives the region, the credentials (the tenant's account's
	// role for a tenant in an account of its own), the HTTP client and,
	// in tests, the endpoint (BaseEndpoint).
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
	// Backoff is the pause before a retry; 100 ms x attempt if nil.
	Backoff func(attempt int) time.Duration
}

// NewCFN is the CloudFormation reader of cfg.
func NewCFN(cfg aws.Config) CFN { return CFN{Config: cfg} }

// Stack is what the lifecycle reads of a stack.
type Stack struct {
	Name, Status string
	Outputs      map[string]string
}

// CFNError is CloudFormation's error answer; a smithy.APIError.
type CFNError struct {
	Status        int
	Code, Message string
}

func (e *CFNError) Error() string {
	return fmt.Sprintf("cloudformation DescribeStacks: %s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// ErrorCode, ErrorMessage and ErrorFault are smithy.APIError's (a 5xx is
// a server fault: httpapi.DependencyDown).
func (e *CFNError) ErrorCode() string    { return e.Code }
func (e *CFNError) ErrorMessage() string { return e.Message }
func (e *CFNError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// DescribeStack is the stack named name (an id or a name), or nil when it
// does not exist (CloudFormation's 400 ValidationError "… does not
// exist"). A throttled or 5xx answer and a failed connection are sent again
// (awsjson.RetryAsSDK: three attempts, Backoff between; then the SDK's
// *retry.MaxAttemptsError), as the SDK's client did.
func (c CFN) DescribeStack(ctx context.Context, name string) (*Stack, error) {
	body := url.Values{"Action": {"DescribeStacks"}, "StackName": {name}, "Version": {"2010-05-15"}}.Encode()
	var stack *Stack
	err := awsjson.RetryAsSDK(ctx, c.Backoff, retryableCFN, func() error {
		data, status, err := c.post(ctx, body)
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			stack, err = parseStack(string(data))
			return err
		}
		doc := string(data)
		e := &CFNError{Status: status, Code: xmltext.Text(doc, "Code"), Message: xmltext.Text(doc, "Message")}
		if e.Code == "" {
			e.Code = http.StatusText(status)
		}
		if e.Code == "ValidationError" && strings.Contains(e.Message, "does not exist") {
			return nil // stack stays nil
		}
		return e
	})
	if err != nil {
		return nil, err
	}
	return stack, nil
}

// retryableCFN are the failures DescribeStack sends again: throttling, a
// 5xx, a call that got no answer.
func retryableCFN(err error) bool {
	var e *CFNError
	if errors.As(err, &e) {
		return e.Status >= 500 || e.Code == "Throttling"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

func (c CFN) post(ctx context.Context, body string) ([]byte, int, error) {
	data, status, err := awsjson.PostForm(ctx, c.Config, "cloudformation", "application/x-www-form-urlencoded", body, c.Now)
	if err != nil {
		return nil, 0, fmt.Errorf("cloudformation DescribeStacks: %w", err)
	}
	return data, status, nil
}

// parseStack reads the stack of a DescribeStacksResponse for one stack
// name (nil when it lists none): its name, status and outputs. Its
// <member> holds other lists' <member>s (parameters, tags, outputs), so
// its fields are read as the first of their names in <Stacks>, and the
// outputs from its <Outputs>: a DescribeStacks of one name answers one
// stack.
func parseStack(doc string) (*Stack, error) {
	stacks, ok := xmltext.Raw(doc, "Stacks")
	if !ok || !strings.Contains(stacks, "<member>") {
		return nil, nil
	}
	st := &Stack{Name: xmltext.Text(stacks, "StackName"), Status: xmltext.Text(stacks, "StackStatus"), Outputs: map[string]string{}}
	if outs, ok := xmltext.Raw(stacks, "Outputs"); ok {
		xmltext.Each(outs, "member", func(m string) {
			st.Outputs[xmltext.Text(m, "OutputKey")] = xmltext.Text(m, "OutputValue")
		})
	}
	if st.Status == "" {
		return nil, errors.New("cloudformation DescribeStacks: a stack without a status in the answer")
	}
	return st, nil
}

package cwalarms_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/health/cwalarms"
)

// request is what the fake CloudWatch received.
type request struct {
	Path, Protocol, ContentType string
	Body                        cbor.Value
	Valid                       bool // the SigV4 signature re-signs the same
}

// fakeCloudWatch answers DescribeAlarms in RPC v2 CBOR with answer (or a
// throttling error while fail > 0) and records the requests.
func fakeCloudWatch(t *testing.T, answer cbor.Map, fail int) (aws.Config, *[]request) {
	var got []request
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body, _ := cbor.Decode(b)
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, bytes.NewReader(b))
		for _, h := range []string{"Content-Type", "Smithy-Protocol", "Accept"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		sum := sha256.Sum256(b)
		valid := err == nil && v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "monitoring", "eu-west-1", at) == nil
		// Compare the signatures over the headers both signed (the SDK
		// signs a few more, e.g. amz-sdk-invocation-id).
		valid = valid && r.Header.Get("X-Amz-Security-Token") == "token" && sigOf(again) != "" && (sigOf(again) == sigOf(r) || signedMore(r))
		got = append(got, request{Path: r.URL.Path, Protocol: r.Header.Get("Smithy-Protocol"), ContentType: r.Header.Get("Content-Type"), Body: body, Valid: valid})
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		if fail > 0 {
			fail--
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#LimitExceededFault"), "message": cbor.String("slow down")}))
			return
		}
		_, _ = w.Write(cbor.Encode(answer))
	}))
	t.Cleanup(srv.Close)
	return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}, &got
}

func sigOf(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if i := bytes.LastIndex([]byte(a), []byte("Signature=")); i >= 0 {
		return a[i:]
	}
	return ""
}

// signedMore: the SDK's request signs headers ours does not send; its
// signature is checked by the SDK's own tests, ours by re-signing.
func signedMore(r *http.Request) bool {
	return r.Header.Get("Amz-Sdk-Invocation-Id") != ""
}

// Signed sends what the SDK's CloudWatch client sends for the same
// DescribeAlarms (path, protocol, the CBOR body) and reads the same
// answer the same way.
func TestSignedDescribeAlarmsIsTheSDKClientsCall(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 19, 30, 0, 0, time.UTC)
	answer := cbor.Map{
		"MetricAlarms": cbor.List{
			cbor.Map{"AlarmName": cbor.String("issuetracker-fn-issues-errors"), "StateValue": cbor.String("ALARM"), "StateReason": cbor.String("Threshold Crossed"),
				"MetricName": cbor.String("Errors"), "StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(at.Unix()) + 0.5)}, "Threshold": cbor.Float64(1)},
		},
		"CompositeAlarms": cbor.List{
			cbor.Map{"AlarmName": cbor.String("issuetracker-api"), "StateValue": cbor.String("OK"), "StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Uint(at.Unix())}},
		},
		"NextToken": cbor.String("page-2"),
	}
	cfg, got := fakeCloudWatch(t, answer, 0)

	ours, err := cwalarms.Signed{Config: cfg}.DescribeAlarms(ctx, "issuetracker-", "page-1")
	require.NoError(t, err)
	theirs, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("issuetracker-"),
		MaxRecords: aws.Int32(100), NextToken: aws.String("page-1"), AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	require.NoError(t, err)

	require.Len(t, *got, 2)
	mine, sdk := (*got)[0], (*got)[1]
	assert.True(t, mine.Valid, "our signature re-signs the same")
	mine.Valid, sdk.Valid = false, false
	assert.Equal(t, sdk, mine, "the SDK client's path, protocol, content type and body")
	assert.Equal(t, cwalarms.Path, mine.Path)

	require.Len(t, theirs.MetricAlarms, 1)
	require.Len(t, theirs.CompositeAlarms, 1)
	m, c := theirs.MetricAlarms[0], theirs.CompositeAlarms[0]
	assert.Equal(t, cwalarms.Page{NextToken: aws.ToString(theirs.NextToken),
		MetricAlarms: []cwalarms.Alarm{{AlarmName: aws.ToString(m.AlarmName), StateValue: string(m.StateValue), StateReason: aws.ToString(m.StateReason),
			MetricName: aws.ToString(m.MetricName), StateUpdatedTimestamp: aws.ToTime(m.StateUpdatedTimestamp)}},
		CompositeAlarms: []cwalarms.Alarm{{AlarmName: aws.ToString(c.AlarmName), StateValue: string(c.StateValue), StateUpdatedTimestamp: aws.ToTime(c.StateUpdatedTimestamp)}},
	}, ours, "the answer read as the SDK reads it")
	assert.Equal(t, at.Add(500*time.Millisecond), ours.MetricAlarms[0].StateUpdatedTimestamp.UTC())

	// The first page has no NextToken; an error answer names its type.
	cfg, got = fakeCloudWatch(t, cbor.Map{}, 5)
	_, err = cwalarms.Signed{Config: cfg}.DescribeAlarms(ctx, "issuetracker-", "")
	var e *cwalarms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "LimitExceededFault", e.Code)
	assert.NotContains(t, (*got)[0].Body, "NextToken")
}

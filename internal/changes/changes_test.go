package changes_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A record as Lambda delivers it (the event source mapping's JSON).
const lambdaEvent = `{"Records":[{"eventID":"e1","eventName":"MODIFY","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/issuetracker-app/stream/2026-01-01T00:00:00.000",
 "dynamodb":{"ApproximateCreationDateTime":1767225600,"SequenceNumber":"100","StreamViewType":"NEW_AND_OLD_IMAGES",
  "Keys":{"pk":{"S":"T#acme#ISSUE#01H"},"sk":{"S":"ISSUE"}},
  "OldImage":{"pk":{"S":"T#acme#ISSUE#01H"},"sk":{"S":"ISSUE"},"entity":{"S":"issue"},"version":{"N":"1"}},
  "NewImage":{"pk":{"S":"T#acme#ISSUE#01H"},"sk":{"S":"ISSUE"},"entity":{"S":"issue"},"version":{"N":"2"},
   "labels":{"L":[{"S":"bug"}]},"meta":{"M":{"ok":{"BOOL":true},"none":{"NULL":true}}},"tags":{"SS":["a"]}}}}]}`

func TestFromLambdaTypesTheRecord(t *testing.T) {
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal([]byte(lambdaEvent), &ev))
	cs, err := changes.FromLambda(ev)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	c := cs[0]
	assert.Equal(t, "issuetracker-app", c.Table)
	assert.Equal(t, "acme", c.TenantID)
	assert.Equal(t, "issue", c.Entity)
	assert.Equal(t, changes.Modify, c.Op)
	assert.Equal(t, "100", c.Seq)
	assert.Equal(t, int64(1767225600), c.At.Unix())
	assert.Equal(t, &types.AttributeValueMemberN{Value: "1"}, c.Old["version"])
	assert.Equal(t, &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "bug"}}}, c.New["labels"])
	assert.Equal(t, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"ok": &types.AttributeValueMemberBOOL{Value: true}, "none": &types.AttributeValueMemberNULL{Value: true}}}, c.New["meta"])
	assert.Equal(t, &types.AttributeValueMemberSS{Value: []string{"a"}}, c.New["tags"])
}

func TestFilterMatchesLocallyWhatItsLambdaPatternSays(t *testing.T) {
	f := changes.Filter{SortKeys: []string{"ISSUE"}, SortKeyPrefixes: []string{"HIST#", "COMMENT#"}}
	assert.JSONEq(t, `{"dynamodb":{"Keys":{"sk":{"S":["ISSUE",{"prefix":"HIST#"},{"prefix":"COMMENT#"}]}}}}`, f.Pattern())
	for sk, want := range map[string]bool{"ISSUE": true, "HIST#01": true, "COMMENT#01": true, "ISSUE#01": false, "ACT#01": false, "": false} {
		assert.Equal(t, want, f.Match(changes.Change{SK: sk}), sk)
	}
	assert.True(t, changes.Filter{}.Match(changes.Change{SK: "anything"}))
	assert.Empty(t, changes.Filter{}.Pattern())
}

func TestTableFromARN(t *testing.T) {
	assert.Equal(t, "issuetracker-tenant-acme", changes.TableFromARN("arn:aws:dynamodb:us-east-1:1:table/issuetracker-tenant-acme/stream/2026"))
	assert.Equal(t, "", changes.TableFromARN("nonsense"))
}

// ToLambda is what the local cloud gives a mapped function's process: the
// function reads back the very changes the poller read.
func TestToLambdaRoundTripsThroughTheLambdaJSON(t *testing.T) {
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal([]byte(lambdaEvent), &ev))
	want, err := changes.FromLambda(ev)
	require.NoError(t, err)
	out, err := changes.ToLambda(want)
	require.NoError(t, err)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	var back events.DynamoDBEvent
	require.NoError(t, json.Unmarshal(b, &back))
	got, err := changes.FromLambda(back)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
